// gate: a TCP relay that models a partition that heals. Until it is opened it accepts
// connections and holds them without reading (the dialing node's handshake simply waits, as
// it would behind a dead route); "open" on standard input connects every held connection to the
// upstream port and relays bytes both ways from then on, so the link comes up at once instead of
// after the dialer's reconnect back-off. Standard input reaching EOF ends the gate.
//
// Protocol on stdout: "listening <port>" once bound, "open <CLOCK_MONOTONIC ns>" once every
// held connection is relayed.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tools/loadgen/conn.h"
#include "tools/loadgen/modes.h"

namespace groupd::loadgen {

namespace {

constexpr size_t kPipeCap = 4 << 20;

// One direction of a relayed connection.
struct Pipe {
  int from = -1, to = -1;
  std::string buf;
  size_t pos = 0;
  bool eof = false;
};

// A relayed connection: two pipes over two sockets.
struct Relay {
  int down = -1, up = -1;  // The dialer's socket and ours to the upstream.
  Pipe d2u, u2d;
  bool closed = false;
};

int ConnectUpstream(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  SetNonBlocking(fd);
  return fd;
}

// Moves bytes along one pipe. Returns false when the relay must close.
bool Pump(Pipe& p) {
  while (!p.eof && p.buf.size() - p.pos < kPipeCap) {
    char chunk[65536];
    ssize_t n = read(p.from, chunk, sizeof(chunk));
    if (n > 0) {
      p.buf.append(chunk, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    p.eof = true;
  }
  while (p.pos < p.buf.size()) {
    ssize_t n = write(p.to, p.buf.data() + p.pos, p.buf.size() - p.pos);
    if (n > 0) {
      p.pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;
  }
  if (p.pos == p.buf.size()) {
    p.buf.clear();
    p.pos = 0;
  }
  return !(p.eof && p.buf.empty());
}

}  // namespace

int RunGate(const Options& o) {
  Poller poller;
  int lfd = Serve(o.host, o.listen_port, "gate", &poller);
  if (lfd < 0) return 1;
  std::vector<int> held;
  std::vector<std::unique_ptr<Relay>> relays;
  bool opened = false;

  auto start_relay = [&](int down) {
    int up = ConnectUpstream(o.host, o.upstream_port);
    if (up < 0) {
      fprintf(stderr, "loadgen gate: cannot reach upstream port %d\n", o.upstream_port);
      close(down);
      return;
    }
    auto r = std::make_unique<Relay>();
    r->down = down;
    r->up = up;
    r->d2u.from = down;
    r->d2u.to = up;
    r->u2d.from = up;
    r->u2d.to = down;
    uint64_t tag = relays.size();
    poller.Add(down, tag * 2, false);
    poller.Add(up, tag * 2 + 1, false);
    relays.push_back(std::move(r));
  };
  auto update_interest = [&](Relay& r, uint64_t tag) {
    poller.Set(r.down, tag * 2, r.d2u.buf.size() < kPipeCap, !r.u2d.buf.empty());
    poller.Set(r.up, tag * 2 + 1, r.u2d.buf.size() < kPipeCap, !r.d2u.buf.empty());
  };

  for (;;) {
    for (const epoll_event& ev : poller.Wait(-1)) {
      uint64_t tag = ev.data.u64;
      if (tag == kListenTag) {
        int fd = AcceptClient(lfd);
        if (fd < 0) continue;
        if (opened) {
          start_relay(fd);
        } else {
          held.push_back(fd);
        }
        continue;
      }
      if (tag == kStdinTag) {
        char buf[256];
        ssize_t n = read(0, buf, sizeof(buf));
        if (n <= 0) return 0;
        if (!opened && std::string(buf, static_cast<size_t>(n)).find("open") != std::string::npos) {
          opened = true;
          for (int fd : held) start_relay(fd);
          held.clear();
          printf("open %" PRId64 "\n", NowNs());
          fflush(stdout);
        }
        continue;
      }
      uint64_t rt = tag / 2;
      Relay& r = *relays[rt];
      if (r.closed) continue;
      bool ok = Pump(r.d2u) && Pump(r.u2d);
      if (!ok) {
        poller.Remove(r.down);
        poller.Remove(r.up);
        close(r.down);
        close(r.up);
        r.closed = true;
        continue;
      }
      update_interest(r, rt);
    }
  }
}

}  // namespace groupd::loadgen
