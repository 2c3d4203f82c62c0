#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/member_map.h"
#include "server/meta.h"
#include "server/pid.h"
#include "server/registry_table.h"

namespace groupd {

struct Member {
  NodeId node = kLocalNode;
  union {
    uint32_t owned_slot = 0;  // Local members: the slot of this member in its owner's OwnedIndex.
    uint32_t snapshot_mark;   // Remote members: the mark of the last snapshot that carried it.
  };
  Meta meta;
};

struct Group {
  // Ordered by pid so replies are deterministic and a pid's membership is found in O(log n): a
  // B-tree from the second member on (it keeps members in arrays of nodes, about 45 bytes each
  // where a red-black tree node takes 80, and walks them in order with few cache misses), and
  // the first member inline, since most groups have one. Insertions and erasures move members,
  // so no Member* is kept across a change to its group.
  [[no_unique_address]] MemberMap<Member> members;
  uint32_t local_count = 0;  // Kept in members' tail padding (no_unique_address).
};
static_assert(sizeof(Group) == 32, "a group and a name of up to 15 bytes fill a 48-byte node");

// A shard's groups by name (see KeyedTable): one allocation per group holds it and its name, and
// a group never moves while it has members, so owner refs and the prefix index point at it. The
// table doubles: a group with its members takes far more than its slot, and a node taking in a
// new group per GJOIN spent about half of Join rehashing when it grew in quarter steps.
using GroupTable = KeyedTable<Group, TableGrowth::kDoubling>;

// The hash of the maps whose keys clients choose (channels, patterns, group prefixes, shadowed
// keys): SipHash under the process's key, so no client can pile keys into one bucket (with
// std::hash, 16k crafted SUBSCRIBE channels stalled the server 2.7 s, quadratically more beyond).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return SipHash(s, ProcessSipKey()); }
};

// Which of a shard's tables a key names.
enum class KeyTable : uint8_t { kNone, kRegistry, kGroups };

// One shard of one cluster's keyspace. The operations below are pure table operations: they
// return what changed and never touch a socket or emit an event; the caller turns results into
// replies and events. Thread-compatible.
struct Shard {
  RegistryTable registry;
  // Add and remove groups only through Join and Leave, which keep `prefixes` in step.
  GroupTable groups;
  // For each prefix ending in '/' of some group's name ("rooms/" of "rooms/lobby"; "a/" and
  // "a/b/" of "a/b/c"), the groups under it. Prefix queries end in '/', so a query is one lookup
  // here and its cost follows the size of the result, not of the shard; names without '/' cost
  // nothing. (An ordered map of all names did the same with a walk down a tree of every group
  // on each group created, a cache miss per level.)
  absl::flat_hash_map<std::string, absl::flat_hash_set<const Group*>, StringHash, std::equal_to<>>
      prefixes;
  // Remote claims on a key that lost to its visible holder in this node's view. They are kept,
  // not dropped, because the visible holder may already be gone at its own node: when it is
  // removed here, the best remaining claim becomes visible. Never holds a local process's claim
  // (a local loser is evicted by this node). Empty for keys without a conflict.
  std::unordered_map<std::string, std::vector<Registration>, StringHash, std::equal_to<>> shadows;
  size_t local_registrations = 0;
  size_t memberships = 0;
  size_t local_memberships = 0;
  // Visible registrations plus memberships, by the NodeId that owns them (shadows excluded), so
  // "does this node hold anything of node N" needs no scan.
  std::vector<size_t> node_entries;
};

inline size_t NodeEntries(const Shard& shard, NodeId node) {
  return node < shard.node_entries.size() ? shard.node_entries[node] : 0;
}

enum class RegisterOutcome { kCreated, kUpdated, kTaken };

struct RegisterResult {
  RegisterOutcome outcome;
  Meta previous_meta;  // Set for kUpdated.
  RegEntry* entry;     // The entry now held under the key (the holder on kTaken).
};

// Registers entry.pid under key with meta. The same pid re-registering replaces its meta (keeping
// its registration time; a longer meta moves the entry, so holders of a pointer to it take up
// result.entry); another pid holding the key gives kTaken and changes nothing.
RegisterResult Register(Shard& shard, const HashedKey& key, RegEntry&& entry, MetaView meta);
inline RegisterResult Register(Shard& shard, const HashedKey& key, Registration&& r) {
  return Register(shard, key, std::move(r.entry), r.meta);
}

// Stores entry under key with meta unless the key is held; returns the entry held under key and
// whether it is the new one. entry is moved from only when stored. Register's first step, for a
// caller that decides itself what a held key means (the Applier).
std::pair<RegEntry*, bool> AddRegistration(Shard& shard, const HashedKey& key, RegEntry&& entry,
                                           MetaView meta);

// Replaces the meta of a held entry, putting the old one in *previous. Returns the entry, which a
// longer meta moves: holders of a pointer to it (its owner's ref) take up the result.
RegEntry* ReplaceMeta(Shard& shard, RegEntry* entry, MetaView meta, Meta* previous);

// Removes key if pid, a process of node, holds it; returns the removed registration.
std::optional<Registration> Unregister(Shard& shard, const HashedKey& key, std::string_view pid,
                                       NodeId node);

// Removes key whoever holds it (used when a conflict or node loss evicts an entry).
std::optional<Registration> RemoveRegistration(Shard& shard, const HashedKey& key);

const RegEntry* Lookup(const Shard& shard, const HashedKey& key);

struct JoinResult {
  bool created;
  Meta previous_meta;  // Set when the pid was already a member.
  Member* member;      // The membership now held.
  Group* group;        // The group (stable while it has members; GroupTable::KeyOf names it).
};

// Adds pid to group, or replaces its meta in place if it already is a member.
JoinResult Join(Shard& shard, const HashedKey& group, const Pid& pid, Member&& member);

// Keeps (or replaces) a losing remote claim on key.
void AddShadow(Shard& shard, std::string_view key, Registration&& claim);
// Drops the shadowed claim of pid on key, if any; true if there was one.
bool RemoveShadow(Shard& shard, std::string_view key, std::string_view pid);

// Removes pid from group; returns its membership. Empty groups are erased.
std::optional<Member> Leave(Shard& shard, const HashedKey& group, std::string_view pid);

const Group* FindGroup(const Shard& shard, const HashedKey& group);
Group* FindGroup(Shard& shard, const HashedKey& group);

// Calls fn(name, group) for every group whose name starts with prefix, in no particular order.
// REQUIRES: IsPrefixQuery(prefix).
template <typename Fn>
void ForEachGroupWithPrefix(const Shard& shard, std::string_view prefix, Fn&& fn) {
  auto it = shard.prefixes.find(prefix);
  if (it == shard.prefixes.end()) return;
  for (const Group* g : it->second) fn(GroupTable::KeyOf(*g), *g);
}

// True when `prefixes` lists every group under each '/'-ending prefix of its name and nothing
// else. Linear; for tests and invariant checks.
bool PrefixIndexInStep(const Shard& shard);

// True when a group argument is a prefix query ("rooms/").
inline bool IsPrefixQuery(std::string_view group) { return !group.empty() && group.back() == '/'; }

}  // namespace groupd
