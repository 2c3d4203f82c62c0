#include "replication/peer_receiver.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "server/log.h"
#include "server/pubsub.h"

namespace groupd::replication {

using protocol::PeerFrameType;
using protocol::PeerReader;

void WriteMeta(protocol::PeerWriter& w, MetaView meta) { w.Raw(meta.Encoded()); }

Meta ReadMeta(PeerReader& r) {
  Meta meta;
  size_t used = Meta::Decode(r.Rest(), &meta);
  if (used == 0) {
    r.Fail();
  } else {
    r.Skip(used);
  }
  return meta;
}

bool PeerReceiver::Handles(PeerFrameType type) {
  switch (type) {
    case PeerFrameType::kClusters:
    case PeerFrameType::kBatch:
    case PeerFrameType::kSnapshotBegin:
    case PeerFrameType::kSnapshotChunk:
    case PeerFrameType::kSnapshotEnd:
    case PeerFrameType::kDispatch:
    case PeerFrameType::kPublish:
      return true;
    default:
      return false;
  }
}

bool PeerReceiver::Handle(PeerFrameType type, std::string_view payload) {
  PeerReader r(payload);
  switch (type) {
    case PeerFrameType::kClusters:
      return HandleClusters(r);
    case PeerFrameType::kBatch:
      return HandleBatch(r);
    case PeerFrameType::kSnapshotBegin:
      return HandleSnapshotBegin(r);
    case PeerFrameType::kSnapshotChunk:
      return HandleSnapshotChunk(r);
    case PeerFrameType::kSnapshotEnd:
      return HandleSnapshotEnd(r);
    case PeerFrameType::kDispatch: {
      std::string_view cluster = r.Str(), group = r.Str(), message = r.Str();
      if (!r.ok()) return false;
      if (ClusterState* cl = server_.FindCluster(cluster)) {
        server_.DispatchLocal(*cl, group, message);
      }
      return true;
    }
    case PeerFrameType::kPublish: {
      std::string_view channel = r.Str(), message = r.Str();
      if (!r.ok()) return false;
      server_.pubsub().Publish(channel, message, server_);
      return true;
    }
    default:
      return false;
  }
}

bool PeerReceiver::HandleClusters(PeerReader& r) {
  ClusterSet now;
  uint64_t n = r.Var();
  for (uint64_t i = 0; i < n && r.ok(); i++) now.emplace(r.Str());
  if (!r.ok()) return false;
  ClusterSet before = std::exchange(peer_clusters_, now);
  for (const auto& c : now) {
    if (!before.count(c) && server_.FindCluster(c) != nullptr) {
      GD_LOG_VERBOSE("peer joined cluster '{}': sending snapshot", c);
      sender_.PeerJoinedCluster(c);
    }
  }
  for (const auto& c : before) {
    if (now.count(c)) continue;
    if (auto it = receiving_.find(c); it != receiving_.end()) receiving_.erase(it);
    if (ClusterState* cl = server_.FindCluster(c)) {
      applier_.RemoveNode(node_, Reason::kClusterDisconnect, cl);
    }
  }
  return true;
}

uint32_t PeerReceiver::ReceivingMark(std::string_view cluster) const {
  auto it = receiving_.find(cluster);
  return it == receiving_.end() ? 0 : it->second.mark;
}

// One change of a batch, decoded.
struct BatchOp {
  uint8_t op = 0;
  std::string_view cluster, pid;
  HashedKey key{std::string_view()};  // Hashed once: for the prefetch, then the applier.
  int64_t time_us = 0;
  uint8_t reason = 0;
  Meta meta;
  ClusterState* cl = nullptr;  // Null when this node is not in the cluster.
};

namespace {

// Decodes the next change of a batch; false when it is malformed.
bool ReadBatchOp(PeerReader& r, Server& server, BatchOp* b) {
  b->op = r.U8();
  b->cluster = r.Str();
  std::string_view key = r.Str();
  b->pid = r.Str();
  b->time_us = r.I64();
  b->reason = r.U8();
  b->meta = (b->op == kOpRegister || b->op == kOpJoin) ? ReadMeta(r) : Meta();
  if (!r.ok() || b->op < kOpRegister || b->op > kOpLeave ||
      b->reason > static_cast<uint8_t>(Reason::kShutdown) || key.empty()) {
    return false;
  }
  b->key = HashedKey(key);
  b->cl = server.FindCluster(b->cluster);
  return true;
}

}  // namespace

bool PeerReceiver::HandleBatch(PeerReader& r) {
  stats_.batches_received++;
  if (r.done()) return true;
  // Each change is decoded one ahead of the one applied, and its key's table slot starts loading
  // meanwhile: in a large table that cache miss was a third of the time a join took to apply.
  // (Applying a change never connects or disconnects a cluster, so the next one's lookup holds.)
  BatchOp cur, next;
  if (!ReadBatchOp(r, server_, &cur)) return false;
  while (true) {
    bool more = !r.done();
    bool next_ok = more && ReadBatchOp(r, server_, &next);
    if (next_ok && next.cl != nullptr) {
      bool registry = next.op == kOpRegister || next.op == kOpUnregister;
      next.cl->Prefetch(registry ? KeyTable::kRegistry : KeyTable::kGroups, next.key);
    }
    Apply(cur);
    if (!more) return true;
    if (!next_ok) return false;
    std::swap(cur, next);
  }
}

void PeerReceiver::Apply(BatchOp& b) {
  stats_.ops_received++;
  if (b.cl == nullptr) return;  // Never store entries of a cluster this node is not in.
  ClusterState& cl = *b.cl;
  switch (b.op) {
    case kOpRegister:
      applier_.Register(node_, cl, b.key, b.pid, b.time_us, std::move(b.meta), false,
                        ReceivingMark(b.cluster));
      break;
    case kOpUnregister:
      applier_.Unregister(node_, cl, b.key, b.pid, static_cast<Reason>(b.reason));
      break;
    case kOpJoin:
      applier_.Join(node_, cl, b.key, b.pid, std::move(b.meta), false, ReceivingMark(b.cluster));
      break;
    case kOpLeave:
      applier_.Leave(node_, cl, b.key, b.pid, static_cast<Reason>(b.reason));
      break;
  }
}

bool PeerReceiver::HandleSnapshotBegin(PeerReader& r) {
  std::string_view cluster = r.Str();
  if (!r.ok()) return false;
  ClusterState* cl = server_.FindCluster(cluster);
  if (cl == nullptr) return true;
  auto it = receiving_.find(cluster);
  if (it == receiving_.end()) it = receiving_.emplace(std::string(cluster), Receiving{}).first;
  Receiving& rx = it->second;
  rx.mark = applier_.NextSnapshotMark();
  rx.diff = false;
  for (const Shard& shard : cl->shards) {
    if (NodeEntries(shard, node_) > 0 || !shard.shadows.empty()) rx.diff = true;
  }
  // The sender may say how many registrations follow (older senders do not). A receiver that
  // holds none of the peer's yet makes room for them: a registry then grows once instead of at
  // each step on the way (a heal of 500k + 500k rehashed every entry about four times). Capped,
  // so a wrong count costs little; done one shard per chunk (HandleSnapshotChunk).
  rx.reserve_per_shard = 0;
  rx.next_reserve = 0;
  if (!r.Rest().empty()) {
    uint64_t registrations = r.Var();
    if (!r.ok()) return false;
    if (!rx.diff && registrations > 0) {
      rx.reserve_per_shard =
          std::min<uint64_t>(registrations / cl->shards.size() + 1, kMaxReservePerShard);
    }
  }
  return true;
}

bool PeerReceiver::HandleSnapshotChunk(PeerReader& r) {
  std::string_view cluster = r.Str();
  if (!r.ok()) return false;
  ClusterState* cl = server_.FindCluster(cluster);
  uint32_t mark = 0;
  if (auto it = receiving_.find(cluster); it != receiving_.end()) {
    Receiving& rx = it->second;
    mark = rx.mark;
    if (cl != nullptr && rx.reserve_per_shard > 0 && rx.next_reserve < cl->shards.size()) {
      Shard& shard = cl->shards[rx.next_reserve++];
      shard.registry.Reserve(shard.registry.size() + rx.reserve_per_shard);
    }
  }
  while (!r.done()) {
    uint8_t kind = r.U8();
    std::string_view key = r.Str(), pid = r.Str();
    int64_t time_us = r.I64();
    Meta meta = ReadMeta(r);
    if (!r.ok() || (kind != 'r' && kind != 'g') || key.empty()) return false;
    if (cl == nullptr) continue;
    if (kind == 'r') {
      applier_.Register(node_, *cl, key, pid, time_us, std::move(meta), true, mark);
    } else {
      applier_.Join(node_, *cl, key, pid, std::move(meta), true, mark);
    }
  }
  return true;
}

bool PeerReceiver::HandleSnapshotEnd(PeerReader& r) {
  std::string_view cluster = r.Str();
  if (!r.ok()) return false;
  auto it = receiving_.find(cluster);
  if (it == receiving_.end()) return true;
  Receiving rx = it->second;
  receiving_.erase(it);
  stats_.snapshots_received++;
  ClusterState* cl = server_.FindCluster(cluster);
  if (cl == nullptr || !rx.diff) return true;
  // Whatever this node held from the peer that its snapshot no longer has is gone: the peer's
  // entries and shadowed claims without this snapshot's mark.
  std::vector<std::pair<std::string, Pid>> regs, members, shadows;
  for (auto& shard : cl->shards) {
    if (NodeEntries(shard, node_) > 0) {
      for (auto&& [key, e] : shard.registry) {
        if (e.node == node_ && e.snapshot_mark != rx.mark) regs.emplace_back(key, e.pid);
      }
      for (auto&& [name, g] : shard.groups) {
        for (auto& [pid, m] : g.members) {
          if (m.node == node_ && m.snapshot_mark != rx.mark) members.emplace_back(name, pid);
        }
      }
    }
    for (auto& [key, claims] : shard.shadows) {
      for (auto& c : claims) {
        const RegEntry& e = c.entry;
        if (e.node == node_ && e.snapshot_mark != rx.mark) shadows.emplace_back(key, e.pid);
      }
    }
  }
  for (auto& [key, pid] : shadows) RemoveShadow(cl->ShardFor(key), key, pid);
  for (auto& [key, pid] : regs) applier_.Unregister(node_, *cl, key, pid, Reason::kNodeDown);
  for (auto& [g, pid] : members) applier_.Leave(node_, *cl, g, pid, Reason::kNodeDown);
  GD_LOG_VERBOSE("snapshot of cluster '{}' applied ({} stale removed)", cluster,
                 regs.size() + members.size());
  return true;
}

}  // namespace groupd::replication
