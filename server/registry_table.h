#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

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

// A shard's registry: key to entry. Each entry lives in one allocation together with its key
// (60 bytes for a 16-byte key, where a node-based hash map spends about twice that), found
// through an open-addressed table of pointers: linear probing, at most 3/4 full counting
// tombstones. Each slot carries 16 bits of the key's hash above the pointer, so a probe rarely
// touches an entry that is not the one sought. Entries never move in memory while held, so
// pointers to them (and KeyOf() views) stay valid until they are erased; and they never change
// slot except when the table is rebuilt (growth, or purging tombstones), which bumps
// generation(), so a walk over slots spread across loop turns sees every entry that stays.
class RegistryTable {
 public:
  RegistryTable() = default;
  RegistryTable(const RegistryTable&) = delete;
  RegistryTable& operator=(const RegistryTable&) = delete;
  RegistryTable(RegistryTable&& other) noexcept;
  RegistryTable& operator=(RegistryTable&& other) noexcept;
  ~RegistryTable();

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  RegEntry* Find(std::string_view key);
  const RegEntry* Find(std::string_view key) const {
    return const_cast<RegistryTable*>(this)->Find(key);
  }
  // Stores entry under key unless the key is held; returns the entry held under key and whether
  // it is the new one.
  std::pair<RegEntry*, bool> Insert(std::string_view key, RegEntry&& entry);
  // Removes key; returns its entry.
  std::optional<RegEntry> Erase(std::string_view key);

  // The key an entry of this table is stored under.
  static std::string_view KeyOf(const RegEntry& entry);

  // Slots, for walks spread over several loop turns: slot i in [0, capacity()) holds an entry
  // or nullptr. A walk is valid while generation() is unchanged; a walk that sees it change
  // starts over.
  size_t capacity() const { return capacity_; }
  uint64_t generation() const { return generation_; }
  RegEntry* EntryAt(size_t slot) const;

  // Iterates (key, entry) pairs in slot order.
  class Iterator {
   public:
    using value_type = std::pair<std::string_view, RegEntry&>;
    value_type operator*() const {
      RegEntry* e = table_->EntryAt(slot_);
      return {KeyOf(*e), *e};
    }
    Iterator& operator++() {
      slot_ = table_->NextUsed(slot_ + 1);
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.slot_ == b.slot_; }

   private:
    friend class RegistryTable;
    Iterator(const RegistryTable* table, size_t slot) : table_(table), slot_(slot) {}
    const RegistryTable* table_;
    size_t slot_;
  };
  Iterator begin() const { return Iterator(this, NextUsed(0)); }
  Iterator end() const { return Iterator(this, capacity_); }

 private:
  struct Node;
  static uint64_t Hash(std::string_view key);
  static Node* NodeOf(uint64_t slot) { return reinterpret_cast<Node*>(slot & kPtrMask); }
  static bool Used(uint64_t slot) { return slot > kTombstone; }
  // The slot holding key, or capacity_ when absent.
  size_t FindSlot(std::string_view key, uint64_t h) const;
  size_t NextUsed(size_t from) const;
  void Rebuild(size_t capacity);
  void Clear();

  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
  static constexpr uint64_t kTombstone = 1;  // An erased entry's slot (no pointer is 1).
  std::unique_ptr<uint64_t[]> slots_;  // Tag << 48 | Node*, kTombstone, or 0.
  size_t capacity_ = 0;                // 0 or a power of two.
  size_t size_ = 0;
  size_t tombstones_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace groupd
