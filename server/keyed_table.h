#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

namespace groupd {

// A value type may keep a variable-size part of itself inside its node, saving an allocation of
// its own: it declares, for argument-dependent lookup,
//   size_t InlineBytes(const T&)    the bytes the part takes (0: nothing to move), and
//   void MoveInline(T&, char* room)  moves the part into room (at a 2-byte boundary; the room
//                                    lives as long as the value stays in the table).
template <typename T>
concept HasInlinePart = requires(T& t, const T& c, char* room) {
  { InlineBytes(c) } -> std::convertible_to<size_t>;
  MoveInline(t, room);
};

// A hash table from string keys to values of type T (a shard's registry entries, its groups).
// Each value lives in one allocation together with its key (a RegEntry, a 16-byte key and a
// 4-pair meta take 94 bytes, where a node-based hash map and a meta block spend twice that), found
// through an open-addressed table of pointers: linear probing, at most 3/4 full counting
// tombstones. Each slot carries 16 bits of the key's hash above the pointer, so a probe rarely
// touches a node that is not the one sought.
//
// Values never move in memory while held, so pointers to them (and KeyOf() views) stay valid
// until they are erased; and they never change slot except when the table is rebuilt (growth,
// or purging tombstones), which bumps generation(), so a walk over slots spread across loop
// turns sees every value that stays. Not thread-safe.
template <typename T>
class KeyedTable {
 public:
  KeyedTable() = default;
  KeyedTable(const KeyedTable&) = delete;
  KeyedTable& operator=(const KeyedTable&) = delete;
  KeyedTable(KeyedTable&& other) noexcept
      : slots_(std::move(other.slots_)),
        capacity_(std::exchange(other.capacity_, 0)),
        size_(std::exchange(other.size_, 0)),
        tombstones_(std::exchange(other.tombstones_, 0)),
        generation_(other.generation_ + 1) {}
  KeyedTable& operator=(KeyedTable&& other) noexcept {
    if (this != &other) {
      Clear();
      slots_ = std::move(other.slots_);
      capacity_ = std::exchange(other.capacity_, 0);
      size_ = std::exchange(other.size_, 0);
      tombstones_ = std::exchange(other.tombstones_, 0);
      generation_ = std::max(generation_, other.generation_) + 1;
    }
    return *this;
  }
  ~KeyedTable() { Clear(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T* Find(std::string_view key) {
    size_t i = FindSlot(key, Hash(key));
    return i == capacity_ ? nullptr : NodeOf(slots_[i])->value();
  }
  const T* Find(std::string_view key) const { return const_cast<KeyedTable*>(this)->Find(key); }

  // Stores value under key unless the key is held; returns the value held under key and
  // whether it is the new one. value is moved from only when it is stored, so a caller may
  // look at it after a false (one hash and probe where Find then Insert would take two).
  std::pair<T*, bool> Insert(std::string_view key, T&& value) {
    uint64_t h = Hash(key);
    if (size_t i = FindSlot(key, h); i != capacity_) return {NodeOf(slots_[i])->value(), false};
    if ((size_ + tombstones_ + 1) * 4 > capacity_ * 3) {
      // Grow when live values fill half the slots, else purge tombstones in place.
      Rebuild(capacity_ == 0 ? 8 : (size_ + 1) * 2 > capacity_ ? capacity_ * 2 : capacity_);
    }
    Node* n = Node::Make(key, std::move(value));
    size_t mask = capacity_ - 1;
    size_t i = Home(h, mask);
    while (Used(slots_[i])) i = (i + 1) & mask;
    if (slots_[i] == kTombstone) tombstones_--;
    slots_[i] = (h & ~kPtrMask) | reinterpret_cast<uint64_t>(n);
    size_++;
    return {n->value(), true};
  }

  // Removes key; returns its value.
  std::optional<T> Erase(std::string_view key) {
    size_t i = FindSlot(key, Hash(key));
    if (i == capacity_) return std::nullopt;
    Node* n = NodeOf(slots_[i]);
    std::optional<T> removed(std::move(*n->value()));
    Node::Free(n);
    size_--;
    // A tombstone keeps later nodes of the probe run reachable without moving them. When the
    // next slot is empty no run passes through this one, and the slot can be emptied outright.
    if (slots_[(i + 1) & (capacity_ - 1)] == 0) {
      slots_[i] = 0;
    } else {
      slots_[i] = kTombstone;
      tombstones_++;
    }
    return removed;
  }

  // The key a value of this table is stored under. REQUIRES: value is held by a KeyedTable<T>.
  static std::string_view KeyOf(const T& value) {
    // The value is the first member of its Node.
    return reinterpret_cast<const Node*>(&value)->view();
  }

  // Slots, for walks spread over several loop turns: slot i in [0, capacity()) holds a value or
  // nullptr. A walk is valid while generation() is unchanged; a walk that sees it change starts
  // over.
  size_t capacity() const { return capacity_; }
  uint64_t generation() const { return generation_; }
  T* EntryAt(size_t slot) const {
    return Used(slots_[slot]) ? NodeOf(slots_[slot])->value() : nullptr;
  }

  // Iterates (key, value) pairs in slot order.
  class Iterator {
   public:
    using value_type = std::pair<std::string_view, T&>;
    value_type operator*() const {
      T* v = table_->EntryAt(slot_);
      return {KeyOf(*v), *v};
    }
    Iterator& operator++() {
      slot_ = table_->NextUsed(slot_ + 1);
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.slot_ == b.slot_; }

   private:
    friend class KeyedTable;
    Iterator(const KeyedTable* table, size_t slot) : table_(table), slot_(slot) {}
    const KeyedTable* table_;
    size_t slot_;
  };
  Iterator begin() const { return Iterator(this, NextUsed(0)); }
  Iterator end() const { return Iterator(this, capacity_); }

 private:
  // The value first (so a T* and its Node* are the same address), then the key's length and
  // bytes, then the value's inline part if it has one. The value sits in raw storage so that
  // Node is standard-layout whatever T is; the key follows key_len with no padding.
  struct Node {
    alignas(T) unsigned char storage[sizeof(T)];
    uint32_t key_len;

    T* value() { return std::launder(reinterpret_cast<T*>(storage)); }
    const char* key() const { return reinterpret_cast<const char*>(&key_len + 1); }
    std::string_view view() const { return std::string_view(key(), key_len); }

    static Node* Make(std::string_view key, T&& value) {
      size_t size = offsetof(Node, key_len) + sizeof(uint32_t) + key.size();
      size_t room = 0;
      size_t extra = 0;
      if constexpr (HasInlinePart<T>) {
        extra = InlineBytes(std::as_const(value));
        room = (size + 1) & ~size_t{1};
        if (extra > 0) size = room + extra;
      }
      void* mem = std::malloc(std::max(size, sizeof(Node)));
      if (mem == nullptr) throw std::bad_alloc();
      Node* n = static_cast<Node*>(mem);
      n->key_len = static_cast<uint32_t>(key.size());
      if (!key.empty()) std::memcpy(const_cast<char*>(n->key()), key.data(), key.size());
      T* v = new (n->storage) T(std::move(value));
      if constexpr (HasInlinePart<T>) {
        if (extra > 0) MoveInline(*v, static_cast<char*>(mem) + room);
      }
      return n;
    }
    static void Free(Node* n) {
      n->value()->~T();
      std::free(n);
    }
  };
  static_assert(std::is_standard_layout_v<Node> && offsetof(Node, storage) == 0,
                "KeyOf() needs the value at offset 0 of its Node");

  static uint64_t Hash(std::string_view key) {
    // std::hash (murmur-based) then a multiply, so both the low bits (the home slot) and the
    // high 16 (the tag) depend on every byte.
    return static_cast<uint64_t>(std::hash<std::string_view>{}(key)) * 0x9E3779B97F4A7C15ULL;
  }
  static size_t Home(uint64_t h, size_t mask) { return (h >> 7) & mask; }
  static Node* NodeOf(uint64_t slot) { return reinterpret_cast<Node*>(slot & kPtrMask); }
  static bool Used(uint64_t slot) { return slot > kTombstone; }

  // The slot holding key, or capacity_ when absent.
  size_t FindSlot(std::string_view key, uint64_t h) const {
    if (size_ == 0) return capacity_;
    uint64_t tag = h & ~kPtrMask;
    size_t mask = capacity_ - 1;
    for (size_t i = Home(h, mask);; i = (i + 1) & mask) {
      uint64_t s = slots_[i];
      if (s == 0) return capacity_;
      if (s != kTombstone && (s & ~kPtrMask) == tag) {
        const Node* n = NodeOf(s);
        if (n->key_len == key.size() && std::memcmp(n->key(), key.data(), key.size()) == 0) {
          return i;
        }
      }
    }
  }
  size_t NextUsed(size_t from) const {
    while (from < capacity_ && !Used(slots_[from])) from++;
    return from;
  }
  void Rebuild(size_t new_capacity) {
    auto slots = std::make_unique<uint64_t[]>(new_capacity);  // Zeroed.
    size_t mask = new_capacity - 1;
    // Rehashing reads every node's key, a cache miss each in a large table: asking for the
    // node kPrefetch slots ahead lets those misses overlap instead of following one another
    // (a quarter of the time of a node creating a group per GJOIN went to this walk).
    constexpr size_t kPrefetch = 8;
    for (size_t j = 0; j < capacity_; j++) {
      if (j + kPrefetch < capacity_ && Used(slots_[j + kPrefetch])) {
        __builtin_prefetch(NodeOf(slots_[j + kPrefetch]));
      }
      uint64_t s = slots_[j];
      if (!Used(s)) continue;
      size_t i = Home(Hash(NodeOf(s)->view()), mask);
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = s;
    }
    slots_ = std::move(slots);
    capacity_ = new_capacity;
    tombstones_ = 0;
    generation_++;
  }
  void Clear() {
    for (size_t i = 0; i < capacity_; i++) {
      if (Used(slots_[i])) Node::Free(NodeOf(slots_[i]));
    }
    slots_.reset();
    capacity_ = size_ = tombstones_ = 0;
    generation_++;
  }

  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
  static constexpr uint64_t kTombstone = 1;  // An erased value's slot (no pointer is 1).
  std::unique_ptr<uint64_t[]> slots_;        // Tag << 48 | Node*, kTombstone, or 0.
  size_t capacity_ = 0;                      // 0 or a power of two.
  size_t size_ = 0;
  size_t tombstones_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace groupd
