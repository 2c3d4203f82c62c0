#pragma once

#include <malloc.h>
#include <sodium/crypto_shorthash.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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

// SipHash-2-4 of s under key (libsodium): a hash whose collisions cannot be crafted without the
// key, for tables and maps whose keys clients choose (see KeyedTable::Rekey, StringHash).
inline uint64_t SipHash(std::string_view s, const std::array<uint64_t, 2>& key) {
  uint64_t h;
  crypto_shorthash(reinterpret_cast<unsigned char*>(&h),
                   reinterpret_cast<const unsigned char*>(s.data()), s.size(),
                   reinterpret_cast<const unsigned char*>(key.data()));
  return h;
}

// A SipHash key for the process, drawn at its first use: random, or from the fixed base when
// FixKeyedTableSeeds was called before, so a fuzz run replays.
inline const std::array<uint64_t, 2>& ProcessSipKey() {
  static const std::array<uint64_t, 2> key = [] {
    namespace seeds = keyed_table_seeds;
    if (seeds::fixed.load(std::memory_order_relaxed)) {
      uint64_t base = seeds::base.load(std::memory_order_relaxed);
      return std::array<uint64_t, 2>{base ^ 0x452821E638D01377ULL, base + 0xBE5466CF34E90C6CULL};
    }
    std::random_device rd;
    std::array<uint64_t, 2> k{};
    for (uint64_t& w : k) w = (uint64_t{rd()} << 32) ^ rd();
    return k;
  }();
  return key;
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

// A key with its std::hash. The hash picks a key's shard and, mixed further, its slot in the
// shard's table: a caller that makes one HashedKey hashes the key once for both. A string
// converts to one, hashing it.
struct HashedKey {
  HashedKey(std::string_view k)  // NOLINT(google-explicit-constructor)
      : key(k), hash(std::hash<std::string_view>{}(k)) {}
  HashedKey(const char* k) : HashedKey(std::string_view(k)) {}         // NOLINT
  HashedKey(const std::string& k) : HashedKey(std::string_view(k)) {}  // NOLINT
  std::string_view key;
  size_t hash;
};

// A hash table from string keys to values of type T (a shard's registry entries, its groups).
// Each value lives in one allocation together with its key and an optional tail of bytes the
// value's type interprets (a registration's encoded meta): a RegEntry, a 16-byte key and a
// 4-pair meta take 79 bytes, where a node-based hash map and a meta block spend twice that. The
// nodes are found through an open-addressed table of pointers: linear probing, at most 4/5 full
// counting tombstones, growing as Growth says. Each slot carries 16 bits of the key's hash above
// the pointer, so a probe rarely touches a node that is not the one sought.
//
// Keys are hashed with std::hash, which is fast but whose collisions can be crafted whatever
// its seed (libstdc++'s MurmurHash64A): n keys of one hash would cost n probes each. A probe that
// meets kFloodTagMatches other keys of its 16-bit tag is such a flood, and the table then
// rehashes every key with SipHash-2-4 under a key drawn from its seed (libsodium), for good
// (Rekey).
//
// Rebuilding (growth, or purging tombstones) is incremental, like Redis's dict: the old slot
// array stays beside the new one while each Insert moves a few of its slots over (and Rehash()
// more, from the server's cron), so no single command pays for rehashing a large table (one
// of 1.25M values took 160 ms). Meanwhile lookups probe the new array, then the old. Tables of
// under kIncrementalFrom slots rebuild at once.
//
// Values never move in memory while held, except when ReplaceTail grows their tail, so pointers
// to them (and KeyOf() views) stay valid until they are erased. A walk (Scan) may be spread
// across loop turns and changes: it delivers every value held from its start to its end once,
// however often the table rebuilds meanwhile. Not thread-safe.
template <typename T, TableGrowth Growth = TableGrowth::kQuarterSteps>
class KeyedTable {
  struct Slots;

 public:
  KeyedTable() : seed_(NewSeed()) {}
  KeyedTable(const KeyedTable&) = delete;
  KeyedTable& operator=(const KeyedTable&) = delete;
  KeyedTable(KeyedTable&& other) noexcept
      : cur_(std::move(other.cur_)),
        old_(std::move(other.old_)),
        migrated_(std::exchange(other.migrated_, 0)),
        seed_(other.seed_),
        sip_(other.sip_),
        epoch_(other.epoch_) {
    other.cur_ = Slots{};
    other.old_ = Slots{};
  }
  KeyedTable& operator=(KeyedTable&& other) noexcept {
    if (this != &other) {
      Clear();
      seed_ = other.seed_;
      sip_ = other.sip_;
      epoch_ = other.epoch_;
      cur_ = std::exchange(other.cur_, Slots{});
      old_ = std::exchange(other.old_, Slots{});
      migrated_ = std::exchange(other.migrated_, 0);
    }
    return *this;
  }
  ~KeyedTable() { Clear(); }

  size_t size() const { return cur_.live + old_.live; }
  bool empty() const { return size() == 0; }

  T* Find(const HashedKey& key) {
    Loc l = FindSlot(key.key, HashOf(key));
    return l ? NodeOf(l.a->s[l.i])->value() : nullptr;
  }
  const T* Find(const HashedKey& key) const { return const_cast<KeyedTable*>(this)->Find(key); }

  // Starts loading the slot where a lookup or insert of a key begins (and its slot in the old
  // array during a rebuild), so that a caller that knows its next keys ahead (a pipelined batch)
  // takes the cache miss while it still works on the current one.
  void Prefetch(const HashedKey& key) const {
    if (cur_.cap == 0) return;
    uint64_t h = HashOf(key);
    PrefetchLine(&cur_.s[Home(h, seed_, cur_.cap)]);
    if (rehashing()) PrefetchLine(&old_.s[Home(h, seed_, old_.cap)]);
  }

  // Stores value, with tail after its key, under key unless the key is held; returns the value
  // held under key and whether it is the new one. value is moved from only when it is stored,
  // so a caller may look at it after a false (one hash and probe where Find then Insert would
  // take two).
  std::pair<T*, bool> Insert(const HashedKey& key, T&& value, std::string_view tail = {}) {
    if (flooded_) Rekey();
    uint64_t h = HashOf(key);
    if (Loc l = FindSlot(key.key, h)) return {NodeOf(l.a->s[l.i])->value(), false};
    if (rehashing()) Rehash(kRehashStepSlots);
    if ((cur_.live + cur_.tombstones + 1) * 5 > cur_.cap * 4) {
      // Grow a step when live values fill 3/5 of the slots, else purge tombstones.
      bool grow = (size() + 1) * 5 > cur_.cap * 3;
      Rebuild(cur_.cap == 0 ? 8 : grow ? NextCapacity(cur_.cap) : cur_.cap);
    }
    Node* n = Node::Make(key.key, std::move(value), tail);
    Place(cur_, h, reinterpret_cast<uint64_t>(n));
    return {n->value(), true};
  }

  // Makes room for n values in all, so that reaching n rebuilds the table once, now, rather than
  // at each growth step on the way (a snapshot receiver told how many entries are coming).
  // Never shrinks.
  void Reserve(size_t n) {
    if (n * 5 <= cur_.cap * 4) return;
    Rebuild(std::max<size_t>(8, (n * 5 + 3) / 4));
  }

  // Removes key; returns its value.
  std::optional<T> Erase(const HashedKey& key) {
    std::optional<T> removed;
    EraseIf(key, [&](T& value) {
      removed.emplace(std::move(value));
      return true;
    });
    return removed;
  }

  // Calls take(value) with the value held under key, if any, while the value and its tail are
  // still in place; erases it when take returns true (take moves out what it keeps). One hash
  // and probe where Find then Erase would take two. Returns whether it erased. Never moves a
  // value to another slot, so erasing while iterating is safe.
  template <typename Take>
  bool EraseIf(const HashedKey& key, Take&& take) {
    Loc l = FindSlot(key.key, HashOf(key));
    if (!l) return false;
    Slots& a = *l.a;
    Node* n = NodeOf(a.s[l.i]);
    if (!take(*n->value())) return false;
    Node::Free(n);
    a.live--;
    // A tombstone keeps later nodes of the probe run reachable without moving them. When the
    // next slot is empty no run passes through this one, and the slot can be emptied outright.
    if (a.s[Next(l.i, a.cap)] == 0) {
      a.s[l.i] = 0;
    } else {
      a.s[l.i] = kTombstone;
      a.tombstones++;
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
    Loc l = FindSlot(key, h);
    Node* moved = Node::Make(key, std::move(*value), tail);
    l.a->s[l.i] = (h & ~kPtrMask) | reinterpret_cast<uint64_t>(moved);
    Node::Free(n);
    return moved->value();
  }

  // The key a value of this table is stored under. REQUIRES: value is held by a KeyedTable<T>.
  static std::string_view KeyOf(const T& value) { return NodeOfValue(value)->view(); }

  // Old slots moved per Insert during a rebuild: about 200 values, some 10-20 us at worst (each
  // a likely cache miss). Bigger steps cost fewer calls per value moved (16-slot steps made a
  // million inserts 50% slower than one rebuild, 256-slot steps 12%), and the old array is empty
  // within capacity/256 inserts, long before the new one fills: a quarter step leaves room for
  // capacity/9 more values, a purge for capacity/5.
  static constexpr size_t kRehashStepSlots = 256;

  // Whether an incremental rebuild is under way (two slot arrays).
  bool rehashing() const { return old_.cap != 0; }
  // Moves up to max_slots slots of the old array into the new one; returns whether the rebuild
  // still has slots to move. The server's cron calls it so a table left alone finishes anyway.
  bool Rehash(size_t max_slots) {
    if (!rehashing()) return false;
    // Stop just past an empty slot: then no probe run of the old array that starts before
    // migrated_ reaches past it, so a key whose old home is below migrated_ is not in the old
    // array (FindSlot skips probing it). Runs at most 4/5 full are a few slots long.
    size_t end = std::min(old_.cap, migrated_ + max_slots);
    while (end < old_.cap && old_.s[end - 1] != 0) end++;
    // Rehashing reads every node's key, a cache miss each in a large table: asking for the
    // node kPrefetchSlots ahead lets those misses overlap instead of following one another.
    for (size_t j = migrated_; j < end; j++) {
      if (j + kPrefetchSlots < old_.cap && Used(old_.s[j + kPrefetchSlots])) {
        PrefetchLine(NodeOf(old_.s[j + kPrefetchSlots]));
      }
      uint64_t s = old_.s[j];
      if (!Used(s)) continue;
      // A tombstone where the value was keeps the old array's probe runs whole for the values
      // not moved yet.
      old_.s[j] = kTombstone;
      old_.live--;
      Place(cur_, Hash(NodeOf(s)->view()), s);
    }
    migrated_ = end;
    if (migrated_ < old_.cap) return true;
    old_ = Slots{};
    migrated_ = 0;
    return false;
  }

  // Whether a flood made the table hash with SipHash (see Rekey); for tests.
  bool keyed() const { return epoch_ != 0; }
  // The capacity of the slot array new values go to; for tests.
  size_t capacity() const { return cur_.cap; }
  // How far past its home slot key sits (0: at home), or capacity() when absent; for tests.
  size_t DisplacementOf(std::string_view key) const {
    uint64_t h = Hash(key);
    Loc l = FindSlot(key, h);
    if (!l) return cur_.cap;
    size_t home = Home(h, seed_, l.a->cap);
    return l.i >= home ? l.i - home : l.i + l.a->cap - home;
  }

  // A position in a walk in the order of the values' positions (PositionOf: a 64-bit mix of the
  // key's hash, scaled to the home slot in any array of the table, so homes keep that order in
  // every array), then of their keys among equal positions. A position names no slot array, so a
  // walk resumes where it stopped whatever rebuilds happened in between, as a Redis SCAN cursor
  // does across rehashes.
  struct ScanCursor {
    uint64_t pos = 0;  // Every value of a lower position has been delivered.
    // The key of the value fn stopped at, if it did: the walk resumes at it, past the values of
    // the same position whose keys sort before it.
    std::optional<std::string> at;
    bool done = false;  // The walk went past the last position.
    uint32_t epoch = 0;  // The table's hash function when the walk started (see Rekey).
  };
  // Walks on from c over at most `homes` home slots of the current array: calls fn(value) for
  // each value whose position lies in their range, in (position, key) order, in both arrays while
  // a rebuild is under way. fn returns false to stop at a value: c then stays on it, and the next
  // call delivers it again (a snapshot stops inside a group and resumes there). fn must not
  // change the table; the table may change between calls.
  //
  // A walk spread across calls delivers every value held from its start to its end once, and
  // values added or erased meanwhile once or not at all; keys whose hashes collide (crafted
  // ones can) take their turn in key order. A walk that meets a Rekey starts over (once in a
  // table's life), delivering again what it had delivered.
  template <typename Fn>
  void Scan(ScanCursor& c, size_t homes, Fn&& fn) const {
    std::vector<Found> found;
    if (c.epoch != epoch_ && !c.done) c = ScanCursor{.epoch = epoch_};  // Rekeyed: start over.
    while (homes > 0 && !c.done) {
      if (cur_.cap == 0) {
        c.done = true;
        return;
      }
      // The positions [c.pos, end) of the next `step` home slots of cur_, end 0 for 2^64.
      size_t first = Scale(c.pos, cur_.cap);
      size_t step = std::min({homes, kScanStepHomes, cur_.cap - first});
      homes -= step;
      uint64_t end = RangeStart(first + step, cur_.cap);
      found.clear();
      Collect(cur_, c.pos, end - 1, found);
      if (rehashing()) Collect(old_, c.pos, end - 1, found);
      std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
        return a.pos != b.pos ? a.pos < b.pos : KeyOf(*a.value) < KeyOf(*b.value);
      });
      auto it = found.begin();
      if (c.at) {
        while (it != found.end() && it->pos == c.pos && KeyOf(*it->value) < *c.at) ++it;
      }
      for (; it != found.end(); ++it) {
        if (!fn(*it->value)) {
          c.pos = it->pos;
          c.at = KeyOf(*it->value);
          return;
        }
      }
      c.pos = end;
      c.at.reset();
      c.done = end == 0;
    }
  }
  // Home slots per batch of Scan: its values are collected and sorted, and those past a stop
  // are collected again by the next call.
  static constexpr size_t kScanStepHomes = 64;

  // Iterates (key, value) pairs: the old array's slots, then the new one's. Erasing the value
  // at hand is allowed; inserting is not (it may move values between the arrays).
  class Iterator {
   public:
    using value_type = std::pair<std::string_view, T&>;
    value_type operator*() const {
      T* v = NodeOf(a_->s[i_])->value();
      return {KeyOf(*v), *v};
    }
    Iterator& operator++() {
      i_++;
      Settle();
      return *this;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.a_ == b.a_ && a.i_ == b.i_;
    }

   private:
    friend class KeyedTable;
    explicit Iterator(const KeyedTable* table)
        : table_(table), a_(table->rehashing() ? &table->old_ : &table->cur_) {
      Settle();
    }
    Iterator() = default;
    // Moves to the next used slot, or to end().
    void Settle() {
      while (a_ != nullptr) {
        for (; i_ < a_->cap; i_++) {
          if (Used(a_->s[i_])) return;
        }
        a_ = a_ == &table_->old_ ? &table_->cur_ : nullptr;
        i_ = 0;
      }
    }
    const KeyedTable* table_ = nullptr;
    const Slots* a_ = nullptr;  // nullptr at the end.
    size_t i_ = 0;
  };
  Iterator begin() const { return Iterator(this); }
  Iterator end() const { return Iterator(); }

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

  // __builtin_prefetch, kept: GCC 12's mod/ref analysis takes a function whose only effect is a
  // prefetch for pure and drops every call to it (Prefetch() compiled to nothing once the key's
  // hash came from the caller). The empty volatile asm is an effect it cannot drop.
  static void PrefetchLine(const void* p) {
    __builtin_prefetch(p);
    asm volatile("" ::"r"(p));
  }
  // How far ahead a walk over slots asks for the nodes they point to.
  static constexpr size_t kPrefetchSlots = 16;
  uint64_t Hash(std::string_view key) const {
    return epoch_ == 0 ? HashOf(std::hash<std::string_view>{}(key)) : SipHash(key);
  }
  uint64_t HashOf(const HashedKey& key) const {
    return epoch_ == 0 ? HashOf(key.hash) : SipHash(key.key);
  }
  uint64_t SipHash(std::string_view key) const { return groupd::SipHash(key, sip_); }
  // std::hash (murmur-based) then a multiply, so both the low bits (the home slot) and the high 16
  // (the tag) depend on every byte.
  static uint64_t HashOf(size_t key_hash) {
    return static_cast<uint64_t>(key_hash) * 0x9E3779B97F4A7C15ULL;
  }
  // The home slot: the hash mixed with the table's seed, scaled to [0, capacity).
  //
  // The seed matters. A table's slot order follows its homes, and values often go from one
  // table into another in that order: a snapshot sender walks its registry in position order
  // (Scan), and the receiver inserts what arrives. Were homes the same function in both, the
  // receiver's first values would all have homes at the start of its smaller table, piling into one
  // run that every later insert walks (with unseeded homes, a 1M-entry snapshot took 57 s instead
  // of 0.4 s, a heal of 500k + 500k 9.3 s instead of 0.6 s). Each table draws its own seed.
  static size_t Home(uint64_t h, uint64_t seed, size_t capacity) {
    return Scale(Mix(h ^ seed), capacity);
  }
  // murmur3's 64-bit finalizer: every bit of x moves every bit of the result.
  static uint64_t Mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    x ^= x >> 33;
    return x;
  }
  // The slot of [0, capacity) that position pos falls in: pos * capacity / 2^64.
  static size_t Scale(uint64_t pos, size_t capacity) {
    return static_cast<size_t>((static_cast<unsigned __int128>(pos) * capacity) >> 64);
  }
  // The first position whose slot is `slot` (ceil(slot * 2^64 / capacity)); 0 (2^64, past every
  // position) for slot == capacity.
  static uint64_t RangeStart(size_t slot, size_t capacity) {
    return static_cast<uint64_t>(((static_cast<unsigned __int128>(slot) << 64) + capacity - 1) /
                                 capacity);
  }
  // A value's position, the order Scan walks in (see ScanCursor).
  uint64_t PositionOf(const Node* n) const { return Mix(Hash(n->view()) ^ seed_); }
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

  // One open-addressed slot array.
  struct FreeSlots {
    void operator()(uint64_t* p) const { std::free(p); }
  };
  struct Slots {
    std::unique_ptr<uint64_t[], FreeSlots> s;  // Tag << 48 | Node*, kTombstone, or 0.
    size_t cap = 0;                            // 0, or 8 and up (see NextCapacity).
    size_t live = 0;                           // Slots holding a value.
    size_t tombstones = 0;
  };
  // Where a key was found: a slot of cur_ or old_.
  struct Loc {
    Slots* a = nullptr;
    size_t i = 0;
    explicit operator bool() const { return a != nullptr; }
  };

  // The slot of a holding key, or a.cap when absent.
  size_t FindIn(const Slots& a, std::string_view key, uint64_t h) const {
    if (a.live == 0) return a.cap;
    uint64_t tag = h & ~kPtrMask;
    size_t tag_matches = 0;  // Other keys with the same 16-bit tag: a flood when many.
    for (size_t i = Home(h, seed_, a.cap);; i = Next(i, a.cap)) {
      uint64_t s = a.s[i];
      if (s == 0) return a.cap;
      if (s != kTombstone && (s & ~kPtrMask) == tag) {
        if (NodeOf(s)->KeyIs(key)) return i;
        if (++tag_matches == kFloodTagMatches) flooded_ = true;
      }
    }
  }
  Loc FindSlot(std::string_view key, uint64_t h) const {
    auto* self = const_cast<KeyedTable*>(this);
    if (size_t i = FindIn(cur_, key, h); i != cur_.cap) return {&self->cur_, i};
    // Keys whose home in the old array is below migrated_ have moved (see Rehash).
    if (rehashing() && Home(h, seed_, old_.cap) >= migrated_) {
      if (size_t i = FindIn(old_, key, h); i != old_.cap) return {&self->old_, i};
    }
    return {};
  }
  // A value Scan met, with its position.
  struct Found {
    uint64_t pos;
    T* value;
  };
  // Adds to out a's values whose positions lie in [lo, hi]. A value sits at its home or after
  // it, before the first empty slot past it (erasing never empties a slot a run goes through),
  // so the walk stops at the first empty slot past the homes of lo and hi.
  void Collect(const Slots& a, uint64_t lo, uint64_t hi, std::vector<Found>& out) const {
    if (a.live == 0) return;
    size_t first = Scale(lo, a.cap);
    size_t homes = Scale(hi, a.cap) - first + 1;
    for (size_t k = 0, i = first; k < homes || a.s[i] != 0; k++, i = Next(i, a.cap)) {
      // Each position reads a node, a likely cache miss: overlap them (see Rehash).
      if (size_t j = i + kPrefetchSlots; j < a.cap && Used(a.s[j])) PrefetchLine(NodeOf(a.s[j]));
      if (!Used(a.s[i])) continue;
      Node* n = NodeOf(a.s[i]);
      uint64_t pos = PositionOf(n);
      if (pos >= lo && pos <= hi) out.push_back({pos, n->value()});
    }
  }
  // Stores slot word s (a node) in a, at the first free slot of its probe run.
  void Place(Slots& a, uint64_t h, uint64_t s) {
    size_t i = Home(h, seed_, a.cap);
    while (Used(a.s[i])) i = Next(i, a.cap);
    if (a.s[i] == kTombstone) a.tombstones--;
    a.s[i] = (h & ~kPtrMask) | (s & kPtrMask);
    a.live++;
  }
  // Starts moving every value into a new array of new_capacity slots: at once for a small
  // table, else a few slots per Insert (and per Rehash() call). A rebuild still under way is
  // finished first.
  void Rebuild(size_t new_capacity) {
    if (rehashing()) Rehash(old_.cap);
    Slots fresh;
    // calloc, not new[]: a large array comes zeroed from fresh pages, which are then faulted
    // in as inserts reach them rather than all at once here (a page fault costs this VM about
    // as much as a memset of the page).
    fresh.s.reset(static_cast<uint64_t*>(std::calloc(new_capacity, sizeof(uint64_t))));
    if (fresh.s == nullptr) throw std::bad_alloc();
    fresh.cap = new_capacity;
    old_ = std::exchange(cur_, std::move(fresh));
    migrated_ = 0;
    if (old_.live == 0) {
      old_ = Slots{};
    } else if (old_.cap < kIncrementalFrom) {
      Rehash(old_.cap);
    }
  }
  // Rehashes every value with SipHash-2-4 under a key drawn from the seed, at once and for good
  // (a flood is rare, and two hash functions in one rebuild would make its probes hash twice).
  // Homes stay secret as before, and SipHash's collisions cannot be crafted without its key.
  void Rekey() {
    flooded_ = false;
    if (epoch_ != 0) return;
    sip_ = {Mix(seed_ ^ 0x243F6A8885A308D3ULL), Mix(seed_ + 0x13198A2E03707344ULL)};
    if (rehashing()) Rehash(old_.cap);
    epoch_ = 1;  // Hash() is SipHash from here on, also in the rebuild below.
    Rebuild(cur_.cap);
    if (rehashing()) Rehash(old_.cap);
  }
  void Clear() {
    for (Slots* a : {&cur_, &old_}) {
      for (size_t i = 0; i < a->cap; i++) {
        if (Used(a->s[i])) Node::Free(NodeOf(a->s[i]));
      }
      *a = Slots{};
    }
    migrated_ = 0;
  }

  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;
  static constexpr uint64_t kTombstone = 1;  // An erased value's slot (no pointer is 1).
  // Keys of another key's 16-bit tag met in one probe that make it a flood. Keys of one full hash
  // meet them all; by chance, the 8 in a probe of a few slots are out of reach (2^-128 for 8
  // of 8 slots).
  static constexpr size_t kFloodTagMatches = 8;
  // Smaller tables rebuild at once: the rebuild of 1,024 slots takes microseconds.
  static constexpr size_t kIncrementalFrom = 1024;
  Slots cur_;            // Where new values go.
  Slots old_;            // While rehashing: the array being emptied into cur_; else empty.
  size_t migrated_ = 0;  // old_'s slots [0, migrated_) have been moved.
  uint64_t seed_;        // Mixed into homes (see Home).
  // After a Rekey: SipHash's key, and epoch_ 1 (0: std::hash).
  std::array<uint64_t, 2> sip_{};
  uint32_t epoch_ = 0;
  mutable bool flooded_ = false;  // A probe met kFloodTagMatches other keys of its tag.
};

}  // namespace groupd
