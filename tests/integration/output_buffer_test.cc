// client-output-buffer-limit for pub/sub clients: a subscriber that stops reading is
// disconnected once its pending output passes the hard limit, and nobody else notices.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/groupd_process.h"

namespace groupd::testing {
namespace {

class OutputBufferLimitTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(server_.Start(), ""); }
  GroupdProcess server_;
};

TEST_F(OutputBufferLimitTest, ConfigSetChangesThePubsubLimitAsRedisFormatsIt) {
  RawClient admin;
  ASSERT_TRUE(admin.Connect(server_.port()));
  EXPECT_EQ(admin.Command({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 60"})
                .ToString(),
            "+OK");
  RespValue v = admin.Command({"CONFIG", "GET", "client-output-buffer-limit"});
  ASSERT_EQ(v.elems.size(), 2u) << v;
  EXPECT_THAT(v.elems[1].str, ::testing::HasSubstr("pubsub 1048576 524288 60"));
  EXPECT_THAT(v.elems[1].str, ::testing::StartsWith("normal 0 0 0 "));
  EXPECT_EQ(admin.Command({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb"}).ToString(),
            "(error) ERR CONFIG SET failed (possibly related to argument "
            "'client-output-buffer-limit') - Wrong number of arguments in buffer limit "
            "configuration.");
}

TEST_F(OutputBufferLimitTest, SubscriberThatNeverReadsIsDisconnectedAndServerKeepsServing) {
  RawClient admin, publisher, subscriber, bystander;
  ASSERT_TRUE(admin.Connect(server_.port()));
  ASSERT_EQ(admin.Command({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 512kb 60"})
                .ToString(),
            "+OK");
  ASSERT_TRUE(subscriber.Connect(server_.port()));
  // No small SO_RCVBUF here: the server's kernel drains what it had queued after the close,
  // and a tiny receive window would make that take a minute.
  ASSERT_EQ(subscriber.Command({"GREG", "slow/reader"}).ToString(), "+OK");
  ASSERT_EQ(subscriber.Command({"SUBSCRIBE", "firehose"}).ToString(),
            "[\"subscribe\", \"firehose\", (integer) 1]");
  ASSERT_TRUE(bystander.Connect(server_.port()));
  ASSERT_EQ(bystander.Command({"SUBSCRIBE", "quiet"}).ToString(),
            "[\"subscribe\", \"quiet\", (integer) 1]");
  ASSERT_TRUE(publisher.Connect(server_.port()));

  // 100 KB messages; the subscriber reads none of them. Kernel buffers on both sides hold a few
  // MB at most, so well within 2000 messages (200 MB) the server's own queue passes 1 MB.
  const std::string payload(100 * 1024, 'p');
  int published = 0;
  int64_t receivers = 1;
  while (receivers == 1 && published < 2000) {
    RespValue r = publisher.Command({"PUBLISH", "firehose", payload});
    ASSERT_EQ(r.type, RespValue::kInteger) << r;
    receivers = r.integer;
    published++;
  }
  EXPECT_EQ(receivers, 0) << "the subscriber was still subscribed after " << published
                          << " messages";

  // The subscriber's socket is closed by the server (after whatever was already in flight).
  std::string received;
  EXPECT_TRUE(subscriber.ReadUntilClosed(&received, 10s));
  EXPECT_LT(received.size(), static_cast<size_t>(published) * payload.size())
      << "output was dropped, not delivered";

  // Its entries went with it, and everyone else carries on.
  EXPECT_EQ(admin.Command({"GLOOKUP", "slow/reader"}).ToString(), "(nil array)");
  EXPECT_EQ(publisher.Command({"PUBLISH", "quiet", "still here"}).ToString(), "(integer) 1");
  auto msg = bystander.ReadReply();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->ToString(), "[\"message\", \"quiet\", \"still here\"]");
  EXPECT_EQ(admin.Command({"PING"}).ToString(), "+PONG");
  EXPECT_TRUE(server_.IsAlive());

  RespValue info = admin.Command({"INFO", "stats"});
  ASSERT_EQ(info.type, RespValue::kBulk) << info;
  EXPECT_EQ(InfoField(info.str, "client_output_buffer_limit_disconnections"), "1") << info.str;
  EXPECT_EQ(InfoField(info.str, "client_output_buffer_limit_disconnections_pubsub"), "1");
  EXPECT_EQ(InfoField(info.str, "client_output_buffer_limit_disconnections_normal"), "0");
}

}  // namespace
}  // namespace groupd::testing

namespace groupd::testing {
namespace {

// push-coalesce-us: while a publisher streams, a subscriber's messages are held and written in
// stretches; every one still arrives, in order, and a message published once the stream stops
// arrives at once.
class PushCoalescingTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> args) {
    server_ = std::make_unique<GroupdProcess>(std::move(args));
    ASSERT_EQ(server_->Start(), "");
  }
  void StreamAndCheck() {
    RawClient sub, pub;
    ASSERT_TRUE(sub.Connect(server_->port()));
    ASSERT_TRUE(pub.Connect(server_->port()));
    ASSERT_EQ(sub.Command({"SUBSCRIBE", "ch"}).ToString(), "[\"subscribe\", \"ch\", (integer) 1]");
    constexpr int kMessages = 3000;
    // Pipelined in batches of 50 so the server sees input on most loop turns.
    for (int i = 0; i < kMessages; i += 50) {
      std::string batch;
      for (int j = i; j < i + 50; j++) {
        batch += EncodeCommand({"PUBLISH", "ch", "m" + std::to_string(j)});
      }
      ASSERT_TRUE(pub.Send(batch));
    }
    for (int i = 0; i < kMessages; i++) {
      auto reply = pub.ReadReply();
      ASSERT_TRUE(reply.has_value()) << i;
      ASSERT_EQ(reply->ToString(), "(integer) 1") << i;
    }
    for (int i = 0; i < kMessages; i++) {
      auto msg = sub.ReadReply();
      ASSERT_TRUE(msg.has_value()) << "message " << i << " never arrived";
      ASSERT_EQ(msg->ToString(), "[\"message\", \"ch\", \"m" + std::to_string(i) + "\"]");
    }
    // A lone message after the stream: nothing holds it back.
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(pub.Command({"PUBLISH", "ch", "last"}).ToString(), "(integer) 1");
    auto msg = sub.ReadReply(1s);
    ASSERT_TRUE(msg.has_value());
    EXPECT_EQ(msg->ToString(), "[\"message\", \"ch\", \"last\"]");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 200ms);
  }
  std::unique_ptr<GroupdProcess> server_;
};

TEST_F(PushCoalescingTest, EveryMessageArrivesInOrderWithTheDefault) {
  Start({});
  StreamAndCheck();
}

TEST_F(PushCoalescingTest, EveryMessageArrivesInOrderWithALongWindowAndWithoutBusyPolling) {
  Start({"--push-coalesce-us", "100000", "--busy-poll-us", "0"});
  StreamAndCheck();
}

TEST_F(PushCoalescingTest, ConfigSetTakesTheWindowInRange) {
  Start({});
  RawClient admin;
  ASSERT_TRUE(admin.Connect(server_->port()));
  EXPECT_EQ(admin.Command({"CONFIG", "GET", "push-coalesce-us"}).ToString(),
            "[\"push-coalesce-us\", \"100\"]");
  EXPECT_EQ(admin.Command({"CONFIG", "SET", "push-coalesce-us", "0"}).ToString(), "+OK");
  EXPECT_EQ(admin.Command({"CONFIG", "GET", "push-coalesce-us"}).ToString(),
            "[\"push-coalesce-us\", \"0\"]");
  EXPECT_THAT(admin.Command({"CONFIG", "SET", "push-coalesce-us", "-1"}).ToString(),
              ::testing::StartsWith("(error) ERR CONFIG SET failed"));
  StreamAndCheck();  // Off: every turn flushes, as before.
}

}  // namespace
}  // namespace groupd::testing
