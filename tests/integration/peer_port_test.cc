// The peer port under hostile input: garbage, malformed frames, frames out of handshake order
// and broken frames from a peer that completed the handshake each close only that connection.
// The node keeps serving clients and keeps its real peer link, and INFO replication counts every
// malformed frame (docs/DESIGN.md, "Frames": a malformed frame closes that link, never the node).
//
// Frames are encoded here byte by byte from the documented layout (protocol/peer_frame.h), not
// with the server's own codec, so the test also pins the wire format.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/groupd_process.h"

namespace groupd::testing {
namespace {

using namespace std::string_literals;

// --- Wire encoding (little-endian header, LEB128 varints, length-prefixed strings) -------------

constexpr uint32_t kMagic = 0x44505247;  // "GRPD"
constexpr uint8_t kVersion = 1;
enum : uint8_t { kHello = 1, kAuth = 2, kBatch = 10, kHeartbeat = 13 };

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; i++) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU64(std::string& out, uint64_t v) {
  PutU32(out, static_cast<uint32_t>(v));
  PutU32(out, static_cast<uint32_t>(v >> 32));
}
void PutVar(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void PutStr(std::string& out, std::string_view s) {
  PutVar(out, s.size());
  out.append(s);
}

std::string Header(uint8_t type, uint32_t length, uint8_t version = kVersion,
                   uint32_t magic = kMagic) {
  std::string h;
  PutU32(h, magic);
  h.push_back(static_cast<char>(version));
  h.push_back(static_cast<char>(type));
  h.append("\0\0"s);  // flags
  PutU32(h, length);
  return h;
}

std::string Frame(uint8_t type, const std::string& payload) {
  return Header(type, static_cast<uint32_t>(payload.size())) + payload;
}

std::string HelloPayload(const std::string& name, int shards) {
  std::string p;
  PutStr(p, name);
  PutStr(p, "inc1");  // incarnation
  PutU32(p, static_cast<uint32_t>(shards));
  PutStr(p, "");                       // advertised address: none, so the node never dials us
  PutStr(p, std::string(16, '\x5a'));  // nonce
  p.push_back('\0');                   // no cluster secret
  PutVar(p, 0);                        // named clusters
  return p;
}

// With no cluster-secret the expected MAC is empty.
std::string AuthFrame() {
  std::string p;
  PutStr(p, "");
  return Frame(kAuth, p);
}

// A batch of one registration in the default cluster.
std::string RegisterBatch(const std::string& key, const std::string& pid) {
  std::string p;
  p.push_back('\x01');  // op: register
  PutStr(p, "");        // cluster
  PutStr(p, key);
  PutStr(p, pid);
  PutU64(p, 12345);   // time_us
  p.push_back('\0');  // reason
  PutVar(p, 1);       // meta: one pair
  PutStr(p, "from");
  PutStr(p, "fake");
  return Frame(kBatch, p);
}

// The node name from a connection's pid ("<id>.<incarnation>@<node>").
std::string NodeName(int port) {
  RawClient c;
  if (!c.Connect(port)) return "";
  std::string pid = c.Command({"GPID"}).str;
  size_t at = pid.find('@');
  return at == std::string::npos ? "" : pid.substr(at + 1);
}

// True when GNODES on the node at port lists name.
bool Lists(int port, const std::string& name) {
  RawClient c;
  if (!c.Connect(port)) return false;
  RespValue nodes = c.Command({"GNODES"});
  for (const auto& n : nodes.elems) {
    if (n.str == name) return true;
  }
  return false;
}

// --- Fixture: node A under attack, node B its real peer -----------------------------------------

// Long enough that no close in these tests can be the handshake timeout: a close that arrives
// well before it was caused by the input.
constexpr int kPeerTimeoutMs = 10000;
constexpr auto kCloseWait = 3s;

class PeerPortTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    a_ = new GroupdProcess({"--peer-timeout", std::to_string(kPeerTimeoutMs)});
    start_error_ = a_->Start();
    if (!start_error_.empty()) return;
    b_ = new GroupdProcess({"--peer-timeout", std::to_string(kPeerTimeoutMs), "--seeds",
                            "127.0.0.1:" + std::to_string(a_->peer_port())});
    start_error_ = b_->Start();
    if (!start_error_.empty()) return;
    a_name_ = NodeName(a_->port());
    b_name_ = NodeName(b_->port());
    if (!WaitFor([] { return Lists(a_->port(), b_name_) && Lists(b_->port(), a_name_); }, 10s)) {
      start_error_ = "nodes did not form a link within 10 s";
    }
  }
  static void TearDownTestSuite() {
    delete b_;
    delete a_;
    b_ = a_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(start_error_, "");
    ASSERT_TRUE(admin_.Connect(a_->port()));
    malformed_before_ = Counter("malformed_frames");
    links_down_before_ = Counter("links_down");
  }

  int64_t Counter(const std::string& field) {
    RespValue info = admin_.Command({"INFO", "replication"});
    auto v = InfoField(info.str, field);
    EXPECT_TRUE(v.has_value()) << field << " missing from INFO replication:\n" << info.str;
    return v ? std::stoll(*v) : -1;
  }

  int Shards() {
    RespValue r = admin_.Command({"CONFIG", "GET", "shards"});
    return r.elems.size() == 2 ? std::stoi(r.elems[1].str) : 8;
  }

  // Connects to A's peer port.
  void ConnectPeer(RawClient& c) { ASSERT_TRUE(c.Connect(a_->peer_port())); }

  // Sends bytes and expects A to close the connection promptly with an orderly FIN. Returns what
  // A sent before closing.
  std::string ExpectClosedAfter(RawClient& c, const std::string& bytes) {
    EXPECT_TRUE(c.Send(bytes));
    std::string received;
    bool reset = false;
    EXPECT_TRUE(c.ReadUntilClosed(&received, kCloseWait, &reset))
        << "the node did not close the peer connection";
    EXPECT_FALSE(reset) << "expected read to return 0 (FIN), got a reset";
    return received;
  }

  // A keeps serving clients, keeps B listed, and the real link still carries changes.
  void ExpectNodeHealthyWithRealPeer() {
    EXPECT_TRUE(a_->IsAlive());
    EXPECT_EQ(admin_.Command({"PING"}).ToString(), "+PONG");
    EXPECT_TRUE(Lists(a_->port(), b_name_)) << "A lost its link to B";
    EXPECT_TRUE(Lists(b_->port(), a_name_)) << "B lost its link to A";
    RawClient writer;
    ASSERT_TRUE(writer.Connect(b_->port()));
    const std::string key =
        "probe/" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(writer.Command({"GREG", key}).ToString(), "+OK");
    const std::string pid = writer.Command({"GPID"}).str;
    EXPECT_TRUE(WaitFor(
        [&] {
          RespValue r = admin_.Command({"GLOOKUP", key});
          return !r.elems.empty() && r.elems[0].str == pid;
        },
        5s))
        << "a registration on B did not reach A over the real link";
  }

  void ExpectMalformedCounted(int64_t n) {
    EXPECT_EQ(Counter("malformed_frames") - malformed_before_, n);
  }

  static GroupdProcess* a_;
  static GroupdProcess* b_;
  static std::string start_error_;
  static std::string a_name_, b_name_;

  RawClient admin_;
  int64_t malformed_before_ = 0;
  int64_t links_down_before_ = 0;
};

GroupdProcess* PeerPortTest::a_ = nullptr;
GroupdProcess* PeerPortTest::b_ = nullptr;
std::string PeerPortTest::start_error_;
std::string PeerPortTest::a_name_;
std::string PeerPortTest::b_name_;

// --- Malformed input before any handshake ------------------------------------------------------

TEST_F(PeerPortTest, GarbageBytesCloseTheConnectionAndNodeKeepsServing) {
  RawClient peer;
  ConnectPeer(peer);
  std::string got = ExpectClosedAfter(peer, "GET / HTTP/1.1\r\nHost: groupd\r\n\r\n");
  // What came back before the close is the node's own HELLO: it speaks the peer protocol first.
  ASSERT_GE(got.size(), 12u);
  EXPECT_EQ(got.substr(0, 4), "GRPD");
  EXPECT_EQ(static_cast<uint8_t>(got[5]), kHello);
  ExpectMalformedCounted(1);
  EXPECT_EQ(Counter("links_down"), links_down_before_);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, RedisCommandOnThePeerPortClosesTheConnection) {
  RawClient peer;
  ConnectPeer(peer);
  ExpectClosedAfter(peer, EncodeCommand({"PING"}) + EncodeCommand({"GREG", "sneaky"}));
  ExpectMalformedCounted(1);
  EXPECT_EQ(admin_.Command({"GLOOKUP", "sneaky"}).type, RespValue::kNull);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, TruncatedHelloPayloadClosesTheConnection) {
  RawClient peer;
  ConnectPeer(peer);
  // The name claims 10 bytes; the frame's payload ends after 4 of them.
  std::string payload;
  PutVar(payload, 10);
  payload += "abcd";
  ExpectClosedAfter(peer, Frame(kHello, payload));
  ExpectMalformedCounted(1);
  EXPECT_EQ(Counter("links_down"), links_down_before_);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, HelloWithTrailingFieldsCutClosesTheConnection) {
  RawClient peer;
  ConnectPeer(peer);
  std::string hello = HelloPayload("cut-hello", Shards());
  // Everything up to the nonce, then nothing: the secret flag and cluster list are missing.
  ExpectClosedAfter(peer, Frame(kHello, hello.substr(0, hello.size() - 2)));
  ExpectMalformedCounted(1);
  EXPECT_FALSE(Lists(a_->port(), "cut-hello"));
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, HugeFrameLengthClosesWithoutWaitingForThePayload) {
  RawClient peer;
  ConnectPeer(peer);
  auto start = std::chrono::steady_clock::now();
  ExpectClosedAfter(peer, Header(kHello, 0xFFFFFFFF));
  EXPECT_LT(std::chrono::steady_clock::now() - start, kCloseWait);
  ExpectMalformedCounted(1);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, LengthJustOverTheFrameLimitClosesTheConnection) {
  RawClient peer;
  ConnectPeer(peer);
  ExpectClosedAfter(peer, Header(kBatch, 64 * 1024 * 1024 + 1));
  ExpectMalformedCounted(1);
  ExpectNodeHealthyWithRealPeer();
}

// Disabled: before the handshake the node accepts any frame up to the 64 MB frame limit and
// buffers it while waiting for the rest, so each unauthenticated connection can make the node
// hold ~64 MB until peer-timeout (three such connections took a node from 7 MB to 199 MB RSS).
// HELLO and AUTH are a few hundred bytes: a small limit before the handshake (e.g. 64 KB) would
// refuse this at once. Enable once the node does.
TEST_F(PeerPortTest, LargeFrameBeforeTheHandshakeIsRefusedAtOnce) {
  RawClient peer;
  ConnectPeer(peer);
  ExpectClosedAfter(peer, Header(kHello, 1024 * 1024) + std::string(1000, '\0'));
  ExpectMalformedCounted(1);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, WrongMagicClosesTheConnection) {
  RawClient peer;
  ConnectPeer(peer);
  std::string payload = HelloPayload("bad-magic", Shards());
  ExpectClosedAfter(peer, Header(kHello, static_cast<uint32_t>(payload.size()), kVersion,
                                 0x58505247 /* "GRPX" */) +
                              payload);
  ExpectMalformedCounted(1);
  EXPECT_FALSE(Lists(a_->port(), "bad-magic"));
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, WrongProtocolVersionClosesTheConnection) {
  RawClient peer;
  ConnectPeer(peer);
  std::string payload = HelloPayload("bad-version", Shards());
  ExpectClosedAfter(peer, Header(kHello, static_cast<uint32_t>(payload.size()), 2) + payload);
  ExpectMalformedCounted(1);
  EXPECT_FALSE(Lists(a_->port(), "bad-version"));
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, BatchBeforeAnyHandshakeClosesTheConnectionUnapplied) {
  RawClient peer;
  ConnectPeer(peer);
  ExpectClosedAfter(peer, RegisterBatch("smuggled/1", "1.inc1@nobody"));
  ExpectMalformedCounted(1);
  EXPECT_EQ(admin_.Command({"GLOOKUP", "smuggled/1"}).type, RespValue::kNull);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, BatchAfterHelloButBeforeAuthClosesTheConnectionUnapplied) {
  RawClient peer;
  ConnectPeer(peer);
  ExpectClosedAfter(peer, Frame(kHello, HelloPayload("half-shaken", Shards())) +
                              RegisterBatch("smuggled/2", "1.inc1@half-shaken"));
  ExpectMalformedCounted(1);
  EXPECT_EQ(admin_.Command({"GLOOKUP", "smuggled/2"}).type, RespValue::kNull);
  EXPECT_FALSE(Lists(a_->port(), "half-shaken"));
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, SecondHelloClosesTheConnection) {
  RawClient peer;
  ConnectPeer(peer);
  std::string hello = Frame(kHello, HelloPayload("twice", Shards()));
  ExpectClosedAfter(peer, hello + hello);
  ExpectMalformedCounted(1);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, PartialHeaderThenHangUpIsNotAMalformedFrame) {
  {
    RawClient peer;
    ConnectPeer(peer);
    ASSERT_TRUE(peer.Send(Header(kHello, 40).substr(0, 7)));
    SleepFor(100ms);
  }  // Closed here, mid-header.
  SleepFor(100ms);
  ExpectMalformedCounted(0);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, RandomGarbageConnectionsAreAllClosed) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 25; i++) {
    std::string junk(12 + rng() % 200, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng());
    RawClient peer;
    ConnectPeer(peer);
    ExpectClosedAfter(peer, junk);
  }
  ExpectMalformedCounted(25);
  EXPECT_EQ(Counter("links_down"), links_down_before_);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, InfoReplicationCountsEveryMalformedFrame) {
  const std::vector<std::string> bad = {
      "not a frame at all!",          Header(kHello, 0xFFFFFFFF), Header(kHello, 0, 9),
      Header(kHello, 0, kVersion, 0), Frame(kHello, "\x05"s),     RegisterBatch("k", "1.x@y"),
  };
  for (const auto& bytes : bad) {
    RawClient peer;
    ConnectPeer(peer);
    ExpectClosedAfter(peer, bytes);
  }
  ExpectMalformedCounted(static_cast<int64_t>(bad.size()));
  ExpectNodeHealthyWithRealPeer();
}

// --- Malformed input from a peer that completed the handshake ----------------------------------

// Completes a handshake as a fake node (no cluster-secret: the expected MAC is empty) and waits
// until A lists it.
void Handshake(RawClient& peer, const std::string& name, int shards, int a_port) {
  ASSERT_TRUE(peer.Send(Frame(kHello, HelloPayload(name, shards)) + AuthFrame()));
  ASSERT_TRUE(WaitFor([&] { return Lists(a_port, name); }))
      << "the node did not accept the fake peer's handshake";
}

TEST_F(PeerPortTest, TruncatedBatchFromAnUpPeerClosesItsLinkAndDropsItsEntries) {
  RawClient peer;
  ConnectPeer(peer);
  Handshake(peer, "fake-peer-1", Shards(), a_->port());
  // A valid batch is applied: the link really is up.
  ASSERT_TRUE(peer.Send(RegisterBatch("fake/key", "1.inc1@fake-peer-1")));
  ASSERT_TRUE(WaitFor([&] {
    RespValue r = admin_.Command({"GLOOKUP", "fake/key"});
    return !r.elems.empty() && r.elems[0].str == "1.inc1@fake-peer-1";
  })) << "the fake peer's registration was not applied";

  // An op cut after its key.
  std::string p;
  p.push_back('\x01');
  PutStr(p, "");
  PutStr(p, "fake/other");
  ExpectClosedAfter(peer, Frame(kBatch, p));
  ExpectMalformedCounted(1);
  EXPECT_TRUE(WaitFor([&] { return !Lists(a_->port(), "fake-peer-1"); }))
      << "the fake peer is still listed";
  EXPECT_EQ(admin_.Command({"GLOOKUP", "fake/key"}).type, RespValue::kNull)
      << "the closed peer's entries must go (nodedown)";
  EXPECT_EQ(admin_.Command({"GLOOKUP", "fake/other"}).type, RespValue::kNull);
  EXPECT_EQ(Counter("links_down"), links_down_before_ + 1) << "only the fake link went down";
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, UnknownFrameTypeFromAnUpPeerClosesItsLink) {
  RawClient peer;
  ConnectPeer(peer);
  Handshake(peer, "fake-peer-2", Shards(), a_->port());
  ExpectClosedAfter(peer, Frame(99, "whatever"));
  ExpectMalformedCounted(1);
  EXPECT_TRUE(WaitFor([&] { return !Lists(a_->port(), "fake-peer-2"); }));
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, BatchWithAnUnknownOpFromAnUpPeerClosesItsLink) {
  RawClient peer;
  ConnectPeer(peer);
  Handshake(peer, "fake-peer-3", Shards(), a_->port());
  std::string p;
  p.push_back('\x09');  // No such op.
  PutStr(p, "");
  PutStr(p, "fake/op");
  PutStr(p, "1.inc1@fake-peer-3");
  PutU64(p, 1);
  p.push_back('\0');
  ExpectClosedAfter(peer, Frame(kBatch, p));
  ExpectMalformedCounted(1);
  EXPECT_EQ(admin_.Command({"GLOOKUP", "fake/op"}).type, RespValue::kNull);
  ExpectNodeHealthyWithRealPeer();
}

TEST_F(PeerPortTest, HeartbeatsFromAnUpPeerAreNotMalformed) {
  RawClient peer;
  ConnectPeer(peer);
  Handshake(peer, "fake-peer-4", Shards(), a_->port());
  ASSERT_TRUE(peer.Send(Frame(kHeartbeat, "") + Frame(kHeartbeat, "")));
  SleepFor(200ms);
  EXPECT_TRUE(Lists(a_->port(), "fake-peer-4"));
  ExpectMalformedCounted(0);
  peer.Close();
  EXPECT_TRUE(WaitFor([&] { return !Lists(a_->port(), "fake-peer-4"); }));
  ExpectNodeHealthyWithRealPeer();
}

// --- A peer that resets its link while the node is writing to it -------------------------------

// Reads from fd until at least n bytes arrived; false on timeout, EOF or error.
bool ReadAtLeast(int fd, size_t n, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t got = 0;
  char buf[64 * 1024];
  while (got < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t r = ::recv(fd, buf, sizeof(buf), 0);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

// A node holding enough entries that the snapshot it sends a new peer takes many chunks, one
// per loop turn, so the node is busy writing when the peer goes away.
class PeerResetTest : public ::testing::Test {
 protected:
  static constexpr int kEntries = 30000;

  void SetUp() override {
    ASSERT_EQ(node_.Start(), "");
    ASSERT_TRUE(owner_.Connect(node_.port()));
    const std::string meta(300, 'm');
    std::string pipeline;
    for (int i = 0; i < kEntries; i++) {
      pipeline += EncodeCommand({"GREG", "snap/" + std::to_string(i), "META", "blob", meta});
    }
    ASSERT_TRUE(owner_.Send(pipeline));
    for (int i = 0; i < kEntries; i++) {
      auto r = owner_.ReadReply(10s);
      ASSERT_TRUE(r.has_value() && r->IsString("OK")) << "GREG #" << i;
    }
  }

  GroupdProcess node_;
  RawClient owner_;  // Holds the entries: it stays connected for the whole test.
};

// The node writes snapshot chunks while the peer's RST is on its way: the failed write closes
// that link (and nothing else). A regression test: PeerLink::Flush() used to reach the stream
// through a null pointer when the write itself failed at once (ECONNRESET/EPIPE) and the end
// callback closed the link inside Write(); the node died with SIGSEGV in most runs.
TEST_F(PeerResetTest, PeerResetWhileASnapshotStreamsClosesOnlyThatLink) {
  RawClient admin;
  ASSERT_TRUE(admin.Connect(node_.port()));
  RespValue shards_reply = admin.Command({"CONFIG", "GET", "shards"});
  ASSERT_EQ(shards_reply.elems.size(), 2u);
  const int shards = std::stoi(shards_reply.elems[1].str);
  for (int round = 0; round < 8; round++) {
    const std::string name = "reset-peer-" + std::to_string(round);
    RawClient peer;
    ASSERT_TRUE(peer.Connect(node_.peer_port()));
    Handshake(peer, name, shards, node_.port());
    // Take part of the ~10 MB snapshot so the node keeps producing chunks, then reset.
    ASSERT_TRUE(ReadAtLeast(peer.fd(), 512 * 1024, 5s)) << "no snapshot in round " << round;
    peer.Close(/*reset=*/true);
    SleepFor(50ms);
    ASSERT_TRUE(node_.IsAlive()) << "the node died after a peer reset in round " << round;
    ASSERT_EQ(admin.Command({"PING"}).ToString(), "+PONG") << "round " << round;
    ASSERT_TRUE(WaitFor([&] { return !Lists(node_.port(), name); }))
        << name << " still listed after its reset";
  }
  // The entries' owner was never touched.
  EXPECT_EQ(admin.Command({"GLOCALREGCOUNT"}).integer, kEntries);
  EXPECT_EQ(owner_.Command({"PING"}).ToString(), "+PONG");
}

}  // namespace
}  // namespace groupd::testing
