#pragma once

#include <memory>

#include "server/server.h"
#include "server/uv_loop.h"

namespace groupd::replication {

// The peer port and everything that crosses it: discovery, links, snapshots, batched changes,
// failure detection and conflict resolution. Loop thread only.
class Replication {
 public:
  Replication(Server& server, uvw::Loop& loop);
  ~Replication();

  // Listens on the peer port and dials the seeds. Returns false (and logs) on failure.
  bool Start();
  int peer_port() const;

  // Tells every peer this node is leaving, so they drop its entries at once.
  void Shutdown();

 private:
  Server& server_;
  uvw::Loop& loop_;
  std::unique_ptr<uvw::TcpListener> listener_;
};

}  // namespace groupd::replication
