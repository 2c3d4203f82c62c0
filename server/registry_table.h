#pragma once

#include <cstdint>

#include "server/keyed_table.h"
#include "server/meta.h"
#include "server/pid.h"

namespace groupd {

// Index of a node in this node's node table; kLocalNode is this node.
using NodeId = uint32_t;
inline constexpr NodeId kLocalNode = 0;

// Handle of the local owner of an entry (today a connection; later a session that outlives one).
// 0 for entries owned by remote nodes. An entry's owner is its pid's (Pid::owner()).
using OwnerId = uint64_t;

// A registration as the registry holds it. Its meta is not a member: the encoded form follows the
// key in the entry's node (KeyedTable's tail), which keeps a registration with a 16-byte key and
// a 4-pair meta in one 80-byte allocation.
struct RegEntry {
  Pid pid;
  NodeId node = kLocalNode;
  union {
    uint32_t owned_slot = 0;  // Local entries: the slot of this entry in its owner's OwnedIndex.
    uint32_t snapshot_mark;   // Remote entries: the mark of the last snapshot that carried it.
  };
  int64_t time_us = 0;  // Registration time (wall clock, microseconds), used by conflict policy.

  // The entry's meta. REQUIRES: the entry is held by a RegistryTable.
  MetaView meta() const;
};
static_assert(sizeof(RegEntry) == 24);

// A registration outside the registry: one being stored, removed, or kept aside as a shadowed
// claim, with a meta of its own.
struct Registration {
  RegEntry entry;
  Meta meta;
};

// A shard's registry: key to entry (see KeyedTable for the layout and the slot walks that
// snapshots use).
using RegistryTable = KeyedTable<RegEntry>;

inline MetaView RegEntry::meta() const { return MetaView::AtEncoded(RegistryTable::TailOf(*this)); }

}  // namespace groupd
