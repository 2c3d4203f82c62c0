#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/server.h"
#include "server/tls.h"
#include "server/uv_loop.h"

namespace groupd {

class Connection;

// The client ports: accepts connections on the plain port and, with tls-port, on the TLS port,
// feeds their bytes through the RESP parser into the Server, and flushes every pending client
// once per loop turn. Both kinds of connection are the same to everything past the stream.
// Loop thread only.
class Network {
 public:
  Network(Server& server, uvw::Loop& loop);
  ~Network();

  // Listens on bind:port, and on bind:tls-port when it is set (loading the certificates).
  // Returns false (and logs) on failure.
  bool Start();
  int port() const;
  int tls_port() const;  // 0 without a TLS port.

  // Closes every client (their entries go with the given reason) and stops listening.
  void CloseAll(Reason reason);

  // Called by a Connection when its socket is gone; frees it.
  void Remove(Connection* conn);

  // Called by a Connection that read a request: the loop keeps polling without sleeping for a
  // short while (see spin_), so the next requests of busy clients are picked up in one turn
  // instead of one sleep and wake-up each.
  void NoteActivity();
  // The loop turn now running (see FlushPending), for Client::input_turn.
  uint64_t turn() const { return turn_; }

 private:
  void Accept(std::unique_ptr<uvw::TcpStream> stream);
  void FlushPending();
  void Spin();
  void StepRehash();
  static constexpr size_t kPushFlushBytes = 64 * 1024;
  static constexpr uint64_t kQuietNs = 20 * 1000;

  Server& server_;
  uvw::Loop& loop_;
  std::unique_ptr<uvw::TlsContext> tls_;  // Declared before the listener that uses it.
  std::unique_ptr<uvw::TcpListener> listener_;
  std::unique_ptr<uvw::TcpListener> tls_listener_;
  uvw::Prepare prepare_;
  uvw::Timer cron_;
  // Under load, sleeping in epoll_wait after every turn costs more than the turn (PING at P16
  // made three times Redis's context switches). While requests keep coming, an idle handle
  // makes the loop poll without sleeping; it stops once none came for busy-poll-us.
  uvw::Idle spin_;
  // While the cron leaves a table rebuild under way, an idle handle moves it along by at most
  // kRehashStepUs each loop turn, so it ends within about a second of idle time rather than the
  // cron's 1 ms per 100 ms (a 10M-entry node's last growth step: tens of seconds), and
  // lookups stop probing two arrays.
  static constexpr uint64_t kRehashStepUs = 100;
  uvw::Idle rehash_;
  uint64_t last_activity_ns_ = 0;
  // Loop turns, counted by FlushPending(); input_turn_ is the last one in which a client sent
  // bytes. Push-only output held back while input keeps coming waits since pushes_since_ns_
  // (0: none waits), at most push-coalesce-us: a subscriber then gets one write per stretch of
  // busy turns, as Redis's longer turns give it, instead of a write (and a wake-up of its
  // reader) per turn.
  uint64_t turn_ = 1;
  uint64_t input_turn_ = 0;
  uint64_t pushes_since_ns_ = 0;
  std::vector<Client*> held_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
};

}  // namespace groupd
