#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/loadgen/command_template.h"

namespace groupd::loadgen {

// Everything the command line can set; each mode reads the fields it documents in main.cc.
struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  int port = 0;
  int monitor_port = 0;   // latency: the node whose monitor sees the change.
  int upstream_port = 0;  // gate
  int listen_port = 0;    // gate, null (0 picks a port)
  int conns = 1;
  int pipeline = 1;
  uint64_t requests = 0;  // bench: total operations (0: use duration).
  double duration_s = 0;  // bench: run this long instead.
  uint64_t keyspace = 1000000;
  uint64_t per_conn = 0;   // load: operations per connection.
  uint64_t window = 1000;  // load/fanout: operations in flight per connection.
  int subs = 0;            // fanout: subscriber connections.
  int warmup = 100;        // latency: samples discarded first.
  uint64_t seed = 1;
  double timeout_s = 300;
  bool hold = false;                            // load: keep connections open until stdin closes.
  std::vector<std::vector<std::string>> setup;  // Run on every command connection.
  std::vector<std::vector<std::string>> sub_setup;      // fanout subscribers.
  std::vector<std::vector<std::string>> monitor_setup;  // latency monitor.
  std::vector<std::string> words;                       // The operation template.
};

// Each returns the process exit code and prints one JSON object on stdout.
int RunBench(const Options& o, const CommandTemplate& t);
int RunLoad(const Options& o, const CommandTemplate& t);
int RunLatency(const Options& o, const CommandTemplate& t);
int RunFanout(const Options& o, const CommandTemplate& t);
int RunGate(const Options& o);
int RunNull(const Options& o);

}  // namespace groupd::loadgen
