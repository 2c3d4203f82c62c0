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

struct RegEntry {
  Pid pid;
  NodeId node = kLocalNode;
  union {
    uint32_t owned_slot = 0;  // Local entries: the slot of this entry in its owner's OwnedIndex.
    uint32_t snapshot_mark;   // Remote entries: the mark of the last snapshot that carried it.
  };
  int64_t time_us = 0;  // Registration time (wall clock, microseconds), used by conflict policy.
  Meta meta;
};

// An entry's meta block lives inside its registry node (see KeyedTable's HasInlinePart).
inline size_t InlineBytes(const RegEntry& e) { return e.meta.BlockBytes(); }
inline void MoveInline(RegEntry& e, char* room) { e.meta.MoveInto(room); }
static_assert(HasInlinePart<RegEntry>);

// A shard's registry: key to entry (see KeyedTable for the layout and the slot walks that
// snapshots use).
using RegistryTable = KeyedTable<RegEntry>;

}  // namespace groupd
