#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <malloc.h>
#include <memory>
#include <new>
#include <optional>
#include <random>
#include <string_view>
#include <type_traits>
#include <utility>

#include "protocol/varint.h"

namespace groupd {

// Where KeyedTable seeds come from (see KeyedTable::Home): a random base per process, plus the
// number of tables made before.
namespace keyed_table_seeds {
inline std::atomic<bool> fixed{false};
inline std::atomic<uint64_t> base{0};
inline std::atomic<uint64_t> count{0};
}  // namespace keyed_table_seeds

// Makes every table created from now on take its seed from `base` and the number of tables
// created since this call, so that a run replays exactly: fuzz targets call it before each input.
// The server never calls it.
inline void FixKeyedTableSeeds(uint64_t base) {
  keyed_table_seeds::base.store(base, std::memory_order_relaxed);
  keyed_table_seeds::count.store(0, std::memory_order_relaxed);
  keyed_table_seeds::fixed.store(true, std::memory_order_relaxed);
}

// How a KeyedTable's capacity grows (see NextCapacity).
enum class TableGrowth {
  // Quarter steps between powers of two: slots cost at most 12.5 bytes per value, for tables
  // whose bytes per value are a target (the registry); each value is rehashed about five times
  // on the way to a large size.
  kQuarterSteps,
  // Doubling: up to 20 bytes of slots per value, each value rehashed once or twice; for tables
  // whose values are large anyway (a group and its members) and whose growth sits on the path of
  // bulk loads (a node creating a group per replicated GJOIN).
  kDoubling,
};

// A hash table from string keys to values of type T (a shard's registry entries, its groups).
// Each value lives in one allocation together with its key and an optional tail of bytes the
// value's type interprets (a registration's encoded meta): a RegEntry, a 16-byte key and a
// 4-pair meta take 79 bytes, where a node-based hash map and a meta block spend twice that. The
// nodes are found through an open-addressed table of pointers: linear probing, at most 4/5 full
// counting tombstones, growing as Growth says. Each slot carries 16 bits of the key's hash above
// the pointer, so a probe rarely touches a node that is not the one sought.
//
// Values never move in memory while held, except when ReplaceTail grows their tail, so pointers
// to them (and KeyOf() views) stay valid until they are erased; and they never change slot
// except when the table is rebuilt (growth, or purging tombstones), which bumps generation(), so
// a walk over slots spread across loop turns sees every value that stays. Not thread-safe.
template <typename T, TableGrowth Growth = TableGrowth::kQuarterSteps>
class KeyedTable {
 public:
  KeyedTable() : seed_(NewSeed()) {}
  KeyedTable(const KeyedTable&) = delete;
  KeyedTable& operator=(const KeyedTable&) = delete;
  KeyedTable(KeyedTable&& other) noexcept
      : slots_(std::move(other.slots_)),
        capacity_(std::exchange(other.capacity_, 0)),
        size_(std::exchange(other.size_, 0)),
        tombstones_(std::exchange(other.tombstones_, 0)),
        generation_(other.generation_ + 1),
        seed_(other.seed_) {}
  KeyedTable& operator=(KeyedTable&& other) noexcept {
    if (this != &other) {
      Clear();
      seed_ = other.seed_;
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

  // Stores value, with tail after its key, under key unless the key is held; returns the value
  // held under key and whether it is the new one. value is moved from only when it is stored,
  // so a caller may look at it after a false (one hash and probe where Find then Insert would
  // take two).
  std::pair<T*, bool> Insert(std::string_view key, T&& value, std::string_view tail = {}) {
    uint64_t h = Hash(key);
    if (size_t i = FindSlot(key, h); i != capacity_) return {NodeOf(slots_[i])->value(), false};
    if ((size_ + tombstones_ + 1) * 5 > capacity_ * 4) {
      // Grow a step when live values fill 3/5 of the slots, else purge tombstones in place.
      bool grow = (size_ + 1) * 5 > capacity_ * 3;
      Rebuild(capacity_ == 0 ? 8 : grow ? NextCapacity(capacity_) : capacity_);
    }
    Node* n = Node::Make(key, std::move(value), tail);
    size_t i = Home(h, seed_, capacity_);
    while (Used(slots_[i])) i = Next(i, capacity_);
    if (slots_[i] == kTombstone) tombstones_--;
    slots_[i] = (h & ~kPtrMask) | reinterpret_cast<uint64_t>(n);
    size_++;
    return {n->value(), true};
  }

  // Makes room for n values in all, so that reaching n rebuilds the table once, now, rather than
  // at each growth step on the way (a snapshot receiver told how many entries are coming).
  // Never shrinks.
  void Reserve(size_t n) {
    if (n * 5 <= capacity_ * 4) return;
    Rebuild(std::max<size_t>(8, (n * 5 + 3) / 4));
  }

  // Removes key; returns its value.
  std::optional<T> Erase(std::string_view key) {
    std::optional<T> removed;
    EraseIf(key, [&](T& value) {
      removed.emplace(std::move(value));
      return true;
    });
    return removed;
  }

  // Calls take(value) with the value held under key, if any, while the value and its tail are
  // still in place; erases it when take returns true (take moves out what it keeps). One hash
  // and probe where Find then Erase would take two. Returns whether it erased.
  template <typename Take>
  bool EraseIf(std::string_view key, Take&& take) {
    size_t i = FindSlot(key, Hash(key));
    if (i == capacity_) return false;
    Node* n = NodeOf(slots_[i]);
    if (!take(*n->value())) return false;
    Node::Free(n);
    size_--;
    // A tombstone keeps later nodes of the probe run reachable without moving them. When the
    // next slot is empty no run passes through this one, and the slot can be emptied outright.
    if (slots_[Next(i, capacity_)] == 0) {
      slots_[i] = 0;
    } else {
      slots_[i] = kTombstone;
      tombstones_++;
    }
    return true;
  }

  // The tail stored after a value's key. REQUIRES: value is held by a KeyedTable<T>.
  static const char* TailOf(const T& value) { return NodeOfValue(value)->tail(); }

  // Replaces the tail of a held value, whose current tail takes old_size bytes: in place when
  // the new one fits the node's allocation (which may hold more than the current tail: a longer
  // one written before, or the allocator's size class), else by moving the value to a new node
  // (in the same slot). Returns the value's address, which callers holding pointers to it must
  // take up.
  T* ReplaceTail(T* value, size_t old_size, std::string_view tail) {
    Node* n = NodeOfValue(*value);
    if (tail.size() <= old_size || tail.size() <= n->TailRoom()) {
      if (!tail.empty()) std::memcpy(n->tail(), tail.data(), tail.size());
      return value;
    }
    std::string_view key = n->view();
    uint64_t h = Hash(key);
    size_t i = FindSlot(key, h);
    Node* moved = Node::Make(key, std::move(*value), tail);
    slots_[i] = (h & ~kPtrMask) | reinterpret_cast<uint64_t>(moved);
    Node::Free(n);
    return moved->value();
  }

  // The key a value of this table is stored under. REQUIRES: value is held by a KeyedTable<T>.
  static std::string_view KeyOf(const T& value) {
    return NodeOfValue(value)->view();
  }

  // Slots, for walks spread over several loop turns: slot i in [0, capacity()) holds a value or
  // nullptr. A walk is valid while generation() is unchanged; a walk that sees it change starts
  // over.
  size_t capacity() const { return capacity_; }
  uint64_t generation() const { return generation_; }
  // How far past its home slot key sits (0: at home), or capacity() when absent; for tests.
  size_t DisplacementOf(std::string_view key) const {
    uint64_t h = Hash(key);
    size_t i = FindSlot(key, h);
    if (i == capacity_) return capacity_;
    size_t home = Home(h, seed_, capacity_);
    return i >= home ? i - home : i + capacity_ - home;
  }
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
  // The value first (so a T* and its Node* are the same address), then the key's length (a
  // varint: one byte below 128), its bytes, and the tail. The value sits in raw storage so that
  // Node is standard-layout whatever T is.
  struct Node {
    alignas(T) unsigned char storage[sizeof(T)];
    unsigned char key_len[1];  // The first byte of the varint; the rest follow.

    T* value() { return std::launder(reinterpret_cast<T*>(storage)); }
    std::string_view view() const {
      const char* p = reinterpret_cast<const char*>(key_len);
      size_t len = protocol::LoadVar(&p);
      return std::string_view(p, len);
    }
    // Whether the key is k: one byte compared before the key's bytes when it is short.
    bool KeyIs(std::string_view k) const {
      if (k.size() < 0x80) {
        return key_len[0] == k.size() && std::memcmp(key_len + 1, k.data(), k.size()) == 0;
      }
      return view() == k;
    }
    char* tail() {
      std::string_view k = view();
      return const_cast<char*>(k.data() + k.size());
    }
    // The bytes the allocation holds from tail() on.
    size_t TailRoom() {
      return malloc_usable_size(this) - static_cast<size_t>(tail() - reinterpret_cast<char*>(this));
    }

    static Node* Make(std::string_view key, T&& value, std::string_view tail) {
      size_t size = sizeof(T) + protocol::VarLen(key.size()) + key.size() + tail.size();
      void* mem = std::malloc(std::max(size, sizeof(Node)));
      if (mem == nullptr) throw std::bad_alloc();
      Node* n = static_cast<Node*>(mem);
      char* p = protocol::PutVar(reinterpret_cast<char*>(n->key_len), key.size());
      if (!key.empty()) std::memcpy(p, key.data(), key.size());
      if (!tail.empty()) std::memcpy(p + key.size(), tail.data(), tail.size());
      new (n->storage) T(std::move(value));
      return n;
    }
    static void Free(Node* n) {
      n->value()->~T();
      std::free(n);
    }
  };
  static_assert(std::is_standard_layout_v<Node> && offsetof(Node, storage) == 0 &&
                    offsetof(Node, key_len) == sizeof(T),
                "KeyOf() needs the value at offset 0 of its Node and the key right after it");
  static Node* NodeOfValue(const T& value) {
    return reinterpret_cast<Node*>(const_cast<T*>(&value));
  }

  static uint64_t Hash(std::string_view key) {
    // std::hash (murmur-based) then a multiply, so both the low bits (the home slot) and the
    // high 16 (the tag) depend on every byte.
    return static_cast<uint64_t>(std::hash<std::string_view>{}(key)) * 0x9E3779B97F4A7C15ULL;
  }
  // The home slot: the hash mixed with the table's seed, scaled to [0, capacity).
  //
  // The seed matters. A table's slot order follows its homes, and values often go from one
  // table into another in that order: a snapshot sender walks its registry by slot, and the
  // receiver inserts what arrives. Were homes the same function in both, the receiver's first
  // values would all have homes at the start of its smaller table, piling into one run that
  // every later insert walks (with unseeded homes, a 1M-entry snapshot took 57 s instead of
  // 0.4 s, a heal of 500k + 500k 9.3 s instead of 0.6 s). Each table draws its own seed.
  static size_t Home(uint64_t h, uint64_t seed, size_t capacity) {
    // murmur3's 64-bit finalizer: every bit of h ^ seed moves every bit of the result.
    uint64_t x = h ^ seed;
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    x ^= x >> 33;
    return static_cast<size_t>((static_cast<unsigned __int128>(x) * capacity) >> 64);
  }
  // A seed for a new table: random per process (std::random_device), distinct per table.
  static uint64_t NewSeed() {
    static const uint64_t random_base =
        (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
    namespace seeds = keyed_table_seeds;
    uint64_t base = seeds::fixed.load(std::memory_order_relaxed)
                        ? seeds::base.load(std::memory_order_relaxed)
                        : random_base;
    return base + seeds::count.fetch_add(1, std::memory_order_relaxed) * 0x9E3779B97F4A7C15ULL;
  }
  static size_t Next(size_t i, size_t capacity) { return i + 1 == capacity ? 0 : i + 1; }
  // A table grows when it would be more than 4/5 full. Quarter steps (8, 10, 12, 14, 16, 20, ...)
  // leave it at least 4/5 / 5/4 = 16/25 full, so slots cost 10 to 12.5 bytes per value, where
  // doubling leaves it 2/5 full (10 to 20 bytes); but growing by 1/7 to 1/4 each time rehashes
  // each value about five times on the way to a large size, where doubling rehashes it once or
  // twice.
  static size_t NextCapacity(size_t c) {
    return Growth == TableGrowth::kDoubling ? 2 * c : c + std::bit_floor(c) / 4;
  }
  static Node* NodeOf(uint64_t slot) { return reinterpret_cast<Node*>(slot & kPtrMask); }
  static bool Used(uint64_t slot) { return slot > kTombstone; }

  // The slot holding key, or capacity_ when absent.
  size_t FindSlot(std::string_view key, uint64_t h) const {
    if (size_ == 0) return capacity_;
    uint64_t tag = h & ~kPtrMask;
    for (size_t i = Home(h, seed_, capacity_);; i = Next(i, capacity_)) {
      uint64_t s = slots_[i];
      if (s == 0) return capacity_;
      if (s != kTombstone && (s & ~kPtrMask) == tag) {
        if (NodeOf(s)->KeyIs(key)) return i;
      }
    }
  }
  size_t NextUsed(size_t from) const {
    while (from < capacity_ && !Used(slots_[from])) from++;
    return from;
  }
  void Rebuild(size_t new_capacity) {
    auto slots = std::make_unique<uint64_t[]>(new_capacity);  // Zeroed.
    // Rehashing reads every node's key, a cache miss each in a large table: asking for the
    // node kPrefetch slots ahead lets those misses overlap instead of following one another
    // (a quarter of the time of a node creating a group per GJOIN went to this walk).
    constexpr size_t kPrefetch = 16;
    for (size_t j = 0; j < capacity_; j++) {
      if (j + kPrefetch < capacity_ && Used(slots_[j + kPrefetch])) {
        __builtin_prefetch(NodeOf(slots_[j + kPrefetch]));
      }
      uint64_t s = slots_[j];
      if (!Used(s)) continue;
      size_t i = Home(Hash(NodeOf(s)->view()), seed_, new_capacity);
      while (slots[i] != 0) i = Next(i, new_capacity);
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
  size_t capacity_ = 0;                      // 0, or 8 and up (see NextCapacity).
  size_t size_ = 0;
  size_t tombstones_ = 0;
  uint64_t generation_ = 0;
  uint64_t seed_;  // Mixed into homes (see Home).
};

}  // namespace groupd
