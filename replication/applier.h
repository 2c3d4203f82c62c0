#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "replication/conflict_policy.h"
#include "server/server.h"

namespace groupd::replication {

// Applies changes made on other nodes to this node's view, with events. Idempotent: applying a
// change twice, or a snapshot entry that is already held unchanged, emits nothing. Registry
// conflicts are settled here with the policy; when the loser is a local process, this node
// evicts it (the loser's own node is the only one that does).
class Applier {
 public:
  Applier(Server& server, ConflictPolicy policy) : server_(server), policy_(std::move(policy)) {}

  // from_snapshot: an entry already held unchanged emits nothing (a resync shows only real
  // changes); a live re-registration with the same meta emits its event, as it did on the owner.
  // mark (nonzero while a snapshot of cl from node is being received) is stored in the entry or
  // claim as its snapshot_mark, so the snapshot's end can tell what the peer no longer has.
  // Keys come as a HashedKey, so a caller that hashed one already (to prefetch its slot) passes
  // the hash on; a string converts.
  void Register(NodeId node, ClusterState& cl, const HashedKey& hk, std::string_view pid,
                int64_t time_us, Meta meta, bool from_snapshot = false, uint32_t mark = 0);
  void Unregister(NodeId node, ClusterState& cl, const HashedKey& hk, std::string_view pid,
                  Reason reason);
  // Members carry no time (the peer frames' time field is 0 for them).
  void Join(NodeId node, ClusterState& cl, const HashedKey& hk, std::string_view pid,
            Meta meta, bool from_snapshot = false, uint32_t mark = 0);
  void Leave(NodeId node, ClusterState& cl, const HashedKey& hk, std::string_view pid,
             Reason reason);

  // Makes the best shadowed claim on key visible when nobody holds it.
  void Promote(ClusterState& cl, const HashedKey& hk);

  // Removes every entry owned by node, in one cluster or (cl == nullptr) in all, with events.
  void RemoveNode(NodeId node, Reason reason, ClusterState* cl = nullptr);

  // Local processes' registrations that lost to a remote one.
  uint64_t conflicts() const { return conflicts_; }
  uint64_t local_evictions() const { return local_evictions_; }
  size_t interned_pids() const { return pids_.size(); }

  // The shared copy of a remote pid (see Pid): entries of one remote process share one string.
  // Copies no entry uses any more are swept when the table doubles, which keeps it within twice
  // the live pids without a hook on every removal path.
  Pid Intern(std::string_view pid);

  // A fresh nonzero mark for a snapshot being received (see PeerReceiver). One counter per
  // node, so no two snapshots, from any peer or link, share a mark until it wraps.
  uint32_t NextSnapshotMark() {
    if (++snapshot_mark_ == 0) snapshot_mark_ = 1;
    return snapshot_mark_;
  }

 private:
  void EvictLocalLoser(ClusterState& cl, std::string_view key, const RegEntry& loser,
                       std::string_view winner_pid, NodeId winner_node);

  Server& server_;
  ConflictPolicy policy_;
  uint64_t conflicts_ = 0;
  uint64_t local_evictions_ = 0;
  // The key whose local holder is being evicted for an incoming claim: no promotion there.
  const ClusterState* evicting_cl_ = nullptr;
  std::string evicting_key_;
  // Keyed by a view of the Pid's own bytes.
  std::unordered_map<std::string_view, Pid> pids_;
  size_t pids_sweep_at_ = 1024;
  uint32_t snapshot_mark_ = 0;
};

}  // namespace groupd::replication
