// Malformed input: every Redis protocol error gets Redis's exact reply and closes only the
// offending connection; garbage, split writes and long pipelines never hurt the server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/groupd_process.h"

namespace groupd::testing {
namespace {

using namespace std::string_literals;

constexpr size_t kInlineMax = 64 * 1024;  // proto-inline-max-size default, as in Redis.

struct ProtocolErrorCase {
  std::string name;
  std::string input;
  std::string reply;  // Exactly what the server writes before it closes.
};

std::ostream& operator<<(std::ostream& os, const ProtocolErrorCase& c) { return os << c.name; }

std::string Err(const std::string& what) { return "-ERR Protocol error: " + what + "\r\n"; }

std::vector<ProtocolErrorCase> ProtocolErrorCases() {
  return {
      {"InvalidMultibulkLength", "*abc\r\n", Err("invalid multibulk length")},
      {"MultibulkLengthOverflow", "*99999999999999999999\r\n", Err("invalid multibulk length")},
      {"NonNumericBulkLength", "*3\r\n$x\r\n", Err("invalid bulk length")},
      {"NegativeBulkLength", "*1\r\n$-5\r\n", Err("invalid bulk length")},
      {"BulkLengthAboveProtoMaxBulkLen", "*1\r\n$99999999999\r\n", Err("invalid bulk length")},
      {"ExpectedDollar", "*1\r\nx\r\n", Err("expected '$', got 'x'")},
      // Exactly one byte past the limit, so the server has read all of it when it closes and the
      // close is a clean FIN rather than a reset.
      {"TooBigInlineRequest", std::string(kInlineMax + 1, 'a'), Err("too big inline request")},
      {"UnbalancedQuotes", "set \"a\r\n", Err("unbalanced quotes in request")},
      {"TooBigMbulkCountString", "*" + std::string(kInlineMax + 10, '1'),
       Err("too big mbulk count string")},
      {"TooBigBulkCountString", "*1\r\n$" + std::string(kInlineMax + 10, '1'),
       Err("too big bulk count string")},
      // A well-formed command first: its reply comes, then the error for what follows it.
      {"ErrorAfterAGoodCommand", "PING\r\n*1\r\n$4\r\nPING\r\n*abc\r\n",
       "+PONG\r\n+PONG\r\n" + Err("invalid multibulk length")},
  };
}

// One server for all cases: that it survives every one of them is part of what is proved.
class ProtocolErrorTest : public ::testing::TestWithParam<ProtocolErrorCase> {
 protected:
  static void SetUpTestSuite() {
    server_ = new GroupdProcess();
    start_error_ = server_->Start();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(start_error_, ""); }

  static GroupdProcess* server_;
  static std::string start_error_;
};

GroupdProcess* ProtocolErrorTest::server_ = nullptr;
std::string ProtocolErrorTest::start_error_;

TEST_P(ProtocolErrorTest, RepliesExactErrorThenClosesOnlyThatConnection) {
  const ProtocolErrorCase& tc = GetParam();
  const std::string key = "bystander/" + tc.name;
  RawClient bystander, bad, third;
  ASSERT_TRUE(bystander.Connect(server_->port()));
  ASSERT_TRUE(bad.Connect(server_->port()));
  ASSERT_TRUE(third.Connect(server_->port()));
  ASSERT_EQ(bystander.Command({"GREG", key, "META", "case", tc.name}).ToString(), "+OK");
  const std::string pid = bystander.Command({"GPID"}).str;

  ASSERT_TRUE(bad.Send(tc.input));
  std::string received;
  bool reset = false;
  EXPECT_TRUE(bad.ReadUntilClosed(&received, 5s, &reset)) << "the server must close the connection";
  EXPECT_FALSE(reset) << "expected an orderly close (read returns 0), got a reset";
  EXPECT_EQ(received, tc.reply);

  EXPECT_EQ(bystander.Command({"PING"}).ToString(), "+PONG");
  EXPECT_EQ(third.Command({"GLOOKUP", key}).ToString(),
            "[\"" + pid + "\", [\"case\", \"" + tc.name + "\"]]");
  EXPECT_TRUE(server_->IsAlive());
}

INSTANTIATE_TEST_SUITE_P(AllRedisProtocolErrors, ProtocolErrorTest,
                         ::testing::ValuesIn(ProtocolErrorCases()),
                         [](const auto& info) { return info.param.name; });

class MalformedInputTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(server_.Start(), ""); }
  GroupdProcess server_;
};

TEST_F(MalformedInputTest, ProtocolErrorIsCountedInInfoStats) {
  RawClient bad, admin;
  ASSERT_TRUE(bad.Connect(server_.port()));
  ASSERT_TRUE(admin.Connect(server_.port()));
  ASSERT_TRUE(bad.Send("*abc\r\n"));
  EXPECT_TRUE(bad.ReadUntilClosed(nullptr));
  RespValue info = admin.Command({"INFO", "stats"});
  EXPECT_EQ(InfoField(info.str, "protocol_errors"), "1") << info.str;
}

// Random frames: a mix of pure noise and RESP-shaped input with random type bytes, lengths and
// truncation. Commands that could change the server for later iterations (SHUTDOWN, CONFIG,
// CLIENT KILL, DEBUG) are never generated on purpose.
std::string RandomFrame(std::mt19937& rng) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  static const std::vector<std::string> kNames = {
      "PING",  "ECHO",      "GREG",     "GJOIN",     "GLOOKUP",    "GMEMBERS",   "GLEAVE",
      "HELLO", "SUBSCRIBE", "GMONITOR", "GDISPATCH", "PUBLISH",    "GUNREG",     "INFO",
      "QUIT",  "RESET",     "TIME",     "GCOUNT",    "PSUBSCRIBE", "UNSUBSCRIBE"};
  static const std::string kSpecial = "*$+-:_%>~|#,(!=\r\n\"' \\\0x0123456789"s;
  std::string out;
  switch (pick(5)) {
    case 0: {  // Pure noise.
      int n = 1 + pick(200);
      for (int i = 0; i < n; i++) out.push_back(static_cast<char>(rng()));
      break;
    }
    case 1: {  // Noise from the protocol's own alphabet.
      int n = 1 + pick(100);
      for (int i = 0; i < n; i++) out.push_back(kSpecial[pick(static_cast<int>(kSpecial.size()))]);
      break;
    }
    case 2: {  // A multibulk whose declared counts and lengths are often wrong.
      int argc = 1 + pick(5);
      out = "*" + std::to_string(pick(4) == 0 ? argc + pick(3) - 1 : argc) + "\r\n";
      for (int i = 0; i < argc; i++) {
        std::string arg = i == 0 ? kNames[pick(static_cast<int>(kNames.size()))]
                                 : std::string(static_cast<size_t>(pick(20)), 'a' + pick(26));
        int len = static_cast<int>(arg.size());
        if (pick(4) == 0) len += pick(5) - 2;
        out += (pick(10) == 0 ? "%" : "$") + std::to_string(len) + "\r\n" + arg +
               (pick(8) == 0 ? "\n" : "\r\n");
      }
      if (pick(3) == 0) out.resize(static_cast<size_t>(pick(static_cast<int>(out.size()) + 1)));
      break;
    }
    case 3: {  // An inline command with random quoting.
      out = kNames[pick(static_cast<int>(kNames.size()))];
      int n = pick(4);
      for (int i = 0; i < n; i++) {
        out += " ";
        if (pick(3) == 0) out += "\"";
        if (pick(5) == 0) out += "\\x" + std::string(1, kSpecial[pick(20)]);
        out += std::string(static_cast<size_t>(pick(8)), 'b');
        if (pick(3) == 0) out += pick(2) ? "\"" : "'";
      }
      out += pick(2) ? "\r\n" : "\n";
      break;
    }
    default: {  // A valid command followed by a random byte flipped somewhere.
      out = EncodeCommand({"GREG", "fuzz/" + std::to_string(pick(50)), "META", "a", "b"});
      out[static_cast<size_t>(pick(static_cast<int>(out.size())))] = static_cast<char>(rng());
      break;
    }
  }
  return out;
}

TEST_F(MalformedInputTest, RandomGarbageNeverCrashesTheServer) {
  std::mt19937 rng(20240611);
  RawClient control;
  ASSERT_TRUE(control.Connect(server_.port()));
  ASSERT_EQ(control.Command({"GREG", "control"}).ToString(), "+OK");
  for (int i = 0; i < 300; i++) {
    RawClient c;
    ASSERT_TRUE(c.Connect(server_.port())) << "iteration " << i;
    // Several frames per connection, some sent in pieces.
    int frames = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < frames; f++) {
      std::string frame = RandomFrame(rng);
      if (rng() % 4 == 0 && frame.size() > 1) {
        size_t cut = rng() % frame.size();
        c.Send(frame.substr(0, cut));
        c.Send(frame.substr(cut));
      } else {
        c.Send(frame);
      }
    }
    if (i % 3 == 0) {
      // Let the server answer before the close, so closing with unread replies is covered too.
      c.NothingArrives(2ms);
    }
    c.Close(/*reset=*/rng() % 2 == 0);
    if (i % 50 == 49) {
      ASSERT_EQ(control.Command({"PING"}).ToString(), "+PONG") << "after iteration " << i;
      ASSERT_TRUE(server_.IsAlive()) << "after iteration " << i;
    }
  }
  EXPECT_EQ(control.Command({"PING"}).ToString(), "+PONG");
  EXPECT_TRUE(server_.IsAlive());
  RawClient fresh;
  ASSERT_TRUE(fresh.Connect(server_.port()));
  EXPECT_EQ(fresh.Command({"GLOOKUP", "control"}).ToString(),
            "[\"" + control.Command({"GPID"}).str + "\", []]");
  // Every garbage connection is gone with its entries: only the control registration is left.
  EXPECT_TRUE(WaitFor([&] { return fresh.Command({"GREGCOUNT"}).integer == 1; }))
      << fresh.Command({"GREGCOUNT"});
  EXPECT_TRUE(WaitFor([&] { return fresh.Command({"DBSIZE"}).integer == 1; }))
      << fresh.Command({"DBSIZE"});
  // The garbage did reach the parser's error paths and every connection was accepted.
  RespValue stats = fresh.Command({"INFO", "stats"});
  EXPECT_GT(std::stoll(InfoField(stats.str, "protocol_errors").value_or("0")), 50) << stats.str;
  EXPECT_GE(std::stoll(InfoField(stats.str, "total_connections_received").value_or("0")), 300);
}

// 100 mixed commands: multibulk and inline, G-commands and Redis commands.
std::string Pipeline100(std::vector<std::string>* expected) {
  std::string out;
  for (int i = 0; i < 100; i++) {
    const std::string n = std::to_string(i);
    switch (i % 5) {
      case 0:
        out += EncodeCommand({"ECHO", "msg-" + n});
        expected->push_back("\"msg-" + n + "\"");
        break;
      case 1:
        out += "PING\r\n";
        expected->push_back("+PONG");
        break;
      case 2:
        out += EncodeCommand({"GJOIN", "split/" + n, "META", "i", n});
        expected->push_back("+OK");
        break;
      case 3:
        out += "GCOUNT split/" + std::to_string(i - 1) + "\r\n";
        expected->push_back("(integer) 1");
        break;
      default:
        out += EncodeCommand({"GCOUNT", "split/"});
        expected->push_back("(integer) " + std::to_string(i / 5 + 1));
        break;
    }
  }
  return out;
}

// Reads one reply per expected entry, each equal to it, and then nothing more.
void ExpectRepliesInOrder(RawClient& c, const std::vector<std::string>& expected) {
  for (size_t i = 0; i < expected.size(); i++) {
    auto reply = c.ReadReply();
    ASSERT_TRUE(reply) << "reply " << i << " missing";
    EXPECT_EQ(reply->ToString(), expected[i]) << "reply " << i;
  }
  EXPECT_TRUE(c.NothingArrives(50ms));
}

TEST_F(MalformedInputTest, PipelineSentOneByteAtATimeGetsEveryReplyInOrder) {
  RawClient c;
  ASSERT_TRUE(c.Connect(server_.port()));
  std::vector<std::string> expected;
  const std::string pipeline = Pipeline100(&expected);
  for (char ch : pipeline) ASSERT_TRUE(c.Send(std::string_view(&ch, 1)));
  ExpectRepliesInOrder(c, expected);
}

// Pieces of varied sizes, each given time to arrive in a read of its own, so that every read
// ends somewhere else inside a command: in a header, a length, a bulk, between two commands, and
// the parser carries each partial command into the next read.
TEST_F(MalformedInputTest, PipelineSentInPiecesOfVariedSizesGetsEveryReplyInOrder) {
  RawClient c;
  ASSERT_TRUE(c.Connect(server_.port()));
  std::vector<std::string> expected;
  const std::string pipeline = Pipeline100(&expected);
  const size_t sizes[] = {1, 2, 3, 5, 8, 13, 21, 34, 55};
  for (size_t pos = 0, k = 0; pos < pipeline.size(); k++) {
    size_t n = std::min(sizes[k % std::size(sizes)], pipeline.size() - pos);
    ASSERT_TRUE(c.Send(std::string_view(pipeline).substr(pos, n)));
    pos += n;
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  ExpectRepliesInOrder(c, expected);
}

TEST_F(MalformedInputTest, ThousandCommandPipelineInOneWriteGetsEveryReplyInOrder) {
  RawClient c;
  ASSERT_TRUE(c.Connect(server_.port()));
  std::string pipeline;
  for (int i = 0; i < 1000; i++) {
    pipeline += i % 2 == 0 ? EncodeCommand({"ECHO", std::to_string(i)})
                           : EncodeCommand({"GJOIN", "bulk", "META", "i", std::to_string(i)});
  }
  ASSERT_TRUE(c.Send(pipeline));
  for (int i = 0; i < 1000; i++) {
    auto reply = c.ReadReply();
    ASSERT_TRUE(reply) << "reply " << i << " missing";
    ASSERT_EQ(reply->ToString(), i % 2 == 0 ? "\"" + std::to_string(i) + "\"" : "+OK")
        << "reply " << i;
  }
  EXPECT_EQ(c.Command({"GMEMBERS", "bulk"}).ToString(),
            "[[\"" + c.Command({"GPID"}).str + "\", [\"i\", \"999\"]]]");
}

}  // namespace
}  // namespace groupd::testing
