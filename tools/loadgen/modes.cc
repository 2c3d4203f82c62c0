// The client-side modes: bench (closed-loop throughput, redis-benchmark's shape), load (pipelined
// bulk loading, optionally holding the connections so registrations stay alive), latency (one
// change at a time, seen by a monitor on another node) and fanout (one publisher, many
// subscribers). Everything runs on one thread around one epoll set.

#include "tools/loadgen/modes.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tools/loadgen/conn.h"

namespace groupd::loadgen {

namespace {

// splitmix64: cheap, good enough to pick keys.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t s_;
};

int Fail(const std::string& msg) {
  fprintf(stderr, "loadgen: %s\n", msg.c_str());
  return 1;
}

// Connects n connections and runs the setup commands on each.
bool OpenConns(const Options& o, int port, int n,
               const std::vector<std::vector<std::string>>& setup,
               std::vector<std::unique_ptr<Conn>>* out, std::string* error) {
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<Conn>();
    if (!c->Connect(o.host, port, error)) return false;
    for (const auto& words : setup) {
      if (!c->RunSetup(words, error)) return false;
    }
    out->push_back(std::move(c));
  }
  return true;
}

}  // namespace

// bench: every connection sends `pipeline` operations, waits for all their replies, and repeats,
// until `requests` operations were sent (or `duration_s` passed). An operation's latency runs
// from its batch's write to its last reply, as redis-benchmark counts it. Error replies are
// completed operations too, and counted. With `hold` the connections stay open after the report
// until standard input closes.
int RunBench(const Options& o, const CommandTemplate& t) {
  std::vector<std::unique_ptr<Conn>> conns;
  std::string error;
  if (!OpenConns(o, o.port, o.conns, o.setup, &conns, &error)) return Fail(error);

  struct State {
    uint64_t index = 0;
    size_t pending_replies = 0;
    size_t replies_in_op = 0;
    int64_t batch_start = 0;
    bool done = false;
  };
  std::vector<State> st(conns.size());
  Poller poller;
  Rng rng(o.seed);
  Samples lat;
  lat.Reserve(o.requests ? o.requests : (1u << 22));
  uint64_t issued = 0, completed = 0, replies = 0, errors = 0;
  const int64_t t0 = NowNs();
  int64_t t_last = t0;
  const int64_t deadline =
      o.duration_s > 0 ? t0 + static_cast<int64_t>(o.duration_s * 1e9) : INT64_MAX;
  const int64_t give_up = t0 + static_cast<int64_t>(o.timeout_s * 1e9);
  const size_t per_op = t.commands();

  auto send_batch = [&](size_t ci) -> bool {
    State& s = st[ci];
    Conn& c = *conns[ci];
    int64_t now = NowNs();
    uint64_t k = static_cast<uint64_t>(o.pipeline);
    if (now >= deadline) k = 0;
    if (o.requests) k = std::min<uint64_t>(k, o.requests - std::min(issued, o.requests));
    if (k == 0) {
      s.done = true;
      return false;
    }
    for (uint64_t j = 0; j < k; ++j) {
      t.Append(&c.out(), {ci, s.index++, o.keyspace ? rng.Next() % o.keyspace : 0, issued++});
    }
    s.pending_replies = k * per_op;
    s.replies_in_op = 0;
    s.batch_start = now;
    if (!c.Flush()) exit(Fail("write failed on connection " + std::to_string(ci)));
    poller.Modify(c.fd(), ci, c.wants_write());
    return true;
  };

  size_t active = 0;
  for (size_t ci = 0; ci < conns.size(); ++ci) {
    poller.Add(conns[ci]->fd(), ci, false);
    if (send_batch(ci)) ++active;
  }
  while (active > 0) {
    if (NowNs() > give_up) return Fail("bench timed out");
    for (const epoll_event& ev : poller.Wait(1000)) {
      size_t ci = ev.data.u64;
      Conn& c = *conns[ci];
      State& s = st[ci];
      if (ev.events & EPOLLOUT) {
        if (!c.Flush()) return Fail("write failed");
        if (!c.wants_write()) poller.Modify(c.fd(), ci, false);
      }
      if (!(ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      if (!c.Fill()) return Fail("server closed connection " + std::to_string(ci));
      int64_t now = NowNs();
      ScanResult r;
      while (s.pending_replies > 0 && c.NextReply(&r)) {
        ++replies;
        if (r.is_error) ++errors;
        --s.pending_replies;
        if (++s.replies_in_op == per_op) {
          s.replies_in_op = 0;
          ++completed;
          lat.Add(now - s.batch_start);
          t_last = now;
        }
      }
      if (c.malformed()) return Fail("malformed reply");
      if (s.pending_replies == 0 && !s.done && !send_batch(ci)) --active;
    }
  }
  double secs = static_cast<double>(t_last - t0) / 1e9;
  printf("{\"mode\":\"bench\",\"conns\":%d,\"pipeline\":%d,\"ops\":%" PRIu64 ",\"replies\":%" PRIu64
         ",\"errors\":%" PRIu64 ",\"seconds\":%.6f,\"ops_per_sec\":%.1f,\"latency\":%s}\n",
         o.conns, o.pipeline, completed, replies, errors, secs,
         secs > 0 ? static_cast<double>(completed) / secs : 0.0, lat.Json().c_str());
  fflush(stdout);
  if (o.hold) {
    // Keep the connections (and what they registered) until the caller has taken its
    // measurement, e.g. a callgrind dump that must not include the clean-up on close.
    char buf[256];
    while (read(0, buf, sizeof(buf)) > 0) {
    }
  }
  return 0;
}

// load: each connection sends `per_conn` operations ({i} = 0..per_conn-1) with up to `window`
// in flight, then reports. With `hold` the connections stay open, their input drained (a
// RESP3 member receives dispatches), until standard input reaches EOF: what they registered or
// joined lives exactly as long as the caller wants.
int RunLoad(const Options& o, const CommandTemplate& t) {
  std::vector<std::unique_ptr<Conn>> conns;
  std::string error;
  if (!OpenConns(o, o.port, o.conns, o.setup, &conns, &error)) return Fail(error);
  struct State {
    uint64_t sent = 0, acked = 0;
    size_t replies_in_op = 0;
  };
  std::vector<State> st(conns.size());
  Poller poller;
  Rng rng(o.seed);
  const size_t per_op = t.commands();
  uint64_t errors = 0, global = 0;
  const int64_t t0 = NowNs();
  const int64_t give_up = t0 + static_cast<int64_t>(o.timeout_s * 1e9);
  const uint64_t window = std::max<uint64_t>(1, o.window);

  auto refill = [&](size_t ci) -> bool {
    State& s = st[ci];
    Conn& c = *conns[ci];
    if (s.sent - s.acked > window / 2 || s.sent == o.per_conn) return true;
    while (s.sent < o.per_conn && s.sent - s.acked < window) {
      t.Append(&c.out(), {ci, s.sent++, o.keyspace ? rng.Next() % o.keyspace : 0, global++});
    }
    if (!c.Flush()) return false;
    poller.Modify(c.fd(), ci, c.wants_write());
    return true;
  };
  size_t unfinished = 0;
  for (size_t ci = 0; ci < conns.size(); ++ci) {
    poller.Add(conns[ci]->fd(), ci, false);
    if (!refill(ci)) return Fail("write failed");
    if (o.per_conn > 0) ++unfinished;
  }
  int64_t t_end = t0;
  while (unfinished > 0) {
    if (NowNs() > give_up) return Fail("load timed out");
    for (const epoll_event& ev : poller.Wait(1000)) {
      size_t ci = ev.data.u64;
      Conn& c = *conns[ci];
      State& s = st[ci];
      if (ev.events & EPOLLOUT) {
        if (!c.Flush()) return Fail("write failed");
        if (!c.wants_write()) poller.Modify(c.fd(), ci, false);
      }
      if (!(ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      if (!c.Fill()) return Fail("server closed connection " + std::to_string(ci));
      ScanResult r;
      bool was_done = s.acked == o.per_conn;
      while (c.NextReply(&r)) {
        if (r.is_error) ++errors;
        if (++s.replies_in_op == per_op) {
          s.replies_in_op = 0;
          ++s.acked;
        }
      }
      if (c.malformed()) return Fail("malformed reply");
      if (!was_done && s.acked == o.per_conn) {
        --unfinished;
        t_end = NowNs();
      }
      if (!refill(ci)) return Fail("write failed");
    }
  }
  uint64_t total = o.per_conn * conns.size();
  double secs = static_cast<double>(t_end - t0) / 1e9;
  printf("{\"mode\":\"load\",\"conns\":%zu,\"ops\":%" PRIu64 ",\"errors\":%" PRIu64
         ",\"start_ns\":%" PRId64 ",\"end_ns\":%" PRId64
         ",\"seconds\":%.6f,\"ops_per_sec\":%.1f}\n",
         conns.size(), total, errors, t0, t_end, secs,
         secs > 0 ? static_cast<double>(total) / secs : 0.0);
  fflush(stdout);
  if (!o.hold) return 0;

  // Hold: drain the connections until standard input closes.
  constexpr uint64_t kStdin = UINT64_MAX;
  poller.Add(0, kStdin, false);
  for (size_t ci = 0; ci < conns.size(); ++ci) poller.Modify(conns[ci]->fd(), ci, false);
  std::vector<bool> open(conns.size(), true);
  for (;;) {
    for (const epoll_event& ev : poller.Wait(-1)) {
      if (ev.data.u64 == kStdin) {
        char buf[256];
        if (read(0, buf, sizeof(buf)) <= 0) return 0;
        continue;
      }
      size_t ci = ev.data.u64;
      Conn& c = *conns[ci];
      if (!c.Fill()) {
        fprintf(stderr, "loadgen: held connection %zu was closed by the server\n", ci);
        poller.Remove(c.fd());
        open[ci] = false;
        continue;
      }
      ScanResult r;
      while (c.NextReply(&r)) {
      }
      if (c.malformed()) return Fail("malformed input on a held connection");
    }
  }
}

// latency: one operation at a time on `port`; a monitor connection on `monitor_port` (set up with
// monitor_setup, e.g. SUBSCRIBE __gevent__:*) must see one frame per operation. Reports the
// reply latency, the time from the write to the monitor's frame, and from the reply to the
// monitor's frame (clamped at 0; how often the frame came first is counted).
int RunLatency(const Options& o, const CommandTemplate& t) {
  Conn a, m;
  std::string error;
  if (!a.Connect(o.host, o.port, &error)) return Fail(error);
  for (const auto& w : o.setup) {
    if (!a.RunSetup(w, &error)) return Fail(error);
  }
  if (!m.Connect(o.host, o.monitor_port, &error)) return Fail(error);
  for (const auto& w : o.monitor_setup) {
    if (!m.RunSetup(w, &error)) return Fail(error);
  }
  Samples reply_lat, send_to_event, reply_to_event;
  uint64_t total = o.requests ? o.requests : 10000;
  reply_lat.Reserve(total);
  send_to_event.Reserve(total);
  reply_to_event.Reserve(total);
  uint64_t event_first = 0, extra_events = 0, errors = 0;
  Rng rng(o.seed);
  const size_t per_op = t.commands();
  for (uint64_t i = 0; i < total + static_cast<uint64_t>(o.warmup); ++i) {
    t.Append(&a.out(), {0, i, o.keyspace ? rng.Next() % o.keyspace : 0, i});
    int64_t ts = NowNs();
    if (!a.Flush()) return Fail("write failed");
    size_t replies_left = per_op;
    int64_t tr = 0, te = 0;
    bool got_event = false;
    const int64_t deadline = ts + 5000000000LL;
    while (replies_left > 0 || !got_event) {
      pollfd p[2] = {{a.fd(), static_cast<short>(POLLIN | (a.wants_write() ? POLLOUT : 0)), 0},
                     {m.fd(), POLLIN, 0}};
      int left = static_cast<int>((deadline - NowNs()) / 1000000);
      if (left <= 0 || poll(p, 2, left) <= 0) {
        return Fail("sample " + std::to_string(i) + ": no " +
                    (replies_left ? "reply" : "monitor event") + " within 5 s");
      }
      if (p[0].revents & POLLOUT && !a.Flush()) return Fail("write failed");
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        // Each socket is stamped when it is read, so a reply and an event that are both ready
        // keep their order.
        int64_t now = NowNs();
        if (!a.Fill()) return Fail("server closed the command connection");
        ScanResult r;
        while (replies_left > 0 && a.NextReply(&r)) {
          if (r.is_error) ++errors;
          if (--replies_left == 0) tr = now;
        }
      }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        int64_t now = NowNs();
        if (!m.Fill()) return Fail("server closed the monitor connection");
        ScanResult r;
        while (m.NextReply(&r)) {
          if (!got_event) {
            got_event = true;
            te = now;
          } else {
            ++extra_events;
          }
        }
      }
    }
    if (i < static_cast<uint64_t>(o.warmup)) continue;
    reply_lat.Add(tr - ts);
    send_to_event.Add(te - ts);
    if (te < tr) ++event_first;
    reply_to_event.Add(std::max<int64_t>(0, te - tr));
  }
  printf("{\"mode\":\"latency\",\"samples\":%" PRIu64 ",\"errors\":%" PRIu64
         ",\"event_before_reply\":%" PRIu64 ",\"extra_events\":%" PRIu64
         ",\"reply\":%s,\"send_to_event\":%s,\"reply_to_event\":%s}\n",
         total, errors, event_first, extra_events, reply_lat.Json().c_str(),
         send_to_event.Json().c_str(), reply_to_event.Json().c_str());
  fflush(stdout);
  return 0;
}

// fanout: `subs` subscriber connections (sub_setup, e.g. SUBSCRIBE __gevent__:fan/), one
// publisher sending `requests` operations with up to `window` in flight. Each operation must
// reach every subscriber as exactly one frame. Reports deliveries per second from the first
// write to the last delivery, and per-delivery latency from the operation's write.
int RunFanout(const Options& o, const CommandTemplate& t) {
  RaiseFileLimit();
  std::vector<std::unique_ptr<Conn>> subs;
  std::string error;
  if (!OpenConns(o, o.port, o.subs, o.sub_setup, &subs, &error)) return Fail(error);
  Conn pub;
  if (!pub.Connect(o.host, o.port, &error)) return Fail(error);
  for (const auto& w : o.setup) {
    if (!pub.RunSetup(w, &error)) return Fail(error);
  }
  const uint64_t n = o.requests;
  const size_t per_op = t.commands();
  std::vector<int64_t> send_ts(n, 0);
  std::vector<uint64_t> received(subs.size(), 0);
  Samples lat;
  lat.Reserve(n * subs.size());
  Poller poller;
  const uint64_t kPub = subs.size();
  for (size_t i = 0; i < subs.size(); ++i) poller.Add(subs[i]->fd(), i, false);
  poller.Add(pub.fd(), kPub, false);
  Rng rng(o.seed);
  uint64_t sent = 0, acked = 0, errors = 0, deliveries = 0, unexpected = 0;
  size_t replies_in_op = 0;
  size_t subs_done = 0;
  const uint64_t window = std::max<uint64_t>(1, o.window);
  auto refill = [&]() -> bool {
    if (sent - acked > window / 2 || sent == n) return true;
    while (sent < n && sent - acked < window) {
      t.Append(&pub.out(), {0, sent, o.keyspace ? rng.Next() % o.keyspace : 0, sent});
      send_ts[sent++] = NowNs();
    }
    if (!pub.Flush()) return false;
    poller.Modify(pub.fd(), kPub, pub.wants_write());
    return true;
  };
  const int64_t t0 = NowNs();
  const int64_t give_up = t0 + static_cast<int64_t>(o.timeout_s * 1e9);
  int64_t t_last = t0;
  uint64_t bytes_before = 0;
  for (auto& s : subs) bytes_before += s->bytes_read();
  if (!refill()) return Fail("write failed");
  while (subs_done < subs.size() || acked < n) {
    if (NowNs() > give_up) {
      return Fail("fanout timed out: " + std::to_string(deliveries) + " of " +
                  std::to_string(n * subs.size()) + " deliveries");
    }
    for (const epoll_event& ev : poller.Wait(1000)) {
      uint64_t tag = ev.data.u64;
      if (tag == kPub) {
        if ((ev.events & EPOLLOUT) && !pub.Flush()) return Fail("write failed");
        if (!(ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
          if (!pub.wants_write()) poller.Modify(pub.fd(), kPub, false);
          continue;
        }
        if (!pub.Fill()) return Fail("server closed the publisher");
        ScanResult r;
        while (pub.NextReply(&r)) {
          if (r.is_error) ++errors;
          if (++replies_in_op == per_op) {
            replies_in_op = 0;
            ++acked;
          }
        }
        if (!refill()) return Fail("write failed");
        continue;
      }
      Conn& c = *subs[tag];
      if (!c.Fill()) return Fail("server closed subscriber " + std::to_string(tag));
      int64_t now = NowNs();
      ScanResult r;
      while (c.NextReply(&r)) {
        uint64_t k = received[tag]++;
        if (k >= n) {
          ++unexpected;
          continue;
        }
        lat.Add(now - send_ts[k]);
        ++deliveries;
        t_last = now;
        if (k + 1 == n) ++subs_done;
      }
      if (c.malformed()) return Fail("malformed frame");
    }
  }
  uint64_t bytes = 0;
  for (auto& s : subs) bytes += s->bytes_read();
  bytes -= bytes_before;
  double secs = static_cast<double>(t_last - t0) / 1e9;
  printf("{\"mode\":\"fanout\",\"subs\":%zu,\"events\":%" PRIu64 ",\"deliveries\":%" PRIu64
         ",\"unexpected\":%" PRIu64 ",\"errors\":%" PRIu64
         ",\"seconds\":%.6f,\"deliveries_per_sec\":%.1f,\"frame_bytes_avg\":%.1f,\"latency\":%s}\n",
         subs.size(), n, deliveries, unexpected, errors, secs,
         secs > 0 ? static_cast<double>(deliveries) / secs : 0.0,
         deliveries ? static_cast<double>(bytes) / static_cast<double>(deliveries) : 0.0,
         lat.Json().c_str());
  fflush(stdout);
  return 0;
}

}  // namespace groupd::loadgen
