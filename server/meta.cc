#include "server/meta.h"

#include "protocol/resp_writer.h"
#include "protocol/varint.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace groupd {

namespace {

using protocol::LoadVar;
using protocol::PutVar;
using protocol::VarLen;

// Reads a canonical varint from [*p, end); false if truncated, longer than 10 bytes or not
// minimal (a trailing zero group), so one value has exactly one encoding.
bool GetCanonicalVar(const char** p, const char* end, uint64_t* v) {
  const char* start = *p;
  if (!protocol::GetVar(p, end, v)) return false;
  if (static_cast<size_t>(*p - start) == VarLen(*v)) return true;
  *p = start;
  return false;
}

// Decodes a field or value length, which nearly always fits one varint byte.
inline size_t LoadLen(const char** p) {
  size_t n = static_cast<uint8_t>(**p);
  if (n < 0x80) {
    (*p)++;
    return n;
  }
  return LoadVar(p);
}

uint32_t BlockLength(const char* block) {
  uint32_t n;
  std::memcpy(&n, block, sizeof n);
  return n;
}

char* AllocBlock(size_t encoded_len) {
  char* block = static_cast<char*>(std::malloc(sizeof(uint32_t) + encoded_len));
  if (block == nullptr) throw std::bad_alloc();
  uint32_t n = static_cast<uint32_t>(encoded_len);
  std::memcpy(block, &n, sizeof n);
  return block;
}

// The encoded size of the `count` pairs get(it) for it in [first, last).
template <typename It, typename GetPair>
size_t EncodedSize(It first, It last, size_t count, GetPair get) {
  size_t len = VarLen(count);
  for (It it = first; it != last; ++it) {
    auto [f, v] = get(it);
    len += VarLen(f.size()) + f.size() + VarLen(v.size()) + v.size();
  }
  return len;
}

// Encodes those pairs at p (EncodedSize bytes).
template <typename It, typename GetPair>
void EncodeAt(char* p, It first, It last, size_t count, GetPair get) {
  p = PutVar(p, count);
  for (It it = first; it != last; ++it) {
    auto [f, v] = get(it);
    p = PutVar(p, f.size());
    std::memcpy(p, f.data(), f.size());
    p += f.size();
    p = PutVar(p, v.size());
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  }
}

// Writes those pairs into a new block.
template <typename It, typename GetPair>
char* BuildBlock(It first, It last, size_t count, GetPair get) {
  char* block = AllocBlock(EncodedSize(first, last, count, get));
  EncodeAt(block + sizeof(uint32_t), first, last, count, get);
  return block;
}

// Calls emit(first, last, count, get) with the pairs of alternating field/value arguments that
// FromArgs keeps: a repeated field keeps its last value at its first position (as HSET does).
// Quadratic in the number of fields, which the meta-max-fields limit keeps small.
template <typename Emit>
auto WithKeptPairs(std::span<const std::string_view> args, Emit&& emit) {
  using Pair = MetaView::Pair;
  size_t pairs = args.size() / 2;
  auto first_of = [&](size_t i) {
    for (size_t j = 0; j < i; j++) {
      if (args[2 * j] == args[2 * i]) return false;
    }
    return true;
  };
  bool repeated = false;
  for (size_t i = 1; i < pairs && !repeated; i++) repeated = !first_of(i);
  if (!repeated) {
    return emit(size_t{0}, pairs, pairs, [&](size_t i) { return Pair(args[2 * i], args[2 * i + 1]); });
  }
  auto last_value = [&](size_t i) {
    std::string_view v = args[2 * i + 1];
    for (size_t j = i + 1; j < pairs; j++) {
      if (args[2 * j] == args[2 * i]) v = args[2 * j + 1];
    }
    return v;
  };
  std::vector<Pair> kept;
  kept.reserve(pairs);
  for (size_t i = 0; i < pairs; i++) {
    if (first_of(i)) kept.emplace_back(args[2 * i], last_value(i));
  }
  return emit(kept.begin(), kept.end(), kept.size(), [](auto it) { return *it; });
}

}  // namespace

Meta::Meta(std::initializer_list<Pair> pairs) {
  if (pairs.size() == 0) return;
  block_ = BuildBlock(pairs.begin(), pairs.end(), pairs.size(), [](auto it) { return *it; });
}

Meta::Meta(MetaView view) {
  if (!view.empty()) Assign(view.Encoded());
}

Meta& Meta::operator=(const Meta& other) {
  if (this != &other) {
    Meta copy(other);
    std::swap(block_, copy.block_);
  }
  return *this;
}

void Meta::Assign(std::string_view encoded) {
  char* block = AllocBlock(encoded.size());
  std::memcpy(block + sizeof(uint32_t), encoded.data(), encoded.size());
  std::free(block_);
  block_ = block;
}

MetaView Meta::view() const {
  if (block_ == nullptr) return MetaView();
  return MetaView(block_ + sizeof(uint32_t), BlockLength(block_));
}

Meta Meta::FromArgs(std::span<const std::string_view> args) {
  Meta meta;
  if (args.size() < 2) return meta;
  meta.block_ = WithKeptPairs(args, [](auto first, auto last, size_t count, auto get) {
    return BuildBlock(first, last, count, get);
  });
  return meta;
}

MetaView Meta::EncodeArgs(std::span<const std::string_view> args, std::string* buf) {
  if (args.size() < 2) return MetaView();
  size_t len = WithKeptPairs(args, [&](auto first, auto last, size_t count, auto get) {
    size_t n = EncodedSize(first, last, count, get);
    if (buf->size() < n) buf->resize(n);
    EncodeAt(buf->data(), first, last, count, get);
    return n;
  });
  return MetaView(buf->data(), len);
}

Meta Meta::FromPairs(std::span<const Pair> pairs) {
  Meta meta;
  if (!pairs.empty()) {
    meta.block_ = BuildBlock(pairs.begin(), pairs.end(), pairs.size(), [](auto it) { return *it; });
  }
  return meta;
}

size_t Meta::Decode(std::string_view in, Meta* out) {
  const char* p = in.data();
  const char* end = p + in.size();
  uint64_t count;
  if (!GetCanonicalVar(&p, end, &count)) return 0;
  // Each pair takes at least two bytes, which bounds count before walking it.
  if (count > static_cast<uint64_t>(end - p) / 2) return 0;
  for (uint64_t i = 0; i < 2 * count; i++) {
    uint64_t n;
    if (!GetCanonicalVar(&p, end, &n) || n > static_cast<uint64_t>(end - p)) return 0;
    p += n;
  }
  size_t used = static_cast<size_t>(p - in.data());
  if (count == 0) {
    *out = Meta();
  } else {
    out->Assign(in.substr(0, used));
  }
  return used;
}

MetaView MetaView::AtEncoded(const char* p) {
  const char* start = p;
  size_t count = LoadVar(&p);
  if (count == 0) return MetaView();
  for (size_t i = 0; i < 2 * count; i++) {
    size_t n = LoadLen(&p);
    p += n;
  }
  return MetaView(start, static_cast<size_t>(p - start));
}

MetaView::Iterator MetaView::begin() const {
  if (enc_ == nullptr) return Iterator();
  const char* p = enc_;
  size_t count = LoadVar(&p);
  return Iterator(p, count);
}

size_t MetaView::size() const {
  if (enc_ == nullptr) return 0;
  const char* p = enc_;
  return LoadVar(&p);
}

size_t MetaView::RespBound() const {
  if (enc_ == nullptr) return protocol::kMaxFrameOverhead;
  // A string of length n, whose varint takes v bytes, frames as "$", at most 3v digits (n <
  // 2^7v), CRLF, n bytes, CRLF: at most 5 + 3(n + v). Summed over the 2 * count strings, at
  // most 10 * count + 3 * the encoded size, plus the map's own header.
  return protocol::kMaxFrameOverhead + 10 * size() + 3 * len_;
}

char* MetaView::PutResp(char* out, bool resp3) const {
  if (enc_ == nullptr) return protocol::PutHeader(out, resp3 ? '%' : '*', 0);
  const char* p = enc_;
  size_t count = LoadVar(&p);
  out = resp3 ? protocol::PutHeader(out, '%', count) : protocol::PutHeader(out, '*', 2 * count);
  for (size_t i = 0; i < 2 * count; i++) {
    size_t n = LoadLen(&p);
    out = protocol::PutBulk(out, std::string_view(p, n));
    p += n;
  }
  return out;
}

void MetaView::Iterator::Load() {
  if (left_ <= 1) {
    left_ = 0;
    return;
  }
  --left_;
  size_t n = LoadVar(&pos_);
  pair_.first = std::string_view(pos_, n);
  pos_ += n;
  n = LoadVar(&pos_);
  pair_.second = std::string_view(pos_, n);
  pos_ += n;
}

std::optional<std::string_view> MetaFind(MetaView meta, std::string_view field) {
  for (const auto& [f, v] : meta) {
    if (f == field) return v;
  }
  return std::nullopt;
}

size_t MetaPayloadBytes(MetaView meta) {
  size_t n = 0;
  for (const auto& [f, v] : meta) n += f.size() + v.size();
  return n;
}

}  // namespace groupd
