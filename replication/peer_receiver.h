#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "protocol/peer_frame.h"
#include "replication/applier.h"
#include "server/server.h"

namespace groupd::replication {

struct BatchOp;

// Per-link counters for INFO.
struct LinkStats {
  uint64_t bytes_sent = 0, bytes_received = 0;
  uint64_t ops_sent = 0, ops_received = 0;
  uint64_t batches_sent = 0, batches_received = 0;
  uint64_t snapshots_sent = 0, snapshots_received = 0;
};

// The receiving half of an up peer link: applies the peer's change batches and snapshots to this
// node's view (through the Applier), follows the named clusters the peer is in, and delivers
// its dispatches and publishes locally. It owns no socket, so the link feeds it decoded frames
// and a fuzz target can drive exactly this code.
class PeerReceiver {
 public:
  // What receiving asks of the link's sending half.
  class Sender {
   public:
    virtual ~Sender() = default;
    // The peer joined cluster, which this node is in: send it this node's entries.
    virtual void PeerJoinedCluster(const std::string& cluster) = 0;
  };

  PeerReceiver(Server& server, Applier& applier, Sender& sender, LinkStats& stats)
      : server_(server), applier_(applier), sender_(sender), stats_(stats) {}

  NodeId node() const { return node_; }
  void set_node(NodeId node) { node_ = node; }

  // The clusters the peer announced in its HELLO.
  using ClusterSet = std::set<std::string, std::less<>>;
  void SetPeerClusters(ClusterSet clusters) { peer_clusters_ = std::move(clusters); }
  const ClusterSet& peer_clusters() const { return peer_clusters_; }
  bool InCluster(std::string_view cluster) const {
    return cluster.empty() || peer_clusters_.count(cluster) > 0;
  }

  // True for the frame types Handle() takes.
  static bool Handles(protocol::PeerFrameType type);
  // Applies one frame of such a type. Returns false when the payload is malformed (the link
  // must close); what was applied before the fault stays applied.
  bool Handle(protocol::PeerFrameType type, std::string_view payload);

  // Snapshots being received: one per cluster at most.
  size_t snapshots_in_progress() const { return receiving_.size(); }

  // The most registrations per shard a snapshot's announced count makes room for at once.
  static constexpr uint64_t kMaxReservePerShard = uint64_t{1} << 20;

 private:
  bool HandleClusters(protocol::PeerReader& r);
  bool HandleBatch(protocol::PeerReader& r);
  void Apply(BatchOp& b);
  bool HandleSnapshotBegin(protocol::PeerReader& r);
  bool HandleSnapshotChunk(protocol::PeerReader& r);
  bool HandleSnapshotEnd(protocol::PeerReader& r);
  // The mark entries of cluster from this peer get while its snapshot is received, else 0.
  uint32_t ReceivingMark(std::string_view cluster) const;

  Server& server_;
  Applier& applier_;
  Sender& sender_;
  LinkStats& stats_;
  NodeId node_ = kLocalNode;
  ClusterSet peer_clusters_;
  // Snapshots being received, by cluster. Every entry the snapshot (or a change since its start)
  // carries gets `mark` as its snapshot_mark, so SNAPSHOT_END removes exactly the peer's entries
  // without it. `diff` is false when this node held nothing of the peer's in the cluster at the
  // start (a fresh link: the usual case), and then there is nothing to remove or scan.
  struct Receiving {
    uint32_t mark = 0;
    bool diff = false;
    // Registrations per shard to make room for, one shard per chunk (so the rebuilds spread
    // over loop turns as growth's would), and the next shard to do.
    uint64_t reserve_per_shard = 0;
    size_t next_reserve = 0;
  };
  std::map<std::string, Receiving, std::less<>> receiving_;
};

// The record layouts of the peer protocol's change stream, shared by the sender (PeerLink) and
// the receiver so there is one definition of each.
enum OpCode : uint8_t { kOpRegister = 1, kOpUnregister = 2, kOpJoin = 3, kOpLeave = 4 };

// Meta travels in its own encoded form (server/meta.h): writing is one append, reading one
// bounds check and copy. A null meta is written as an empty one.
void WriteMeta(protocol::PeerWriter& w, MetaView meta);
Meta ReadMeta(protocol::PeerReader& r);

}  // namespace groupd::replication
