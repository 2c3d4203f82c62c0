#include "server/pubsub.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "server/client.h"

namespace groupd {
namespace {

// Records every Delivered() call so tests can check who was told about a frame, and how often.
class RecordingSink : public DeliverySink {
 public:
  void Delivered(Client& c) override { calls.push_back(c.id); }
  std::vector<uint64_t> calls;
};

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> Channels(const PubSub& ps) {
  std::vector<std::string> names;
  ps.ForEachChannel([&](std::string_view name, size_t) { names.emplace_back(name); });
  return Sorted(names);
}

TEST(PubSubTest, SubscribeIsNewOnceAndMirroredInTheClient) {
  PubSub ps;
  Client c(1);
  EXPECT_TRUE(ps.Subscribe(&c, "news"));
  EXPECT_FALSE(ps.Subscribe(&c, "news"));
  EXPECT_EQ(c.channels.count("news"), 1u);
  EXPECT_EQ(c.subscription_count(), 1u);
  ASSERT_NE(ps.Subscribers("news"), nullptr);
  EXPECT_EQ(ps.Subscribers("news")->size(), 1u);
  EXPECT_EQ(ps.Subscribers("news")->count(&c), 1u);
  EXPECT_EQ(ps.NumChannels(), 1u);
}

TEST(PubSubTest, UnsubscribeRemovesAndDropsEmptyChannels) {
  PubSub ps;
  Client a(1), b(2);
  ps.Subscribe(&a, "x");
  ps.Subscribe(&b, "x");
  EXPECT_TRUE(ps.Unsubscribe(&a, "x"));
  EXPECT_FALSE(ps.Unsubscribe(&a, "x"));
  EXPECT_FALSE(ps.Unsubscribe(&a, "never"));
  EXPECT_TRUE(a.channels.empty());
  EXPECT_EQ(ps.Subscribers("x")->size(), 1u);
  EXPECT_TRUE(ps.Unsubscribe(&b, "x"));
  EXPECT_EQ(ps.Subscribers("x"), nullptr);
  EXPECT_EQ(ps.NumChannels(), 0u);
}

TEST(PubSubTest, PatternSubscriptionsAreCountedSeparatelyFromChannels) {
  PubSub ps;
  Client c(1);
  EXPECT_FALSE(ps.HasPatterns());
  EXPECT_TRUE(ps.PSubscribe(&c, "n*"));
  EXPECT_FALSE(ps.PSubscribe(&c, "n*"));
  ps.Subscribe(&c, "n*");  // A channel literally named "n*" is a different subscription.
  EXPECT_TRUE(ps.HasPatterns());
  EXPECT_EQ(ps.NumPatterns(), 1u);
  EXPECT_EQ(ps.NumChannels(), 1u);
  EXPECT_EQ(c.subscription_count(), 2u);
  EXPECT_TRUE(ps.PUnsubscribe(&c, "n*"));
  EXPECT_FALSE(ps.PUnsubscribe(&c, "n*"));
  EXPECT_EQ(ps.NumPatterns(), 0u);
  EXPECT_EQ(c.subscription_count(), 1u);
}

TEST(PubSubTest, RemoveClientDropsEverySubscriptionWithoutWritingFrames) {
  PubSub ps;
  Client a(1), b(2);
  ps.Subscribe(&a, "x");
  ps.Subscribe(&a, "y");
  ps.PSubscribe(&a, "z*");
  ps.Subscribe(&b, "x");
  ps.RemoveClient(&a);
  EXPECT_EQ(a.subscription_count(), 0u);
  EXPECT_TRUE(a.out.empty());
  EXPECT_EQ(Channels(ps), (std::vector<std::string>{"x"}));
  EXPECT_EQ(ps.NumPatterns(), 0u);
  EXPECT_EQ(ps.Subscribers("x")->count(&b), 1u);
}

TEST(PubSubTest, PublishWritesMessageFramesInResp2AndPushFramesInResp3) {
  PubSub ps;
  RecordingSink sink;
  Client r2(1), r3(2);
  r3.writer.set_proto(3);
  ps.Subscribe(&r2, "ch");
  ps.Subscribe(&r3, "ch");
  EXPECT_EQ(ps.Publish("ch", "hi", sink), 2u);
  EXPECT_EQ(r2.out, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  EXPECT_EQ(r3.out, ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  std::vector<uint64_t> calls = sink.calls;
  std::sort(calls.begin(), calls.end());
  EXPECT_EQ(calls, (std::vector<uint64_t>{1, 2}));
}

TEST(PubSubTest, PublishWritesPmessageFramesToMatchingPatterns) {
  PubSub ps;
  RecordingSink sink;
  Client p(1), other(2);
  ps.PSubscribe(&p, "n?ws");
  ps.PSubscribe(&other, "sport*");
  EXPECT_EQ(ps.Publish("news", "x", sink), 1u);
  EXPECT_EQ(p.out, "*4\r\n$8\r\npmessage\r\n$4\r\nn?ws\r\n$4\r\nnews\r\n$1\r\nx\r\n");
  EXPECT_TRUE(other.out.empty());
  EXPECT_EQ(sink.calls, (std::vector<uint64_t>{1}));
}

TEST(PubSubTest, ClientWithChannelAndMatchingPatternGetsBothFrames) {
  PubSub ps;
  RecordingSink sink;
  Client c(1);
  ps.Subscribe(&c, "news");
  ps.PSubscribe(&c, "n*");
  ps.PSubscribe(&c, "*s");
  EXPECT_EQ(ps.Publish("news", "x", sink), 3u);
  EXPECT_EQ(sink.calls.size(), 3u);
  EXPECT_EQ(c.out.rfind("*3\r\n$7\r\nmessage\r\n", 0), 0u);
}

TEST(PubSubTest, PublishWithoutSubscribersWritesNothing) {
  PubSub ps;
  RecordingSink sink;
  Client c(1);
  ps.Subscribe(&c, "a");
  EXPECT_EQ(ps.Publish("b", "x", sink), 0u);
  EXPECT_TRUE(c.out.empty());
  EXPECT_TRUE(sink.calls.empty());
}

TEST(PubSubTest, PublishSkipsClientsInTheSkipSet) {
  PubSub ps;
  RecordingSink sink;
  Client a(1), b(2), p(3);
  ps.Subscribe(&a, "ch");
  ps.Subscribe(&b, "ch");
  ps.PSubscribe(&p, "c*");
  PubSub::ClientSet skip{&a, &p};
  EXPECT_EQ(ps.Publish("ch", "x", sink, &skip), 1u);
  EXPECT_TRUE(a.out.empty());
  EXPECT_TRUE(p.out.empty());
  EXPECT_FALSE(b.out.empty());
  EXPECT_EQ(sink.calls, (std::vector<uint64_t>{2}));
}

TEST(PubSubTest, WouldDeliverConsidersChannelsAndPatterns) {
  PubSub ps;
  Client c(1);
  EXPECT_FALSE(ps.WouldDeliver("x"));
  ps.Subscribe(&c, "x");
  EXPECT_TRUE(ps.WouldDeliver("x"));
  EXPECT_FALSE(ps.WouldDeliver("y"));
  ps.PSubscribe(&c, "y*");
  EXPECT_TRUE(ps.WouldDeliver("yes"));
  EXPECT_FALSE(ps.WouldDeliver("no"));
}

TEST(PubSubTest, ForEachChannelReportsSubscriberCounts) {
  PubSub ps;
  Client a(1), b(2);
  ps.Subscribe(&a, "x");
  ps.Subscribe(&b, "x");
  ps.Subscribe(&a, "y");
  std::map<std::string, size_t> counts;
  ps.ForEachChannel([&](std::string_view name, size_t n) { counts[std::string(name)] = n; });
  EXPECT_EQ(counts, (std::map<std::string, size_t>{{"x", 2}, {"y", 1}}));
}

TEST(PubSubTest, MessageFramesAreBinarySafe) {
  Client c(1);
  std::string payload("a\r\n\0b", 5);
  WriteMessageFrame(c, "ch", payload);
  EXPECT_EQ(c.out, std::string("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\na\r\n\0b\r\n", 36));
}

TEST(ClientTest, CanTakeFramesWhenResp3OrSubscribed) {
  PubSub ps;
  Client c(1);
  EXPECT_FALSE(c.can_take_frames());
  ps.PSubscribe(&c, "p");
  EXPECT_TRUE(c.can_take_frames());
  ps.PUnsubscribe(&c, "p");
  EXPECT_FALSE(c.can_take_frames());
  c.writer.set_proto(3);
  EXPECT_TRUE(c.can_take_frames());
}

TEST(ClientTest, OutputBytesIncludeInflightBytes) {
  Client c(1);
  c.out = "abc";
  c.inflight_bytes = 10;
  EXPECT_EQ(c.output_bytes(), 13u);
}

}  // namespace
}  // namespace groupd
