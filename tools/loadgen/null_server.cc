// null: a server that does no work. It frames each RESP request and answers +OK, nothing more:
// no command lookup, no data, one read and one write per batch of requests, like any epoll
// server. Run with the same load tool and command as Redis, its rate is the ceiling of what any
// server reaches on this machine's sockets, so a ratio to Redis above (null / Redis) is out of
// reach for every server, however little work it does (see docs/BENCHMARKS.md).
//
// Protocol on stdout: "listening <port>" once bound. Standard input reaching EOF ends it. A
// connection that sends something other than RESP frames (an inline command) is closed.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "tools/loadgen/conn.h"
#include "tools/loadgen/modes.h"

namespace groupd::loadgen {

int RunNull(const Options& o) {
  Poller poller;
  int lfd = Serve(o.host, o.listen_port, "null", &poller);
  if (lfd < 0) return 1;
  struct Client {
    Conn conn;
    bool want_write = false;  // Registered for EPOLLOUT: some output waits for room.
  };
  std::unordered_map<int, std::unique_ptr<Client>> clients;  // By descriptor, the epoll tag.
  static constexpr char kOk[] = "+OK\r\n";

  for (;;) {
    for (const epoll_event& ev : poller.Wait(-1)) {
      uint64_t tag = ev.data.u64;
      if (tag == kListenTag) {
        int fd = AcceptClient(lfd);
        if (fd < 0) continue;
        auto c = std::make_unique<Client>();
        c->conn.Adopt(fd);
        poller.Add(fd, static_cast<uint64_t>(fd), false);
        clients[fd] = std::move(c);
        continue;
      }
      if (tag == kStdinTag) {
        char buf[256];
        if (read(0, buf, sizeof(buf)) <= 0) return 0;
        continue;
      }
      int fd = static_cast<int>(tag);
      Client& client = *clients[fd];
      Conn& c = client.conn;
      bool ok = true;
      if (ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        ok = c.Fill();
        ScanResult r;
        while (c.NextReply(&r)) c.out().append(kOk, sizeof(kOk) - 1);
        ok = ok && !c.malformed();
      }
      ok = ok && c.Flush();
      if (!ok) {
        poller.Remove(fd);
        clients.erase(fd);  // Closes the socket.
        continue;
      }
      // Only a change of interest costs a system call: a reply that fits the socket (the usual
      // case) leaves the registration as it is.
      if (c.wants_write() != client.want_write) {
        client.want_write = c.wants_write();
        poller.Modify(fd, tag, client.want_write);
      }
    }
  }
}

}  // namespace groupd::loadgen
