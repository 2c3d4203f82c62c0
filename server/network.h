#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "server/server.h"
#include "server/uv_loop.h"

namespace groupd {

class Connection;

// The client port: accepts connections, feeds their bytes through the RESP parser into the
// Server, and flushes every pending client once per loop turn. Loop thread only.
class Network {
 public:
  Network(Server& server, uvw::Loop& loop);
  ~Network();

  // Listens on bind:port. Returns false (and logs) on failure.
  bool Start();
  int port() const;

  // Closes every client (their entries go with the given reason) and stops listening.
  void CloseAll(Reason reason);

  // Called by a Connection when its socket is gone; frees it.
  void Remove(Connection* conn);

 private:
  void Accept(std::unique_ptr<uvw::TcpStream> stream);
  void FlushPending();

  Server& server_;
  uvw::Loop& loop_;
  std::unique_ptr<uvw::TcpListener> listener_;
  uvw::Prepare prepare_;
  uvw::Timer cron_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
};

}  // namespace groupd
