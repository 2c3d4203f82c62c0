#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "replication/applier.h"
#include "replication/conflict_policy.h"
#include "server/server.h"
#include "server/tls.h"
#include "server/uv_loop.h"

namespace groupd::replication {

class PeerLink;

// Counters for INFO's replication section.
struct ReplicationStats {
  uint64_t links_up = 0;
  uint64_t links_down = 0;
  uint64_t handshakes_refused = 0;
  uint64_t snapshots_sent = 0;
  uint64_t snapshots_received = 0;
  uint64_t busy_disconnects = 0;
  uint64_t malformed_frames = 0;
};

// The peer port and everything that crosses it: discovery (seeds, gossip of known peers, DNS
// re-resolution), links with a challenge-response handshake, snapshots on link up, batched
// change streams, heartbeats and failure detection, named-cluster scoping, dispatch and publish
// forwarding, and registry conflict resolution (through Applier). Loop thread only.
class Replication : public EventListener {
 public:
  Replication(Server& server, uvw::Loop& loop);
  ~Replication() override;

  // Listens on the peer port and dials the seeds. Returns false (and logs) on failure.
  bool Start();
  int peer_port() const;

  // Tells every peer this node is leaving, so they drop its entries at once (reason shutdown).
  void Shutdown();

  // EventListener: queues this node's own changes for the peers connected to their cluster.
  void OnEvent(const Event& event) override;

  // INFO replication section body.
  std::string InfoSection() const;

  // --- Used by PeerLink ----------------------------------------------------------------------
  Server& server() { return server_; }
  uvw::Loop& loop() { return loop_; }
  Applier& applier() { return applier_; }
  ReplicationStats& stats() { return stats_; }
  const std::string& advertised_address() const { return advertised_; }
  // A link finished its handshake with a peer. Returns false when this link is a duplicate that
  // must close (another link to the same node is kept).
  bool LinkUp(PeerLink* link);
  // A link is gone. Its node is down unless another link to it is up.
  void LinkClosed(PeerLink* link, Reason reason);
  // The peer named these addresses as nodes it knows: dial the new ones.
  void LearnPeers(const std::vector<std::pair<std::string, std::string>>& peers);
  // A link found its other end is this node: never dial that address again.
  void MarkSelfAddress(const std::string& addr);
  // Makes the loop produce the next snapshot chunks on its next turn.
  void SchedulePump();

  // The list of (name, peer address) of this node and every up peer.
  std::vector<std::pair<std::string, std::string>> KnownPeers() const;

 private:
  struct Target {
    std::string addr;  // host:port
    int64_t next_attempt_ms = 0;
    int64_t backoff_ms = 100;
    bool connecting = false;
    bool self = false;
    int busy_retries_left = -1;  // >= 0 while retrying after a busy disconnect.
  };

  void Accept(std::unique_ptr<uvw::TcpStream> stream);
  void Tick();
  void Dial(Target& t);
  void ResolveSeeds();
  void AddTarget(const std::string& addr);
  void FlushAll();
  void Remove(PeerLink* link);
  std::vector<PeerLink*> UpLinks() const;

  Server& server_;
  uvw::Loop& loop_;
  Applier applier_;
  ReplicationStats stats_;
  // With tls-replication: the peer port accepts only TLS, and dialed links use it. Declared
  // before the listener that uses it.
  std::unique_ptr<uvw::TlsContext> tls_;
  std::unique_ptr<uvw::TcpListener> listener_;
  std::unique_ptr<uvw::Timer> tick_;
  std::unique_ptr<uvw::Prepare> prepare_;
  std::unique_ptr<uvw::Timer> pump_;  // Zero-delay timer: keeps the loop turning while
                                      // snapshot chunks remain.
  bool pump_scheduled_ = false;
  std::string advertised_;
  std::map<std::string, Target> targets_;  // By address.
  std::vector<std::string> dns_seeds_;     // host:port seeds given by name.
  int64_t next_resolve_ms_ = 0;
  std::vector<std::unique_ptr<PeerLink>> links_;
  // Up links by peer node name.
  std::map<std::string, PeerLink*, std::less<>> up_;
  bool shutting_down_ = false;
};

}  // namespace groupd::replication
