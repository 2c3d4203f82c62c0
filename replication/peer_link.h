#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "protocol/peer_frame.h"
#include "replication/peer_receiver.h"
#include "server/server.h"
#include "server/uv_loop.h"

namespace groupd::replication {

class Replication;

// One TCP link to a peer node.
//
// Life: Start() sends HELLO; the peer's HELLO and AUTH prove it knows the cluster secret
// (HMAC-SHA256 over our random nonce; the secret never crosses the wire). Once both check out
// the link is up: it sends the named clusters and known peers, then a snapshot of this node's
// own entries for every cluster both sides are in, then streams changes in batches. A link is
// closed on any malformed frame, handshake refusal, heartbeat timeout or busy output buffer.
//
// Owned by Replication; Close() only marks it dead, and Replication frees it on its next tick,
// so a link never deletes itself inside one of its own callbacks. Loop thread only.
class PeerLink : private PeerReceiver::Sender {
 public:
  PeerLink(Replication& repl, std::unique_ptr<uvw::TcpStream> stream, bool outbound,
           std::string dial_addr);
  ~PeerLink();

  void Start();

  bool up() const { return up_; }
  bool dead() const { return dead_; }
  bool outbound() const { return outbound_; }
  const std::string& dial_addr() const { return dial_addr_; }
  const std::string& peer_name() const { return peer_name_; }
  const std::string& peer_incarnation() const { return peer_incarnation_; }
  const std::string& peer_addr() const { return peer_addr_; }
  NodeId node() const { return receiver_.node(); }
  void set_node(NodeId node) { receiver_.set_node(node); }
  bool InCluster(std::string_view cluster) const { return receiver_.InCluster(cluster); }
  const PeerReceiver::ClusterSet& peer_clusters() const { return receiver_.peer_clusters(); }
  const LinkStats& stats() const { return stats_; }
  size_t pending_bytes() const;

  // Queues one of this node's changes (an event with origin kLocalNode) for the next batch.
  void QueueOp(const Event& event);
  void SendClusters();
  void SendPeers();
  void SendDispatch(std::string_view cluster, std::string_view group, std::string_view message);
  void SendPublish(std::string_view channel, std::string_view payload);
  void SendLeaving();
  // Queues a snapshot of this node's entries in cluster for the peer.
  void StartSnapshot(const std::string& cluster);

  // Writes everything queued this loop turn as frames. Returns false if the link was closed
  // because its output passed peer-output-buffer-limit (the busy case).
  bool Flush();
  // Heartbeats, timeouts and snapshot progress.
  void Tick(int64_t now_ms);
  // Produces the next snapshot chunk if one is due and the socket keeps up.
  enum class Pump { kIdle, kMore, kBlocked };
  Pump PumpSnapshot();

  // Closes the link. reason is what the peer's entries get if this was its only link;
  // quiet closes (duplicates) never touch entries.
  void Close(Reason reason, bool quiet = false);
  bool busy_closed() const { return busy_closed_; }

 private:
  struct SnapshotSend {
    std::string cluster;
    size_t shard = 0;
    bool began = false;
    // Walks of the shard's registry, then of its groups. A walk spread over chunks sends every
    // entry that stays once, whatever rebuilds its table goes through (KeyedTable::Scan).
    RegistryTable::ScanCursor registry;
    GroupTable::ScanCursor groups;
    // Inside the group the groups walk stopped at (groups.at): the next pid to send.
    std::string member_cursor;
  };

  void OnData(std::string_view data);
  bool HandleFrame(protocol::PeerFrameType type, std::string_view payload);
  bool HandleHello(std::string_view payload);
  bool HandleAuth(std::string_view payload);
  // PeerReceiver::Sender.
  void PeerJoinedCluster(const std::string& cluster) override { StartSnapshot(cluster); }
  void Reject(const std::string& why);
  void BecomeUp();
  void CloseBatch();
  std::string Mac(std::string_view nonce, std::string_view name,
                  std::string_view incarnation) const;

  Replication& repl_;
  Server& server_;
  std::unique_ptr<uvw::TcpStream> stream_;
  const bool outbound_;
  const std::string dial_addr_;
  std::string in_;
  std::string out_;          // Frames written this loop turn.
  protocol::PeerWriter writer_;
  bool batch_open_ = false;  // A kBatch frame is open at the end of out_.
  size_t batch_ops_ = 0;

  std::string nonce_;  // Ours, sent in HELLO.
  bool hello_received_ = false;
  bool up_ = false;
  bool dead_ = false;
  bool busy_closed_ = false;
  bool leaving_ = false;
  bool drain_wait_ = false;  // Waiting for the socket to drain before the next chunk.
  std::string peer_name_, peer_incarnation_, peer_addr_, peer_nonce_;
  bool peer_has_secret_ = false;
  int64_t created_ms_;
  int64_t last_rx_ms_;
  int64_t last_tx_ms_;
  LinkStats stats_;
  std::deque<SnapshotSend> snapshots_;
  PeerReceiver receiver_;  // After stats_, which it counts into.
};

}  // namespace groupd::replication
