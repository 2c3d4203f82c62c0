// loadgen: the load generator behind `make bench` (tools/bench/run.py). It does what
// redis-benchmark cannot express: keys unique per connection, connections that hold what they
// registered, a change seen by a monitor on another node, one event fanned out to a thousand
// subscribers, a partition that heals, and a server that does no work (the machine's ceiling).
// Plain sockets, epoll, raw RESP; every mode prints one JSON object on stdout (gate and null
// print lines, see gate.cc and null_server.cc). See docs/BENCHMARKS.md.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "tools/loadgen/command_template.h"
#include "tools/loadgen/modes.h"

namespace {

constexpr char kUsage[] = R"(usage: loadgen MODE [options] [-- COMMAND ARGS... [;; COMMAND ARGS...]]

modes:
  bench    closed loop: -c conns each send -P operations and wait for them, until -n operations
           (or -d seconds); reports ops/s and latency percentiles
  load     -c conns each send -n operations (--window in flight); --hold keeps the connections
           open (draining their input) until stdin closes
  latency  one operation at a time on -p; a monitor on --monitor-port (set up with
           --monitor-setup) must see one frame per operation; -n samples
  fanout   --subs subscribers (--sub-setup) and one publisher sending -n operations
  gate     relay --listen PORT -> --upstream PORT that holds connections until "open" on stdin
  null     a server on --listen PORT (0: any) that answers +OK to every request and does
           nothing else: the ceiling any server reaches on this machine; ends when stdin closes

options:
  -h HOST            server address (default 127.0.0.1)
  -p PORT            server port
  -c N               connections (default 1)
  -P N               pipeline depth for bench (default 1)
  -n N               bench: total operations; load: operations per connection;
                     latency: samples; fanout: events
  -d SECONDS         bench: run for this long instead of -n
  -r N               keyspace of {r}/{R} (default 1000000)
  --window N         load/fanout: operations in flight per connection (default 1000)
  --setup "CMD ARGS" run on each command connection first (repeatable)
  --sub-setup "..."  fanout: run on each subscriber (repeatable)
  --monitor-port P, --monitor-setup "..."   latency: the monitoring connection
  --subs N           fanout subscribers
  --warmup N         latency: samples discarded first (default 100)
  --hold             load/bench: hold the connections until stdin closes
  --listen P, --upstream P   gate ports (--listen: null too)
  --seed N, --timeout SECONDS

placeholders in COMMAND ARGS: {c} connection index, {i} operation index on its connection,
{n} global operation index, {r} random below -r, {I}/{R} the same zero-padded to 12 digits.
)";

bool Number(const char* s, double* out) {
  char* end;
  *out = strtod(s, &end);
  return end != s && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  using groupd::loadgen::Options;
  if (argc < 2 || !strcmp(argv[1], "--help")) {
    fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  Options o;
  o.mode = argv[1];
  int i = 2;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--hold") {
      o.hold = true;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "loadgen: %s needs a value\n", a.c_str());
      return 2;
    }
    const char* v = argv[++i];
    double num = 0;
    bool is_num = Number(v, &num);
    auto need_num = [&]() {
      if (!is_num) {
        fprintf(stderr, "loadgen: %s wants a number, got '%s'\n", a.c_str(), v);
        exit(2);
      }
    };
    if (a == "-h") {
      o.host = v;
    } else if (a == "--setup") {
      o.setup.push_back(groupd::loadgen::SplitWords(v));
    } else if (a == "--sub-setup") {
      o.sub_setup.push_back(groupd::loadgen::SplitWords(v));
    } else if (a == "--monitor-setup") {
      o.monitor_setup.push_back(groupd::loadgen::SplitWords(v));
    } else {
      need_num();
      if (a == "-p")
        o.port = static_cast<int>(num);
      else if (a == "-c")
        o.conns = static_cast<int>(num);
      else if (a == "-P")
        o.pipeline = static_cast<int>(num);
      else if (a == "-n")
        o.requests = o.per_conn = static_cast<uint64_t>(num);
      else if (a == "-d")
        o.duration_s = num;
      else if (a == "-r")
        o.keyspace = static_cast<uint64_t>(num);
      else if (a == "--window")
        o.window = static_cast<uint64_t>(num);
      else if (a == "--subs")
        o.subs = static_cast<int>(num);
      else if (a == "--warmup")
        o.warmup = static_cast<int>(num);
      else if (a == "--monitor-port")
        o.monitor_port = static_cast<int>(num);
      else if (a == "--listen")
        o.listen_port = static_cast<int>(num);
      else if (a == "--upstream")
        o.upstream_port = static_cast<int>(num);
      else if (a == "--seed")
        o.seed = static_cast<uint64_t>(num);
      else if (a == "--timeout")
        o.timeout_s = num;
      else {
        fprintf(stderr, "loadgen: unknown option %s\n%s", a.c_str(), kUsage);
        return 2;
      }
    }
  }
  for (; i < argc; ++i) o.words.push_back(argv[i]);

  if (o.mode == "gate") return groupd::loadgen::RunGate(o);
  if (o.mode == "null") return groupd::loadgen::RunNull(o);
  if (o.port <= 0) {
    fprintf(stderr, "loadgen: -p PORT is required\n");
    return 2;
  }
  std::string error;
  auto t = groupd::loadgen::CommandTemplate::Parse(o.words, &error);
  if (!t) {
    fprintf(stderr, "loadgen: %s\n", error.c_str());
    return 2;
  }
  if (o.mode == "bench") {
    if (o.requests == 0 && o.duration_s <= 0) o.requests = 100000;
    return groupd::loadgen::RunBench(o, *t);
  }
  if (o.mode == "load") return groupd::loadgen::RunLoad(o, *t);
  if (o.mode == "latency") return groupd::loadgen::RunLatency(o, *t);
  if (o.mode == "fanout") {
    if (o.requests == 0) o.requests = 1000;
    return groupd::loadgen::RunFanout(o, *t);
  }
  fprintf(stderr, "loadgen: unknown mode %s\n%s", o.mode.c_str(), kUsage);
  return 2;
}
