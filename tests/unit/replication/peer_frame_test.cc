// Unit tests of the peer-frame codec (protocol/peer_frame.h): the 12-byte header, PeerWriter's
// field encodings and PeerReader's bounds-checked decoding of well-formed, truncated and garbage
// payloads. No sockets.
#include "protocol/peer_frame.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace groupd::protocol {
namespace {

using namespace std::string_literals;

constexpr uint32_t kMax = 64 * 1024 * 1024;

// A payload copied into a heap block of exactly its size, so that a read past the end touches
// memory outside the allocation (which AddressSanitizer builds report) instead of a string's
// spare capacity or terminating NUL.
class ExactBuffer {
 public:
  explicit ExactBuffer(std::string_view bytes)
      : size_(bytes.size()), data_(new char[bytes.empty() ? 1 : bytes.size()]) {
    std::copy(bytes.begin(), bytes.end(), data_.get());
  }
  std::string_view view() const { return std::string_view(data_.get(), size_); }
  // True when s lies entirely inside the buffer (an empty view anywhere counts).
  bool Contains(std::string_view s) const {
    if (s.empty()) return true;
    return s.data() >= data_.get() && s.data() + s.size() <= data_.get() + size_;
  }

 private:
  size_t size_;
  std::unique_ptr<char[]> data_;
};

// A header with the given fields, built byte by byte (little-endian), independently of
// PeerWriter.
std::string RawHeader(uint32_t magic, uint8_t version, uint8_t type, uint16_t flags,
                      uint32_t length) {
  std::string h;
  for (int i = 0; i < 4; i++) h.push_back(static_cast<char>((magic >> (8 * i)) & 0xFF));
  h.push_back(static_cast<char>(version));
  h.push_back(static_cast<char>(type));
  h.push_back(static_cast<char>(flags & 0xFF));
  h.push_back(static_cast<char>(flags >> 8));
  for (int i = 0; i < 4; i++) h.push_back(static_cast<char>((length >> (8 * i)) & 0xFF));
  return h;
}

// One complete frame written with PeerWriter.
std::string Frame(PeerFrameType type, std::string_view payload_str) {
  std::string out;
  PeerWriter w(&out);
  w.Begin(type);
  out.append(payload_str);
  w.End();
  return out;
}

std::string VarBytes(uint64_t v) {
  std::string out;
  PeerWriter(&out).Var(v);
  return out;
}

// --- Header ------------------------------------------------------------------------------------

TEST(PeerFrameHeaderTest, WriterFrameDecodesWithTypeAndPayloadLength) {
  std::string out;
  PeerWriter w(&out);
  w.Begin(PeerFrameType::kBatch);
  w.Str("hello");
  w.U32(7);
  w.End();
  ASSERT_EQ(out.size(), kPeerHeaderSize + 1 + 5 + 4);
  PeerFrameHeader h{};
  ASSERT_EQ(DecodePeerHeader(out, kMax, &h), HeaderResult::kOk);
  EXPECT_EQ(h.magic, kPeerMagic);
  EXPECT_EQ(h.version, kPeerProtocolVersion);
  EXPECT_EQ(h.type, static_cast<uint8_t>(PeerFrameType::kBatch));
  EXPECT_EQ(h.flags, 0);
  EXPECT_EQ(h.length, 10u);
}

TEST(PeerFrameHeaderTest, HeaderBytesAreMagicGrpdVersionTypeFlagsAndLittleEndianLength) {
  std::string out = Frame(PeerFrameType::kHello, std::string(258, 'x'));
  EXPECT_EQ(out.substr(0, 4), "GRPD");
  EXPECT_EQ(static_cast<uint8_t>(out[4]), kPeerProtocolVersion);
  EXPECT_EQ(static_cast<uint8_t>(out[5]), static_cast<uint8_t>(PeerFrameType::kHello));
  EXPECT_EQ(out.substr(6, 2), "\0\0"s);
  EXPECT_EQ(out.substr(8, 4), "\x02\x01\0\0"s);  // 258 = 0x0102.
}

TEST(PeerFrameHeaderTest, EmptyPayloadFrameIsJustTheHeader) {
  std::string out = Frame(PeerFrameType::kHeartbeat, "");
  ASSERT_EQ(out.size(), kPeerHeaderSize);
  PeerFrameHeader h{};
  ASSERT_EQ(DecodePeerHeader(out, kMax, &h), HeaderResult::kOk);
  EXPECT_EQ(h.length, 0u);
}

TEST(PeerFrameHeaderTest, DecodesFlagsAndTypeFromRawBytes) {
  std::string frame = RawHeader(kPeerMagic, kPeerProtocolVersion, 0xAB, 0xBEEF, 3) + "xyz";
  PeerFrameHeader h{};
  ASSERT_EQ(DecodePeerHeader(frame, kMax, &h), HeaderResult::kOk);
  EXPECT_EQ(h.type, 0xAB);
  EXPECT_EQ(h.flags, 0xBEEF);
  EXPECT_EQ(h.length, 3u);
}

TEST(PeerFrameHeaderTest, NeedsMoreAtEveryPrefixOfHeaderAndPayload) {
  std::string frame = Frame(PeerFrameType::kPeers, "0123456789");
  for (size_t n = 0; n < frame.size(); n++) {
    PeerFrameHeader h{};
    EXPECT_EQ(DecodePeerHeader(std::string_view(frame).substr(0, n), kMax, &h),
              HeaderResult::kNeedMore)
        << "prefix of " << n << " bytes";
  }
  PeerFrameHeader h{};
  EXPECT_EQ(DecodePeerHeader(frame, kMax, &h), HeaderResult::kOk);
}

TEST(PeerFrameHeaderTest, TrailingBytesOfTheNextFrameDoNotDisturbDecoding) {
  std::string two = Frame(PeerFrameType::kHeartbeat, "") + Frame(PeerFrameType::kLeaving, "ab");
  PeerFrameHeader h{};
  ASSERT_EQ(DecodePeerHeader(two, kMax, &h), HeaderResult::kOk);
  EXPECT_EQ(h.type, static_cast<uint8_t>(PeerFrameType::kHeartbeat));
  ASSERT_EQ(DecodePeerHeader(std::string_view(two).substr(kPeerHeaderSize + h.length), kMax, &h),
            HeaderResult::kOk);
  EXPECT_EQ(h.type, static_cast<uint8_t>(PeerFrameType::kLeaving));
  EXPECT_EQ(h.length, 2u);
}

TEST(PeerFrameHeaderTest, WrongMagicIsBadMagic) {
  PeerFrameHeader h{};
  EXPECT_EQ(DecodePeerHeader(RawHeader(kPeerMagic ^ 1, kPeerProtocolVersion, 1, 0, 0), kMax, &h),
            HeaderResult::kBadMagic);
  EXPECT_EQ(DecodePeerHeader("GET / HTTP/1.1\r\n\r\n", kMax, &h), HeaderResult::kBadMagic);
  EXPECT_EQ(DecodePeerHeader(std::string(12, '\0'), kMax, &h), HeaderResult::kBadMagic);
  // Byte-swapped magic (a big-endian writer) is not accepted either.
  EXPECT_EQ(DecodePeerHeader("DPRG" + std::string(8, '\0'), kMax, &h), HeaderResult::kBadMagic);
}

TEST(PeerFrameHeaderTest, WrongMagicIsReportedBeforeWrongVersionOrLength) {
  PeerFrameHeader h{};
  EXPECT_EQ(DecodePeerHeader(RawHeader(0x12345678, 9, 1, 0, 0xFFFFFFFF), kMax, &h),
            HeaderResult::kBadMagic);
}

TEST(PeerFrameHeaderTest, OtherVersionIsBadVersion) {
  for (int version : {0, 2, 255}) {
    PeerFrameHeader h{};
    EXPECT_EQ(
        DecodePeerHeader(RawHeader(kPeerMagic, static_cast<uint8_t>(version), 1, 0, 0), kMax, &h),
        HeaderResult::kBadVersion)
        << "version " << version;
  }
}

TEST(PeerFrameHeaderTest, LengthOverMaxIsTooLongWithoutWaitingForThePayload) {
  PeerFrameHeader h{};
  EXPECT_EQ(DecodePeerHeader(RawHeader(kPeerMagic, kPeerProtocolVersion, 10, 0, 101), 100, &h),
            HeaderResult::kTooLong);
  EXPECT_EQ(
      DecodePeerHeader(RawHeader(kPeerMagic, kPeerProtocolVersion, 10, 0, 0xFFFFFFFF), kMax, &h),
      HeaderResult::kTooLong);
  // Exactly the maximum is allowed: it waits for the payload.
  EXPECT_EQ(DecodePeerHeader(RawHeader(kPeerMagic, kPeerProtocolVersion, 10, 0, 100), 100, &h),
            HeaderResult::kNeedMore);
  EXPECT_EQ(
      DecodePeerHeader(
          RawHeader(kPeerMagic, kPeerProtocolVersion, 10, 0, 100) + std::string(100, 'p'), 100, &h),
      HeaderResult::kOk);
}

TEST(PeerFrameHeaderTest, BadVersionIsReportedBeforeTooLong) {
  PeerFrameHeader h{};
  EXPECT_EQ(DecodePeerHeader(RawHeader(kPeerMagic, 7, 1, 0, 0xFFFFFFFF), 100, &h),
            HeaderResult::kBadVersion);
}

// --- Writer / reader round trips ---------------------------------------------------------------

TEST(PeerCodecTest, FixedWidthIntegersRoundTrip) {
  const std::vector<uint8_t> u8s = {0, 1, 0x7F, 0x80, 0xFF};
  const std::vector<uint32_t> u32s = {0, 1, 0xFF, 0x100, 0x01020304, 0x80000000, 0xFFFFFFFF};
  const std::vector<uint64_t> u64s = {
      0, 1, 0xFFFFFFFF, 0x100000000, 0x0102030405060708, std::numeric_limits<uint64_t>::max()};
  const std::vector<int64_t> i64s = {std::numeric_limits<int64_t>::min(), -1, 0, 1,
                                     std::numeric_limits<int64_t>::max()};
  std::string buf;
  PeerWriter w(&buf);
  for (auto v : u8s) w.U8(v);
  for (auto v : u32s) w.U32(v);
  for (auto v : u64s) w.U64(v);
  for (auto v : i64s) w.I64(v);
  EXPECT_EQ(buf.size(), u8s.size() + 4 * u32s.size() + 8 * (u64s.size() + i64s.size()));

  ExactBuffer in(buf);
  PeerReader r(in.view());
  for (auto v : u8s) EXPECT_EQ(r.U8(), v);
  for (auto v : u32s) EXPECT_EQ(r.U32(), v);
  for (auto v : u64s) EXPECT_EQ(r.U64(), v);
  for (auto v : i64s) EXPECT_EQ(r.I64(), v);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(PeerCodecTest, FixedWidthIntegersAreLittleEndian) {
  std::string buf;
  PeerWriter w(&buf);
  w.U32(0x01020304);
  w.U64(0x1112131415161718);
  EXPECT_EQ(buf, "\x04\x03\x02\x01\x18\x17\x16\x15\x14\x13\x12\x11");
}

TEST(PeerCodecTest, VarintEncodesSevenBitsPerByteLowGroupFirst) {
  EXPECT_EQ(VarBytes(0), "\0"s);
  EXPECT_EQ(VarBytes(1), "\x01");
  EXPECT_EQ(VarBytes(127), "\x7f");
  EXPECT_EQ(VarBytes(128), "\x80\x01");
  EXPECT_EQ(VarBytes(300), "\xac\x02");
  EXPECT_EQ(VarBytes(16383), "\xff\x7f");
  EXPECT_EQ(VarBytes(16384), "\x80\x80\x01");
  EXPECT_EQ(VarBytes(uint64_t{1} << 63), "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01");
  EXPECT_EQ(VarBytes(std::numeric_limits<uint64_t>::max()),
            "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01");
}

TEST(PeerCodecTest, VarintRoundTripsAtEveryLengthBoundary) {
  struct Case {
    uint64_t value;
    size_t bytes;
  };
  std::vector<Case> cases = {{0, 1}, {127, 1}, {128, 2}, {16383, 2}, {16384, 3}};
  // 2^(7k) - 1 is the largest k-byte value and 2^(7k) the smallest (k+1)-byte one.
  for (int k = 3; k <= 9; k++) {
    uint64_t edge = uint64_t{1} << (7 * k);
    cases.push_back({edge - 1, static_cast<size_t>(k)});
    cases.push_back({edge, static_cast<size_t>(k + 1)});
  }
  cases.push_back({(uint64_t{1} << 63) - 1, 9});
  cases.push_back({uint64_t{1} << 63, 10});
  cases.push_back({std::numeric_limits<uint64_t>::max(), 10});
  for (const Case& c : cases) {
    std::string bytes = VarBytes(c.value);
    EXPECT_EQ(bytes.size(), c.bytes) << c.value;
    ExactBuffer in(bytes);
    PeerReader r(in.view());
    EXPECT_EQ(r.Var(), c.value);
    EXPECT_TRUE(r.ok()) << c.value;
    EXPECT_TRUE(r.done()) << c.value;
  }
}

TEST(PeerCodecTest, StringsRoundTripIncludingEmptyBinaryAndLong) {
  const std::vector<std::string> strs = {
      "",
      "a",
      "\0"s,
      "bin\0ary\xff\xfe\r\n\x80"s,
      std::string(127, 'x'),  // Largest one-byte length prefix.
      std::string(128, 'y'),  // Smallest two-byte length prefix.
      std::string(70000, '\xee'),
  };
  std::string buf;
  PeerWriter w(&buf);
  for (const auto& s : strs) w.Str(s);
  ExactBuffer in(buf);
  PeerReader r(in.view());
  for (const auto& s : strs) {
    std::string_view got = r.Str();
    EXPECT_EQ(got, s) << "string of " << s.size() << " bytes";
    EXPECT_TRUE(in.Contains(got));
  }
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
}

TEST(PeerCodecTest, StringLengthPrefixIsAVarint) {
  std::string buf;
  PeerWriter(&buf).Str(std::string(128, 'z'));
  EXPECT_EQ(buf.substr(0, 2), "\x80\x01");
  EXPECT_EQ(buf.size(), 130u);
}

TEST(PeerCodecTest, MixedRecordRoundTripsInsideAFrame) {
  std::string out;
  PeerWriter w(&out);
  w.Begin(PeerFrameType::kBatch);
  w.U8(1);
  w.Str("");
  w.Str("users/42");
  w.Str("7.abc@n1");
  w.I64(-5);
  w.U8(0);
  w.Var(2);
  w.Str("f");
  w.Str("v");
  w.Str("g");
  w.Str("");
  w.End();
  PeerFrameHeader h{};
  ASSERT_EQ(DecodePeerHeader(out, kMax, &h), HeaderResult::kOk);
  ExactBuffer in(std::string_view(out).substr(kPeerHeaderSize, h.length));
  PeerReader r(in.view());
  EXPECT_EQ(r.U8(), 1);
  EXPECT_EQ(r.Str(), "");
  EXPECT_EQ(r.Str(), "users/42");
  EXPECT_EQ(r.Str(), "7.abc@n1");
  EXPECT_EQ(r.I64(), -5);
  EXPECT_EQ(r.U8(), 0);
  EXPECT_EQ(r.Var(), 2u);
  EXPECT_EQ(r.Str(), "f");
  EXPECT_EQ(r.Str(), "v");
  EXPECT_EQ(r.Str(), "g");
  EXPECT_EQ(r.Str(), "");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
}

TEST(PeerCodecTest, TwoFramesWrittenBackToBackEachCarryTheirOwnLength) {
  std::string out;
  PeerWriter w(&out);
  w.Begin(PeerFrameType::kDispatch);
  w.Str("first");
  w.End();
  w.Begin(PeerFrameType::kPublish);
  w.Str("second frame");
  w.End();
  PeerFrameHeader h1{}, h2{};
  ASSERT_EQ(DecodePeerHeader(out, kMax, &h1), HeaderResult::kOk);
  EXPECT_EQ(h1.length, 6u);
  ASSERT_EQ(DecodePeerHeader(std::string_view(out).substr(kPeerHeaderSize + h1.length), kMax, &h2),
            HeaderResult::kOk);
  EXPECT_EQ(h2.type, static_cast<uint8_t>(PeerFrameType::kPublish));
  EXPECT_EQ(h2.length, 13u);
}

// --- Reader bounds checks ----------------------------------------------------------------------

TEST(PeerReaderTest, EveryReadOfAnEmptyPayloadFailsAndReturnsZero) {
  {
    PeerReader r("");
    EXPECT_EQ(r.U8(), 0);
    EXPECT_FALSE(r.ok());
  }
  {
    PeerReader r("");
    EXPECT_EQ(r.U32(), 0u);
    EXPECT_FALSE(r.ok());
  }
  {
    PeerReader r("");
    EXPECT_EQ(r.U64(), 0u);
    EXPECT_FALSE(r.ok());
  }
  {
    PeerReader r("");
    EXPECT_EQ(r.Var(), 0u);
    EXPECT_FALSE(r.ok());
  }
  {
    PeerReader r("");
    EXPECT_EQ(r.Str(), "");
    EXPECT_FALSE(r.ok());
  }
}

TEST(PeerReaderTest, TruncatedFixedIntegersFailWithoutConsuming) {
  ExactBuffer three("\x01\x02\x03");
  PeerReader r(three.view());
  EXPECT_EQ(r.U32(), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.remaining(), 3u);

  ExactBuffer seven("\x01\x02\x03\x04\x05\x06\x07");
  PeerReader r64(seven.view());
  r64.U64();
  EXPECT_FALSE(r64.ok());
}

// The header promises zero values after a failed read. U64 reads two U32 halves, and when only
// the first half is there it returns that half instead of zero. Callers check ok(), so this is
// harmless today; enable once U64 returns 0 on failure.
TEST(PeerReaderTest, TruncatedU64ReturnsZero) {
  ExactBuffer seven("\x01\x02\x03\x04\x05\x06\x07");
  PeerReader r(seven.view());
  EXPECT_EQ(r.U64(), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(PeerReaderTest, FailureIsStickyEvenWhenLaterReadsWouldFit) {
  ExactBuffer in("\x05\x01\x02");  // Str of length 5, only 2 bytes follow.
  PeerReader r(in.view());
  EXPECT_EQ(r.Str(), "");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.U8(), 0);  // Two bytes remain, but the reader has failed.
  EXPECT_EQ(r.Var(), 0u);
  EXPECT_FALSE(r.ok());
}

TEST(PeerReaderTest, StringLongerThanWhatRemainsFails) {
  std::string buf = VarBytes(10) + "short";
  ExactBuffer in(buf);
  PeerReader r(in.view());
  EXPECT_EQ(r.Str(), "");
  EXPECT_FALSE(r.ok());
}

TEST(PeerReaderTest, HugeStringLengthFailsWithoutOverflow) {
  for (uint64_t len : {uint64_t{1} << 32, uint64_t{1} << 63, std::numeric_limits<uint64_t>::max(),
                       std::numeric_limits<uint64_t>::max() - 2}) {
    std::string buf = VarBytes(len) + "abc";
    ExactBuffer in(buf);
    PeerReader r(in.view());
    std::string_view s = r.Str();
    EXPECT_TRUE(s.empty()) << len;
    EXPECT_FALSE(r.ok()) << len;
    EXPECT_LE(r.remaining(), buf.size());
  }
}

TEST(PeerReaderTest, VarintCutInsideItsContinuationBytesFails) {
  std::string full = VarBytes(uint64_t{1} << 40);
  for (size_t n = 0; n < full.size(); n++) {
    ExactBuffer in(std::string_view(full).substr(0, n));
    PeerReader r(in.view());
    r.Var();
    EXPECT_FALSE(r.ok()) << "varint cut to " << n << " bytes";
  }
}

TEST(PeerReaderTest, ElevenByteVarintFails) {
  // Ten continuation bytes then a terminator: more than a 64-bit value can need.
  std::string eleven = std::string(10, '\x80') + "\x01"s;
  ExactBuffer in(eleven);
  PeerReader r(in.view());
  EXPECT_EQ(r.Var(), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Str(), "");  // Sticky.
}

TEST(PeerReaderTest, TenByteVarintOfMaxValueIsAccepted) {
  ExactBuffer in(std::string(9, '\xff') + "\x01"s);
  PeerReader r(in.view());
  EXPECT_EQ(r.Var(), std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
}

TEST(PeerReaderTest, EveryTruncationOfARecordFailsAndTheWholeRecordSucceeds) {
  // A record shaped like a batch op: op, cluster, key, pid, time, reason, meta count + pairs.
  std::string rec;
  PeerWriter w(&rec);
  w.U8(3);
  w.Str("c");
  w.Str(std::string(200, 'k'));
  w.Str("1.x@n");
  w.I64(123456789);
  w.U8(0);
  w.Var(1);
  w.Str("field");
  w.Str("value");
  auto read_record = [](PeerReader& r) {
    r.U8();
    r.Str();
    r.Str();
    r.Str();
    r.I64();
    r.U8();
    uint64_t n = r.Var();
    for (uint64_t i = 0; i < n && r.ok(); i++) {
      r.Str();
      r.Str();
    }
  };
  for (size_t n = 0; n < rec.size(); n++) {
    ExactBuffer in(std::string_view(rec).substr(0, n));
    PeerReader r(in.view());
    read_record(r);
    EXPECT_FALSE(r.ok()) << "record cut to " << n << " of " << rec.size() << " bytes";
  }
  ExactBuffer in(rec);
  PeerReader r(in.view());
  read_record(r);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.done());
}

TEST(PeerReaderTest, TruncatedHelloPayloadFailsToDecode) {
  // The HELLO layout PeerLink sends: name, incarnation, shards, address, nonce, secret flag,
  // clusters.
  std::string hello;
  PeerWriter w(&hello);
  w.Str("node-a");
  w.Str("inc1");
  w.U32(8);
  w.Str("127.0.0.1:1");
  w.Str(std::string(16, '\x01'));
  w.U8(0);
  w.Var(1);
  w.Str("c1");
  for (size_t n = 0; n < hello.size(); n++) {
    ExactBuffer in(std::string_view(hello).substr(0, n));
    PeerReader r(in.view());
    r.Str();
    r.Str();
    r.U32();
    r.Str();
    r.Str();
    r.U8();
    uint64_t count = r.Var();
    for (uint64_t i = 0; i < count && r.ok(); i++) r.Str();
    EXPECT_FALSE(r.ok()) << "HELLO cut to " << n << " bytes";
  }
}

TEST(PeerReaderTest, RandomGarbageNeverReadsOutsideThePayload) {
  std::mt19937_64 rng(20240601);
  for (int round = 0; round < 5000; round++) {
    std::string bytes(rng() % 48, '\0');
    for (auto& ch : bytes) {
      // Favour continuation bytes and small lengths, the interesting cases for varints.
      uint64_t pick = rng() % 4;
      ch = static_cast<char>(pick == 0 ? 0x80 | (rng() & 0x7F) : pick == 1 ? rng() % 8 : rng());
    }
    ExactBuffer in(bytes);
    PeerReader r(in.view());
    bool failed = false;
    for (int op = 0; op < 24; op++) {
      size_t before = r.remaining();
      switch (rng() % 5) {
        case 0:
          r.U8();
          break;
        case 1:
          r.U32();
          break;
        case 2:
          r.U64();
          break;
        case 3:
          r.Var();
          break;
        default: {
          std::string_view s = r.Str();
          ASSERT_TRUE(in.Contains(s)) << "round " << round;
          if (!r.ok()) {
            EXPECT_TRUE(s.empty());
          }
        }
      }
      ASSERT_LE(r.remaining(), before) << "reader moved backwards";
      ASSERT_LE(r.remaining(), bytes.size());
      if (failed) {
        ASSERT_FALSE(r.ok()) << "failure must be sticky";
      }
      failed = !r.ok();
    }
  }
}

}  // namespace
}  // namespace groupd::protocol
