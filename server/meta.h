#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace groupd {

// An entry's metadata: string fields to string values, in the order they were first given.
//
// Entries carry a handful of short fields, and a registry holds millions of entries, so the
// fields live packed in one heap block in the form the peer protocol sends them:
//
//   varint count, then count times: varint field length, field bytes, varint value length, value
//
// (varints are LEB128, canonical). The object itself is one pointer; an empty meta allocates
// nothing. Replicating an entry appends Encoded() as is, and receiving one copies the bytes
// after one bounds check (Decode), so meta is never split into strings on the hot paths.
class Meta {
 public:
  using Pair = std::pair<std::string_view, std::string_view>;

  Meta() noexcept = default;
  Meta(std::initializer_list<Pair> pairs);  // For tests and literals; fields kept as given.
  Meta(const Meta& other);
  Meta& operator=(const Meta& other);
  // Moving steals the block, except a borrowed one (see MoveInto), which is copied: a borrowed
  // block never leaves the Meta it was lent to. (Copying allocates; bad_alloc terminates.)
  Meta(Meta&& other) noexcept {
    if (other.borrowed()) {
      Assign(other.Encoded());
    } else {
      block_ = std::exchange(other.block_, nullptr);
    }
  }
  Meta& operator=(Meta&& other) noexcept {
    if (this != &other) {
      Free();
      if (other.borrowed()) {
        Assign(other.Encoded());
      } else {
        block_ = std::exchange(other.block_, nullptr);
      }
    }
    return *this;
  }
  ~Meta() { Free(); }

  // Bytes the block takes (0 when empty): the room MoveInto needs.
  size_t BlockBytes() const;
  // Copies the block into `room` (BlockBytes() bytes at a 2-byte boundary) and frees its own, so
  // the meta lives inside a larger allocation, such as its registry entry's, instead of one of
  // its own. REQUIRES: room outlives this Meta, or this Meta's next assignment, and is not
  // used for anything else meanwhile.
  void MoveInto(char* room);

  // Builds a Meta from alternating field/value arguments; a repeated field keeps its last value
  // at its first position (as HSET does). REQUIRES: args.size() is even.
  static Meta FromArgs(std::span<const std::string_view> args);
  // Builds a Meta from pairs, keeping repeated fields as given (what a peer may send).
  static Meta FromPairs(std::span<const Pair> pairs);

  // Decodes the encoded form at the front of `in` into *out. Returns the number of bytes it
  // took, or 0 when `in` does not start with a well-formed, canonical encoding (a truncated
  // length, a count larger than the bytes could hold, a non-minimal varint).
  static size_t Decode(std::string_view in, Meta* out);

  // The encoded form (see above); "\0" for an empty meta.
  std::string_view Encoded() const;

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Pair;
    using difference_type = std::ptrdiff_t;
    using pointer = const Pair*;
    using reference = const Pair&;

    Iterator() = default;
    const Pair& operator*() const { return pair_; }
    const Pair* operator->() const { return &pair_; }
    Iterator& operator++() {
      Load();
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      Load();
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.left_ == b.left_; }

   private:
    friend class Meta;
    Iterator(const char* pos, size_t count) : pos_(pos), left_(count + 1) { Load(); }
    void Load();

    const char* pos_ = nullptr;
    size_t left_ = 0;  // Pairs not yet loaded, plus one while pair_ is valid; 0 at the end.
    Pair pair_;
  };

  Iterator begin() const;
  Iterator end() const { return Iterator(); }

  size_t size() const;  // Number of fields.

  // The meta as a RESP map of bulk strings ("%n" in RESP3, the flat "*2n" array in RESP2),
  // framed straight from the encoded form: PutResp writes at most RespBound() bytes at p and
  // returns their end.
  size_t RespBound() const;
  char* PutResp(char* p, bool resp3) const;
  bool empty() const { return block_ == nullptr; }
  bool borrowed() const { return (reinterpret_cast<uintptr_t>(block_) & kBorrowed) != 0; }

  friend bool operator==(const Meta& a, const Meta& b) { return a.Encoded() == b.Encoded(); }

 private:
  // block_: uint32 length of the encoded form, then the encoded form. nullptr when empty. Its
  // low bit (kBorrowed) is set when the block is lent to it (MoveInto) rather than its own.
  static constexpr uintptr_t kBorrowed = 1;
  const char* block() const {
    return reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(block_) & ~kBorrowed);
  }
  void Assign(std::string_view encoded);
  void Free();

  char* block_ = nullptr;
};

// Returns the value of `field`, if present.
std::optional<std::string_view> MetaFind(const Meta& meta, std::string_view field);

// Bytes of field and value payload, used for the per-entry meta size limit and memory figures.
size_t MetaPayloadBytes(const Meta& meta);

inline Meta MetaFromArgs(std::span<const std::string_view> args) { return Meta::FromArgs(args); }

}  // namespace groupd
