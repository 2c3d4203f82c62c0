#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace groupd::protocol {

// The peer protocol: length-framed binary frames between groupd nodes.
//
// Every frame is a fixed 12-byte header followed by `length` payload bytes. Integers in the
// header are little-endian. Payload fields are written with PeerWriter and read back with
// PeerReader: fixed-width little-endian integers, LEB128 varints, and length-prefixed strings.
// Decoding is bounds-checked everywhere: a malformed frame makes the reader fail, never read
// past its input.
inline constexpr uint32_t kPeerMagic = 0x44505247;  // "GRPD" on the wire.
inline constexpr uint8_t kPeerProtocolVersion = 1;

struct PeerFrameHeader {
  uint32_t magic;
  uint8_t version;
  uint8_t type;
  uint16_t flags;
  uint32_t length;
};
static_assert(sizeof(PeerFrameHeader) == 12, "peer frame header must be 12 bytes, no padding");
inline constexpr size_t kPeerHeaderSize = sizeof(PeerFrameHeader);

enum class PeerFrameType : uint8_t {
  kHello = 1,          // name, incarnation, shard count, advertised address, nonce.
  kAuth = 2,           // HMAC of the other side's nonce.
  kWelcome = 3,        // Handshake accepted.
  kReject = 4,         // Handshake refused: reason text. The sender closes the link.
  kClusters = 5,       // The named clusters the sender is connected to.
  kPeers = 6,          // Nodes the sender knows: name and peer address, for the full mesh.
  kSnapshotBegin = 7,  // cluster, [registrations that follow: a sizing hint]
  kSnapshotChunk = 8,  // cluster, entries
  kSnapshotEnd = 9,    // cluster
  kBatch = 10,         // A batch of changes made by the sender's processes, in order.
  kDispatch = 11,      // cluster, group, message.
  kPublish = 12,       // channel, payload.
  kHeartbeat = 13,
  kLeaving = 14,       // The sender is shutting down.
};

enum class HeaderResult { kOk, kNeedMore, kBadMagic, kBadVersion, kTooLong };

// Decodes the header at the front of buf. kOk needs buf to hold the whole frame too.
HeaderResult DecodePeerHeader(std::string_view buf, uint32_t max_length, PeerFrameHeader* out);

// Appends one frame to an output buffer: Begin() writes a header with a placeholder length and
// End() patches it, so payload fields are appended in place with no intermediate copy.
class PeerWriter {
 public:
  explicit PeerWriter(std::string* out) : out_(out) {}

  void Begin(PeerFrameType type);
  void End();

  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U32(uint32_t v);
  void U64(uint64_t v);
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Var(uint64_t v);
  void Str(std::string_view s) {
    Var(s.size());
    out_->append(s);
  }
  // Appends bytes already in wire form (a field encoded elsewhere).
  void Raw(std::string_view s) { out_->append(s); }

 private:
  std::string* out_;
  size_t start_ = 0;
};

// Reads payload fields. Any read past the end sets a sticky failure and returns zero values;
// callers check ok() once after reading a record.
class PeerReader {
 public:
  explicit PeerReader(std::string_view payload) : in_(payload) {}

  uint8_t U8();
  uint32_t U32();
  uint64_t U64();
  int64_t I64() { return static_cast<int64_t>(U64()); }
  uint64_t Var();
  std::string_view Str();
  // The unread bytes, for a field decoded elsewhere; Skip() then consumes what it took, and
  // Fail() marks the record malformed.
  std::string_view Rest() const { return ok_ ? in_.substr(pos_) : std::string_view(); }
  void Skip(size_t n) {
    if (Need(n)) pos_ += n;
  }
  void Fail() { ok_ = false; }

  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }

 private:
  bool Need(size_t n);

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace groupd::protocol
