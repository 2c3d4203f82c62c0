#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace groupd {

// A read-only view of an encoded meta (see Meta for the form): what the registry keeps inside its
// nodes, and what readers of any meta take. Cheap to copy; valid while the bytes it views are.
class MetaView {
 public:
  using Pair = std::pair<std::string_view, std::string_view>;

  MetaView() noexcept = default;  // The empty meta.
  // The well-formed encoding that starts at p (written by Meta, or checked by Meta::Decode): its
  // length is found by walking it, as the form delimits itself.
  static MetaView AtEncoded(const char* p);

  // The encoded form; "\0" for an empty meta.
  std::string_view Encoded() const {
    return enc_ == nullptr ? std::string_view("\0", 1) : std::string_view(enc_, len_);
  }

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
    friend class MetaView;
    Iterator(const char* pos, size_t count) : pos_(pos), left_(count + 1) { Load(); }
    void Load();

    const char* pos_ = nullptr;
    size_t left_ = 0;  // Pairs not yet loaded, plus one while pair_ is valid; 0 at the end.
    Pair pair_;
  };

  Iterator begin() const;
  Iterator end() const { return Iterator(); }

  size_t size() const;  // Number of fields.
  bool empty() const { return enc_ == nullptr; }

  // The meta as a RESP map of bulk strings ("%n" in RESP3, the flat "*2n" array in RESP2),
  // framed straight from the encoded form: PutResp writes at most RespBound() bytes at p and
  // returns their end.
  size_t RespBound() const;
  char* PutResp(char* p, bool resp3) const;

  friend bool operator==(MetaView a, MetaView b) { return a.Encoded() == b.Encoded(); }

 private:
  friend class Meta;
  MetaView(const char* enc, size_t len) : enc_(enc), len_(len) {}

  const char* enc_ = nullptr;  // nullptr for the empty meta (a count of 0).
  size_t len_ = 0;
};

// An entry's metadata: string fields to string values, in the order they were first given.
//
// Entries carry a handful of short fields, and a registry holds millions of entries, so the
// fields live packed in one heap block in the form the peer protocol sends them:
//
//   varint count, then count times: varint field length, field bytes, varint value length, value
//
// (varints are LEB128, canonical). The object itself is one pointer; an empty meta allocates
// nothing. Replicating an entry appends Encoded() as is, and receiving one copies the bytes
// after one bounds check (Decode), so meta is never split into strings on the hot paths. The
// registry keeps no Meta: it copies the encoded form into its node and reads it as a MetaView.
class Meta {
 public:
  using Pair = MetaView::Pair;
  using Iterator = MetaView::Iterator;

  Meta() noexcept = default;
  Meta(std::initializer_list<Pair> pairs);  // For tests and literals; fields kept as given.
  explicit Meta(MetaView view);             // A copy of what view shows.
  Meta(const Meta& other) : Meta(other.view()) {}
  Meta& operator=(const Meta& other);
  Meta(Meta&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  Meta& operator=(Meta&& other) noexcept {
    if (this != &other) {
      std::free(block_);
      block_ = std::exchange(other.block_, nullptr);
    }
    return *this;
  }
  ~Meta() { std::free(block_); }

  // Builds a Meta from alternating field/value arguments; a repeated field keeps its last value
  // at its first position (as HSET does). REQUIRES: args.size() is even.
  static Meta FromArgs(std::span<const std::string_view> args);
  // The same meta encoded into *buf (grown as needed, never shrunk, so a reused buffer costs no
  // allocation); valid until buf changes.
  static MetaView EncodeArgs(std::span<const std::string_view> args, std::string* buf);
  // Builds a Meta from pairs, keeping repeated fields as given (what a peer may send).
  static Meta FromPairs(std::span<const Pair> pairs);

  // Decodes the encoded form at the front of `in` into *out. Returns the number of bytes it
  // took, or 0 when `in` does not start with a well-formed, canonical encoding (a truncated
  // length, a count larger than the bytes could hold, a non-minimal varint).
  static size_t Decode(std::string_view in, Meta* out);

  MetaView view() const;
  operator MetaView() const { return view(); }  // NOLINT: a Meta is read as its view.

  // The reads of MetaView.
  std::string_view Encoded() const { return view().Encoded(); }
  Iterator begin() const { return view().begin(); }
  Iterator end() const { return Iterator(); }
  size_t size() const { return view().size(); }
  bool empty() const { return block_ == nullptr; }
  size_t RespBound() const { return view().RespBound(); }
  char* PutResp(char* p, bool resp3) const { return view().PutResp(p, resp3); }

  friend bool operator==(const Meta& a, const Meta& b) { return a.Encoded() == b.Encoded(); }

 private:
  void Assign(std::string_view encoded);

  // uint32 length of the encoded form, then the encoded form; nullptr when empty.
  char* block_ = nullptr;
};

// Returns the value of `field`, if present.
std::optional<std::string_view> MetaFind(MetaView meta, std::string_view field);

// Bytes of field and value payload, used for the per-entry meta size limit and memory figures.
size_t MetaPayloadBytes(MetaView meta);

inline Meta MetaFromArgs(std::span<const std::string_view> args) { return Meta::FromArgs(args); }

}  // namespace groupd
