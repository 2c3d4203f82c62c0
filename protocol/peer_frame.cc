#include "protocol/peer_frame.h"

#include "protocol/varint.h"

namespace groupd::protocol {

namespace {

uint32_t LoadU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void StoreU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

}  // namespace

HeaderResult DecodePeerHeader(std::string_view buf, uint32_t max_length, PeerFrameHeader* out) {
  if (buf.size() < kPeerHeaderSize) return HeaderResult::kNeedMore;
  out->magic = LoadU32(buf.data());
  out->version = static_cast<uint8_t>(buf[4]);
  out->type = static_cast<uint8_t>(buf[5]);
  out->flags = static_cast<uint16_t>(static_cast<uint8_t>(buf[6]) |
                                     (static_cast<uint8_t>(buf[7]) << 8));
  out->length = LoadU32(buf.data() + 8);
  if (out->magic != kPeerMagic) return HeaderResult::kBadMagic;
  if (out->version != kPeerProtocolVersion) return HeaderResult::kBadVersion;
  if (out->length > max_length) return HeaderResult::kTooLong;
  if (buf.size() < kPeerHeaderSize + out->length) return HeaderResult::kNeedMore;
  return HeaderResult::kOk;
}

void PeerWriter::Begin(PeerFrameType type) {
  start_ = out_->size();
  char h[kPeerHeaderSize];
  StoreU32(h, kPeerMagic);
  h[4] = static_cast<char>(kPeerProtocolVersion);
  h[5] = static_cast<char>(type);
  h[6] = h[7] = 0;
  StoreU32(h + 8, 0);
  out_->append(h, sizeof(h));
}

void PeerWriter::End() {
  size_t len = out_->size() - start_ - kPeerHeaderSize;
  StoreU32(out_->data() + start_ + 8, static_cast<uint32_t>(len));
}

void PeerWriter::U32(uint32_t v) {
  char b[4];
  StoreU32(b, v);
  out_->append(b, 4);
}

void PeerWriter::U64(uint64_t v) {
  U32(static_cast<uint32_t>(v));
  U32(static_cast<uint32_t>(v >> 32));
}

void PeerWriter::Var(uint64_t v) {
  char buf[10];
  out_->append(buf, PutVar(buf, v) - buf);
}

bool PeerReader::Need(size_t n) {
  if (!ok_ || in_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

uint8_t PeerReader::U8() {
  if (!Need(1)) return 0;
  return static_cast<uint8_t>(in_[pos_++]);
}

uint32_t PeerReader::U32() {
  if (!Need(4)) return 0;
  uint32_t v = LoadU32(in_.data() + pos_);
  pos_ += 4;
  return v;
}

uint64_t PeerReader::U64() {
  if (!Need(8)) return 0;
  uint64_t lo = U32();
  uint64_t hi = U32();
  return lo | (hi << 32);
}

uint64_t PeerReader::Var() {
  uint64_t v = 0;
  const char* p = in_.data() + pos_;
  // Truncated, or more than 10 bytes: not a valid 64-bit varint.
  if (!ok_ || !GetVar(&p, in_.data() + in_.size(), &v)) {
    ok_ = false;
    return 0;
  }
  pos_ = static_cast<size_t>(p - in_.data());
  return v;
}

std::string_view PeerReader::Str() {
  uint64_t n = Var();
  if (!ok_ || n > in_.size() - pos_) {
    ok_ = false;
    return {};
  }
  std::string_view s = in_.substr(pos_, n);
  pos_ += n;
  return s;
}

}  // namespace groupd::protocol
