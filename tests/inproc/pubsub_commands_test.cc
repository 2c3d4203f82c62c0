// In-process tests of pub/sub with Redis's semantics and the groupd features built on it:
// monitors (GMONITOR, GDEMONITOR, event payloads) and dispatch (GDISPATCH, GLOCALDISPATCH).
// See docs/COMMANDS.md, "Events (monitors)" and "Dispatch".
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "server/errors.h"
#include "tests/inproc/harness.h"
#include "tests/support/resp_builders.h"
#include "tests/unit/core/json_lite.h"

namespace groupd {
namespace {

using testing::InProcServer;
using testing::RespValue;
using testing::Simple;
using testing::Err;
using testing::Int;
using testing::Bulk;
using testing::Null;
using testing::Arr;
using testjson::Json;

// A pub/sub frame: a push in RESP3, an array in RESP2.
RespValue Frame(int proto, std::vector<RespValue> elems) {
  RespValue v = Arr(std::move(elems));
  if (proto == 3) v.type = RespValue::kPush;
  return v;
}
RespValue SubFrame(int proto, std::string kind, std::string name, int64_t count) {
  return Frame(proto, {Bulk(std::move(kind)), Bulk(std::move(name)), Int(count)});
}
RespValue Message(int proto, std::string channel, std::string payload) {
  return Frame(proto, {Bulk("message"), Bulk(std::move(channel)), Bulk(std::move(payload))});
}
const RespValue kOk = Simple("OK");

std::string SubscribedError(std::string_view command) {
  return "ERR Can't execute '" + std::string(command) +
         "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
         "context";
}

// The JSON event carried by a message (3 elements) or pmessage (4 elements) frame.
Json EventOf(const RespValue& frame) {
  if (frame.elems.empty()) {
    ADD_FAILURE() << "not a frame: " << frame;
    return {};
  }
  auto doc = testjson::Parse(frame.elems.back().str);
  EXPECT_TRUE(doc.has_value()) << frame.elems.back().str;
  return doc.value_or(Json{});
}

// Checks every field of an event payload (seq separately, as it depends on history).
void ExpectEvent(const Json& e, std::string_view type, std::string_view key, std::string_view pid,
                 const testjson::Pairs& meta, std::string_view reason, std::string_view cluster = "") {
  ASSERT_EQ(e.kind, Json::kObject);
  std::vector<std::string> names;
  for (const auto& [k, v] : e.object) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"type", "cluster", "key", "pid", "node", "meta",
                                             "previous_meta", "reason", "seq"}));
  EXPECT_EQ(e.Get("type")->str, type);
  if (cluster.empty()) {
    EXPECT_TRUE(e.Get("cluster")->IsNull());
  } else {
    EXPECT_EQ(e.Get("cluster")->str, cluster);
  }
  EXPECT_EQ(e.Get("key")->str, key);
  EXPECT_EQ(e.Get("pid")->str, pid);
  EXPECT_EQ(e.Get("node")->str, "test-node");
  EXPECT_EQ(e.Get("meta")->kind, Json::kObject);
  EXPECT_EQ(e.Get("meta")->StringPairs(), meta);
  EXPECT_TRUE(e.Get("previous_meta")->IsNull());
  if (reason.empty()) {
    EXPECT_TRUE(e.Get("reason")->IsNull());
  } else {
    EXPECT_EQ(e.Get("reason")->str, reason);
  }
  EXPECT_TRUE(e.Get("seq")->AsUint().has_value());
}

uint64_t SeqOf(const Json& e) { return e.Get("seq")->AsUint().value_or(0); }

class PubSubCommandsTest : public ::testing::Test {
 protected:
  Server& server() { return srv_.server(); }
  RespValue Run(Client& c, std::initializer_list<std::string_view> args) {
    return srv_.Run(c, args);
  }
  std::vector<RespValue> RunMulti(Client& c, std::vector<std::string_view> args) {
    return srv_.RunMulti(c, args);
  }
  Client& NewResp3Client() {
    Client& c = srv_.NewClient();
    c.writer.set_proto(3);
    return c;
  }

  InProcServer srv_;
};

// --- SUBSCRIBE / UNSUBSCRIBE / PSUBSCRIBE / PUNSUBSCRIBE ------------------------------------

TEST_F(PubSubCommandsTest, SubscribeWritesOneConfirmationPerChannelWithRunningCountInResp2) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(
      RunMulti(c, {"SUBSCRIBE", "a", "b"}),
      (std::vector<RespValue>{SubFrame(2, "subscribe", "a", 1), SubFrame(2, "subscribe", "b", 2)}));
  // Subscribing again to a channel keeps the count, as in Redis.
  EXPECT_EQ(RunMulti(c, {"SUBSCRIBE", "a"}),
            (std::vector<RespValue>{SubFrame(2, "subscribe", "a", 2)}));
}

TEST_F(PubSubCommandsTest, SubscribeConfirmationsArePushFramesInResp3) {
  Client& c = NewResp3Client();
  EXPECT_EQ(
      RunMulti(c, {"SUBSCRIBE", "a", "b"}),
      (std::vector<RespValue>{SubFrame(3, "subscribe", "a", 1), SubFrame(3, "subscribe", "b", 2)}));
  EXPECT_EQ(RunMulti(c, {"UNSUBSCRIBE", "a"}),
            (std::vector<RespValue>{SubFrame(3, "unsubscribe", "a", 1)}));
}

TEST_F(PubSubCommandsTest, UnsubscribeNamedChannelsCountsDownIncludingUnknownOnes) {
  Client& c = srv_.NewClient();
  RunMulti(c, {"SUBSCRIBE", "a", "b"});
  EXPECT_EQ(RunMulti(c, {"UNSUBSCRIBE", "a", "never"}),
            (std::vector<RespValue>{SubFrame(2, "unsubscribe", "a", 1),
                                    SubFrame(2, "unsubscribe", "never", 1)}));
}

TEST_F(PubSubCommandsTest, UnsubscribeWithoutArgumentsLeavesEveryChannelButNotPatterns) {
  Client& c = srv_.NewClient();
  RunMulti(c, {"SUBSCRIBE", "a", "b"});
  RunMulti(c, {"PSUBSCRIBE", "p*"});
  auto frames = RunMulti(c, {"UNSUBSCRIBE"});
  ASSERT_EQ(frames.size(), 2u);
  // Channel order follows a hash set; the counts go down regardless.
  std::vector<std::string> names{frames[0].elems.at(1).str, frames[1].elems.at(1).str};
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(frames[0].elems.at(2), Int(2));
  EXPECT_EQ(frames[1].elems.at(2), Int(1));
  EXPECT_EQ(c.patterns.size(), 1u);
}

TEST_F(PubSubCommandsTest, UnsubscribeWithNothingSubscribedAnswersWithNullChannel) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(RunMulti(c, {"UNSUBSCRIBE"}),
            (std::vector<RespValue>{Frame(2, {Bulk("unsubscribe"), Null('$'), Int(0)})}));
  EXPECT_EQ(RunMulti(c, {"PUNSUBSCRIBE"}),
            (std::vector<RespValue>{Frame(2, {Bulk("punsubscribe"), Null('$'), Int(0)})}));
  Client& r3 = NewResp3Client();
  EXPECT_EQ(RunMulti(r3, {"UNSUBSCRIBE"}),
            (std::vector<RespValue>{Frame(3, {Bulk("unsubscribe"), Null('_'), Int(0)})}));
}

TEST_F(PubSubCommandsTest, PatternAndChannelSubscriptionsShareOneCount) {
  Client& c = srv_.NewClient();
  RunMulti(c, {"SUBSCRIBE", "a"});
  EXPECT_EQ(RunMulti(c, {"PSUBSCRIBE", "x*", "y?"}),
            (std::vector<RespValue>{SubFrame(2, "psubscribe", "x*", 2),
                                    SubFrame(2, "psubscribe", "y?", 3)}));
  EXPECT_EQ(RunMulti(c, {"PUNSUBSCRIBE", "x*"}),
            (std::vector<RespValue>{SubFrame(2, "punsubscribe", "x*", 2)}));
  auto frames = RunMulti(c, {"PUNSUBSCRIBE"});
  EXPECT_EQ(frames, (std::vector<RespValue>{SubFrame(2, "punsubscribe", "y?", 1)}));
  EXPECT_EQ(RunMulti(c, {"UNSUBSCRIBE"}),
            (std::vector<RespValue>{SubFrame(2, "unsubscribe", "a", 0)}));
}

TEST_F(PubSubCommandsTest, SubscribeAndPublishCheckArityLikeRedis) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"SUBSCRIBE"}), Err("ERR wrong number of arguments for 'subscribe' command"));
  EXPECT_EQ(Run(c, {"PSUBSCRIBE"}), Err("ERR wrong number of arguments for 'psubscribe' command"));
  EXPECT_EQ(Run(c, {"PUBLISH", "ch"}), Err("ERR wrong number of arguments for 'publish' command"));
}

// --- Subscribed mode ------------------------------------------------------------------------

TEST_F(PubSubCommandsTest, Resp2SubscribedConnectionRejectsOtherCommandsWithRedisWording) {
  Client& c = srv_.NewClient();
  RunMulti(c, {"SUBSCRIBE", "a"});
  EXPECT_EQ(Run(c, {"GREG", "k"}), Err(SubscribedError("greg")));
  EXPECT_EQ(Run(c, {"GJOIN", "g"}), Err(SubscribedError("gjoin")));
  EXPECT_EQ(Run(c, {"PUBLISH", "a", "x"}), Err(SubscribedError("publish")));
  EXPECT_EQ(Run(c, {"GDISPATCH", "g", "x"}), Err(SubscribedError("gdispatch")));
  EXPECT_EQ(Run(c, {"PUBSUB", "NUMPAT"}), Err(SubscribedError("pubsub|numpat")));
  EXPECT_EQ(server().default_cluster().Registrations(), 0u);
}

TEST_F(PubSubCommandsTest, Resp2ConnectionWithOnlyPatternsIsAlsoSubscribed) {
  Client& c = srv_.NewClient();
  RunMulti(c, {"PSUBSCRIBE", "a*"});
  EXPECT_EQ(Run(c, {"GLOOKUP", "k"}), Err(SubscribedError("glookup")));
}

TEST_F(PubSubCommandsTest, SubscribedConnectionMayStillManageSubscriptionsAndMonitors) {
  Client& c = srv_.NewClient();
  RunMulti(c, {"SUBSCRIBE", "a"});
  EXPECT_EQ(RunMulti(c, {"PSUBSCRIBE", "p*"}).size(), 1u);
  EXPECT_EQ(RunMulti(c, {"GMONITOR", "k"}),
            (std::vector<RespValue>{SubFrame(2, "subscribe", "__gevent__:k", 3)}));
  EXPECT_EQ(RunMulti(c, {"GDEMONITOR", "k"}),
            (std::vector<RespValue>{SubFrame(2, "unsubscribe", "__gevent__:k", 2)}));
  EXPECT_EQ(RunMulti(c, {"PUNSUBSCRIBE", "p*"}).size(), 1u);
  EXPECT_EQ(RunMulti(c, {"UNSUBSCRIBE", "a"}).size(), 1u);
}

TEST_F(PubSubCommandsTest, LeavingSubscribedModeAllowsCommandsAgain) {
  Client& c = srv_.NewClient();
  RunMulti(c, {"SUBSCRIBE", "a"});
  RunMulti(c, {"UNSUBSCRIBE"});
  EXPECT_EQ(Run(c, {"GREG", "k"}), kOk);
}

TEST_F(PubSubCommandsTest, Resp3SubscribedConnectionMayRunAnyCommand) {
  Client& c = NewResp3Client();
  RunMulti(c, {"SUBSCRIBE", "a"});
  EXPECT_EQ(Run(c, {"GREG", "k"}), kOk);
  EXPECT_EQ(Run(c, {"PUBLISH", "nobody", "x"}), Int(0));
}

// --- PUBLISH and PUBSUB ---------------------------------------------------------------------

TEST_F(PubSubCommandsTest, PublishDeliversMessageFramesAndCountsReceivers) {
  Client& s2 = srv_.NewClient();
  Client& s3 = NewResp3Client();
  Client& pub = srv_.NewClient();
  RunMulti(s2, {"SUBSCRIBE", "news"});
  RunMulti(s3, {"SUBSCRIBE", "news"});
  EXPECT_EQ(Run(pub, {"PUBLISH", "news", "hello"}), Int(2));
  EXPECT_EQ(srv_.Frames(s2), (std::vector<RespValue>{Message(2, "news", "hello")}));
  EXPECT_EQ(srv_.Frames(s3), (std::vector<RespValue>{Message(3, "news", "hello")}));
  EXPECT_EQ(Run(pub, {"PUBLISH", "other", "x"}), Int(0));
  EXPECT_TRUE(srv_.Frames(s2).empty());
  EXPECT_EQ(server().stats().pubsub_messages, 2u);
}

TEST_F(PubSubCommandsTest, PublishCountsPatternSubscribersToo) {
  Client& ch = srv_.NewClient();
  Client& pat = srv_.NewClient();
  Client& both = srv_.NewClient();
  Client& miss = srv_.NewClient();
  Client& pub = srv_.NewClient();
  RunMulti(ch, {"SUBSCRIBE", "news.tech"});
  RunMulti(pat, {"PSUBSCRIBE", "news.*"});
  RunMulti(both, {"SUBSCRIBE", "news.tech"});
  RunMulti(both, {"PSUBSCRIBE", "*tech"});
  RunMulti(miss, {"PSUBSCRIBE", "sport.*"});
  // ch once, pat once, both twice (channel and pattern, as Redis counts).
  EXPECT_EQ(Run(pub, {"PUBLISH", "news.tech", "x"}), Int(4));
  EXPECT_EQ(srv_.Frames(pat), (std::vector<RespValue>{Arr({Bulk("pmessage"), Bulk("news.*"),
                                                           Bulk("news.tech"), Bulk("x")})}));
  EXPECT_EQ(srv_.Frames(both).size(), 2u);
  EXPECT_TRUE(srv_.Frames(miss).empty());
}

TEST_F(PubSubCommandsTest, PublishIsBinarySafe) {
  Client& s = srv_.NewClient();
  Client& pub = srv_.NewClient();
  std::string channel("c\0h", 3), payload("\r\n\0x", 4);
  RunMulti(s, {"SUBSCRIBE", channel});
  EXPECT_EQ(Run(pub, {"PUBLISH", channel, payload}), Int(1));
  EXPECT_EQ(srv_.Frames(s), (std::vector<RespValue>{Message(2, channel, payload)}));
}

TEST_F(PubSubCommandsTest, PubsubChannelsListsActiveChannelsMatchingPattern) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  Client& q = srv_.NewClient();
  RunMulti(a, {"SUBSCRIBE", "news", "sport"});
  RunMulti(b, {"SUBSCRIBE", "news"});
  RunMulti(b, {"PSUBSCRIBE", "n*"});  // Patterns are not channels.
  auto names = [](const RespValue& v) {
    std::vector<std::string> out;
    for (const auto& e : v.elems) out.push_back(e.str);
    std::sort(out.begin(), out.end());
    return out;
  };
  RespValue all = Run(q, {"PUBSUB", "CHANNELS"});
  ASSERT_EQ(all.type, RespValue::kArray);
  EXPECT_EQ(names(all), (std::vector<std::string>{"news", "sport"}));
  EXPECT_EQ(Run(q, {"PUBSUB", "channels", "n*"}), Arr({Bulk("news")}));
  EXPECT_EQ(Run(q, {"PUBSUB", "CHANNELS", "x*"}), Arr({}));
  RunMulti(a, {"UNSUBSCRIBE", "sport"});
  EXPECT_EQ(Run(q, {"PUBSUB", "CHANNELS"}), Arr({Bulk("news")}));
}

TEST_F(PubSubCommandsTest, PubsubNumsubCountsChannelSubscribersOnlyInResp2) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  Client& q = srv_.NewClient();
  RunMulti(a, {"SUBSCRIBE", "news"});
  RunMulti(b, {"SUBSCRIBE", "news"});
  RunMulti(b, {"PSUBSCRIBE", "news"});
  EXPECT_EQ(Run(q, {"PUBSUB", "NUMSUB", "news", "none"}),
            Arr({Bulk("news"), Int(2), Bulk("none"), Int(0)}));
  EXPECT_EQ(Run(q, {"PUBSUB", "NUMSUB"}), Arr({}));
}

// Redis answers PUBSUB NUMSUB with a flat array in RESP3 as well (addReplyArrayLen), and clients
// rely on it: redis-py's parse_pubsub_numsub slices the reply as a list. groupd writes a map.
// Disabled until pubsub_commands.cc writes an array (see the test report).
TEST_F(PubSubCommandsTest, PubsubNumsubIsAFlatArrayInResp3AsInRedis) {
  Client& a = srv_.NewClient();
  Client& q = NewResp3Client();
  RunMulti(a, {"SUBSCRIBE", "news"});
  EXPECT_EQ(Run(q, {"PUBSUB", "NUMSUB", "news"}), Arr({Bulk("news"), Int(1)}));
}

TEST_F(PubSubCommandsTest, PubsubNumpatCountsDistinctPatterns) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  Client& q = srv_.NewClient();
  EXPECT_EQ(Run(q, {"PUBSUB", "NUMPAT"}), Int(0));
  RunMulti(a, {"PSUBSCRIBE", "x*", "y*"});
  RunMulti(b, {"PSUBSCRIBE", "x*"});
  EXPECT_EQ(Run(q, {"PUBSUB", "NUMPAT"}), Int(2));
  srv_.Close(a);
  EXPECT_EQ(Run(q, {"PUBSUB", "NUMPAT"}), Int(1));
}

TEST_F(PubSubCommandsTest, PubsubRejectsUnknownSubcommandsAndAnswersHelp) {
  Client& q = srv_.NewClient();
  EXPECT_EQ(Run(q, {"PUBSUB", "FOO"}), Err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP."));
  EXPECT_EQ(Run(q, {"PUBSUB", "NUMPAT", "x"}),
            Err("ERR wrong number of arguments for 'pubsub|numpat' command"));
  RespValue help = Run(q, {"PUBSUB", "HELP"});
  ASSERT_EQ(help.type, RespValue::kArray);
  ASSERT_FALSE(help.elems.empty());
  EXPECT_EQ(help.elems[0].str.rfind("PUBSUB <subcommand>", 0), 0u);
}

TEST_F(PubSubCommandsTest, ClosingASubscriberRemovesItsSubscriptions) {
  Client& a = srv_.NewClient();
  Client& q = srv_.NewClient();
  RunMulti(a, {"SUBSCRIBE", "news"});
  srv_.Close(a);
  EXPECT_EQ(Run(q, {"PUBLISH", "news", "x"}), Int(0));
  EXPECT_EQ(Run(q, {"PUBSUB", "CHANNELS"}), Arr({}));
}

// --- GMONITOR and events --------------------------------------------------------------------

TEST_F(PubSubCommandsTest, GmonitorConfirmsLikeSubscribeOnEventChannels) {
  Client& m = srv_.NewClient();
  EXPECT_EQ(RunMulti(m, {"GMONITOR", "users/", "room/1", "*"}),
            (std::vector<RespValue>{SubFrame(2, "subscribe", "__gevent__:users/", 1),
                                    SubFrame(2, "subscribe", "__gevent__:room/1", 2),
                                    SubFrame(2, "subscribe", "__gevent__:*", 3)}));
  Client& q = srv_.NewClient();
  EXPECT_EQ(Run(q, {"PUBSUB", "NUMSUB", "__gevent__:users/"}),
            Arr({Bulk("__gevent__:users/"), Int(1)}));
  // Subscribing to the channel directly is the same subscription.
  EXPECT_EQ(RunMulti(m, {"SUBSCRIBE", "__gevent__:users/"}),
            (std::vector<RespValue>{SubFrame(2, "subscribe", "__gevent__:users/", 3)}));
}

TEST_F(PubSubCommandsTest, GmonitorConfirmationsArePushFramesInResp3) {
  Client& m = NewResp3Client();
  EXPECT_EQ(RunMulti(m, {"GMONITOR", "k"}),
            (std::vector<RespValue>{SubFrame(3, "subscribe", "__gevent__:k", 1)}));
}

TEST_F(PubSubCommandsTest, ExactPrefixAndStarMonitorsReceiveJsonEventsWithEveryField) {
  Client& exact = srv_.NewClient();
  Client& prefix = srv_.NewClient();
  Client& star = srv_.NewClient();
  Client& a = srv_.NewClient();
  RunMulti(exact, {"GMONITOR", "users/1"});
  RunMulti(prefix, {"GMONITOR", "users/"});
  RunMulti(star, {"GMONITOR", "*"});

  EXPECT_EQ(Run(a, {"GREG", "users/1", "META", "name", "ann"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "users/2", "META", "r", "x"}), kOk);
  EXPECT_EQ(Run(a, {"GLEAVE", "users/2"}), kOk);
  EXPECT_EQ(Run(a, {"GUNREG", "users/1"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "other"}), kOk);

  auto ex = srv_.Frames(exact);
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].elems.at(0), Bulk("message"));
  EXPECT_EQ(ex[0].elems.at(1), Bulk("__gevent__:users/1"));
  ExpectEvent(EventOf(ex[0]), "registered", "users/1", a.owner.pid, {{"name", "ann"}}, "");
  ExpectEvent(EventOf(ex[1]), "unregistered", "users/1", a.owner.pid, {{"name", "ann"}},
              "unregister");

  auto pre = srv_.Frames(prefix);
  ASSERT_EQ(pre.size(), 4u);
  for (const auto& f : pre) EXPECT_EQ(f.elems.at(1), Bulk("__gevent__:users/"));
  ExpectEvent(EventOf(pre[0]), "registered", "users/1", a.owner.pid, {{"name", "ann"}}, "");
  ExpectEvent(EventOf(pre[1]), "joined", "users/2", a.owner.pid, {{"r", "x"}}, "");
  ExpectEvent(EventOf(pre[2]), "left", "users/2", a.owner.pid, {{"r", "x"}}, "leave");
  ExpectEvent(EventOf(pre[3]), "unregistered", "users/1", a.owner.pid, {{"name", "ann"}},
              "unregister");

  auto st = srv_.Frames(star);
  ASSERT_EQ(st.size(), 5u);
  for (const auto& f : st) EXPECT_EQ(f.elems.at(1), Bulk("__gevent__:*"));
  ExpectEvent(EventOf(st[4]), "joined", "other", a.owner.pid, {}, "");
  // Every change gets the next sequence number, and all monitors see the same numbers.
  for (size_t i = 1; i < st.size(); i++) {
    EXPECT_EQ(SeqOf(EventOf(st[i])), SeqOf(EventOf(st[i - 1])) + 1);
  }
  EXPECT_EQ(SeqOf(EventOf(st[4])), server().event_seq());
  EXPECT_EQ(SeqOf(EventOf(pre[3])), SeqOf(EventOf(st[3])));
  EXPECT_EQ(SeqOf(EventOf(ex[1])), SeqOf(EventOf(st[3])));
}

TEST_F(PubSubCommandsTest, EventsAreNumberedEvenWithoutMonitors) {
  Client& a = srv_.NewClient();
  uint64_t before = server().event_seq();
  EXPECT_EQ(Run(a, {"GREG", "k"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(server().event_seq(), before + 2);
  Client& m = srv_.NewClient();
  RunMulti(m, {"GMONITOR", "*"});
  EXPECT_EQ(Run(a, {"GLEAVE", "g"}), kOk);
  auto frames = srv_.Frames(m);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(SeqOf(EventOf(frames[0])), before + 3);
}

TEST_F(PubSubCommandsTest, PrefixMonitorsMatchEveryLevelAndNotNeighbours) {
  Client& ab = srv_.NewClient();
  Client& a = srv_.NewClient();
  Client& users = srv_.NewClient();
  Client& w = srv_.NewClient();
  RunMulti(ab, {"GMONITOR", "a/b/"});
  RunMulti(a, {"GMONITOR", "a/"});
  RunMulti(users, {"GMONITOR", "users/"});
  EXPECT_EQ(Run(w, {"GREG", "a/b/c"}), kOk);
  EXPECT_EQ(Run(w, {"GREG", "users"}), kOk);
  EXPECT_EQ(Run(w, {"GREG", "users0/x"}), kOk);
  EXPECT_EQ(Run(w, {"GREG", "a/x"}), kOk);
  auto ab_frames = srv_.Frames(ab);
  ASSERT_EQ(ab_frames.size(), 1u);
  EXPECT_EQ(EventOf(ab_frames[0]).Get("key")->str, "a/b/c");
  auto a_frames = srv_.Frames(a);
  ASSERT_EQ(a_frames.size(), 2u);
  EXPECT_EQ(EventOf(a_frames[0]).Get("key")->str, "a/b/c");
  EXPECT_EQ(EventOf(a_frames[1]).Get("key")->str, "a/x");
  EXPECT_TRUE(srv_.Frames(users).empty());
}

TEST_F(PubSubCommandsTest, MonitorOnOverlappingPatternsGetsOneFramePerChannel) {
  // GMONITOR is SUBSCRIBE: two subscribed channels that both carry an event give two frames.
  Client& m = srv_.NewClient();
  Client& w = srv_.NewClient();
  RunMulti(m, {"GMONITOR", "k/1", "k/", "*"});
  EXPECT_EQ(Run(w, {"GREG", "k/1"}), kOk);
  auto frames = srv_.Frames(m);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].elems.at(1), Bulk("__gevent__:k/1"));
  EXPECT_EQ(frames[1].elems.at(1), Bulk("__gevent__:k/"));
  EXPECT_EQ(frames[2].elems.at(1), Bulk("__gevent__:*"));
  EXPECT_EQ(frames[0].elems.at(2), frames[2].elems.at(2));
}

TEST_F(PubSubCommandsTest, Resp3MonitorReceivesItsOwnEvents) {
  Client& c = NewResp3Client();
  RunMulti(c, {"GMONITOR", "*"});
  auto out = RunMulti(c, {"GREG", "k", "META", "f", "v"});
  ASSERT_EQ(out.size(), 2u);
  auto reply = std::find(out.begin(), out.end(), kOk);
  ASSERT_NE(reply, out.end());
  const RespValue& push = out[reply == out.begin() ? 1 : 0];
  ASSERT_EQ(push.type, RespValue::kPush);
  EXPECT_EQ(push.elems.at(1), Bulk("__gevent__:*"));
  ExpectEvent(EventOf(push), "registered", "k", c.owner.pid, {{"f", "v"}}, "");
}

TEST_F(PubSubCommandsTest, ClosingAConnectionEmitsRemovalEventsWithReasonDisconnect) {
  Client& a = srv_.NewClient();
  Client& m = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "f", "v"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "g"}), kOk);
  RunMulti(m, {"GMONITOR", "*"});
  std::string pid = a.owner.pid.str();
  srv_.Close(a);
  auto frames = srv_.Frames(m);
  ASSERT_EQ(frames.size(), 2u);
  std::vector<Json> events{EventOf(frames[0]), EventOf(frames[1])};
  std::sort(events.begin(), events.end(),
            [](const Json& x, const Json& y) { return x.Get("type")->str < y.Get("type")->str; });
  ExpectEvent(events[0], "left", "g", pid, {}, "disconnect");
  ExpectEvent(events[1], "unregistered", "k", pid, {{"f", "v"}}, "disconnect");
}

TEST_F(PubSubCommandsTest, ClosingAKilledConnectionEmitsReasonKilled) {
  Client& a = srv_.NewClient();
  Client& m = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k"}), kOk);
  RunMulti(m, {"GMONITOR", "k"});
  std::string pid = a.owner.pid.str();
  srv_.Close(a, Reason::kKilled);
  auto frames = srv_.Frames(m);
  ASSERT_EQ(frames.size(), 1u);
  ExpectEvent(EventOf(frames[0]), "unregistered", "k", pid, {}, "killed");
}

TEST_F(PubSubCommandsTest, KillClientRemovesEntriesAtOnceWithReasonKilled) {
  Client& a = srv_.NewClient();
  Client& m = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "f", "v"}), kOk);
  RunMulti(m, {"GMONITOR", "g"});
  server().KillClient(a, Reason::kKilled);
  auto frames = srv_.Frames(m);
  ASSERT_EQ(frames.size(), 1u);
  ExpectEvent(EventOf(frames[0]), "left", "g", a.owner.pid, {{"f", "v"}}, "killed");
  EXPECT_TRUE(a.close_asap);
  EXPECT_EQ(a.close_reason, Reason::kKilled);
  EXPECT_EQ(server().default_cluster().Memberships(), 0u);
  auto pending = server().TakePending();
  EXPECT_NE(std::find(pending.begin(), pending.end(), &a), pending.end());
  // The later close does not repeat the events.
  srv_.Close(a, a.close_reason);
  EXPECT_TRUE(srv_.Frames(m).empty());
}

TEST_F(PubSubCommandsTest, GmonitorOnUnknownClusterReturnsNocluster) {
  Client& m = srv_.NewClient();
  EXPECT_EQ(Run(m, {"GMONITOR", "*", "CLUSTER", "nope"}),
            Err("NOCLUSTER this node is not connected to cluster 'nope'"));
  EXPECT_EQ(m.subscription_count(), 0u);
}

TEST_F(PubSubCommandsTest, GmonitorWithoutPatternIsSyntaxError) {
  Client& m = srv_.NewClient();
  ASSERT_EQ(Run(m, {"GCONNECT", "c"}), kOk);
  EXPECT_EQ(Run(m, {"GMONITOR", "CLUSTER", "c"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(m, {"GMONITOR"}), Err("ERR wrong number of arguments for 'gmonitor' command"));
}

TEST_F(PubSubCommandsTest, GmonitorInNamedClusterUsesClusterChannels) {
  Client& m = srv_.NewClient();
  Client& w = srv_.NewClient();
  ASSERT_EQ(Run(w, {"GCONNECT", "blue"}), kOk);
  EXPECT_EQ(RunMulti(m, {"GMONITOR", "*", "cluster", "blue"}),
            (std::vector<RespValue>{SubFrame(2, "subscribe", "__gevent__@blue:*", 1)}));
  EXPECT_EQ(Run(w, {"GREG", "k", "CLUSTER", "blue"}), kOk);
  EXPECT_EQ(Run(w, {"GREG", "k"}), kOk);  // Default cluster: not this monitor's.
  auto frames = srv_.Frames(m);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].elems.at(1), Bulk("__gevent__@blue:*"));
  ExpectEvent(EventOf(frames[0]), "registered", "k", w.owner.pid, {}, "", "blue");
}

TEST_F(PubSubCommandsTest, GdemonitorWithPatternsUnsubscribesThoseChannels) {
  Client& m = srv_.NewClient();
  Client& w = srv_.NewClient();
  RunMulti(m, {"GMONITOR", "a", "b", "c"});
  EXPECT_EQ(RunMulti(m, {"GDEMONITOR", "a", "b"}),
            (std::vector<RespValue>{SubFrame(2, "unsubscribe", "__gevent__:a", 2),
                                    SubFrame(2, "unsubscribe", "__gevent__:b", 1)}));
  EXPECT_EQ(Run(w, {"GREG", "a"}), kOk);
  EXPECT_EQ(Run(w, {"GREG", "c"}), kOk);
  auto frames = srv_.Frames(m);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(EventOf(frames[0]).Get("key")->str, "c");
}

TEST_F(PubSubCommandsTest, GdemonitorWithoutPatternsLeavesOnlyThisClustersMonitors) {
  Client& m = srv_.NewClient();
  ASSERT_EQ(Run(m, {"GCONNECT", "c"}), kOk);
  RunMulti(m, {"SUBSCRIBE", "news"});
  RunMulti(m, {"GMONITOR", "x", "y"});
  RunMulti(m, {"GMONITOR", "z", "CLUSTER", "c"});
  auto frames = RunMulti(m, {"GDEMONITOR"});
  ASSERT_EQ(frames.size(), 2u);
  std::vector<std::string> names{frames[0].elems.at(1).str, frames[1].elems.at(1).str};
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"__gevent__:x", "__gevent__:y"}));
  EXPECT_EQ(frames[1].elems.at(2), Int(2));
  EXPECT_EQ(m.channels.count("news"), 1u);
  EXPECT_EQ(m.channels.count("__gevent__@c:z"), 1u);
  EXPECT_EQ(RunMulti(m, {"GDEMONITOR", "CLUSTER", "c"}),
            (std::vector<RespValue>{SubFrame(2, "unsubscribe", "__gevent__@c:z", 1)}));
}

TEST_F(PubSubCommandsTest, GdemonitorWithNoMonitorsAnswersWithNullChannel) {
  Client& m = srv_.NewClient();
  RunMulti(m, {"SUBSCRIBE", "news"});
  EXPECT_EQ(RunMulti(m, {"GDEMONITOR"}),
            (std::vector<RespValue>{Frame(2, {Bulk("unsubscribe"), Null('$'), Int(1)})}));
}

TEST_F(PubSubCommandsTest, PsubscribeToEventChannelsReceivesEventsAsPmessage) {
  Client& p = srv_.NewClient();
  Client& w = srv_.NewClient();
  RunMulti(p, {"PSUBSCRIBE", "__gevent__:user?"});
  EXPECT_EQ(Run(w, {"GREG", "users", "META", "f", "v"}), kOk);
  auto frames = srv_.Frames(p);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames[0].elems.size(), 4u);
  EXPECT_EQ(frames[0].elems[0], Bulk("pmessage"));
  EXPECT_EQ(frames[0].elems[1], Bulk("__gevent__:user?"));
  EXPECT_EQ(frames[0].elems[2], Bulk("__gevent__:users"));
  ExpectEvent(EventOf(frames[0]), "registered", "users", w.owner.pid, {{"f", "v"}}, "");
}

// An event is published on several channels (the key, each '/' prefix, '*') so that exact, prefix
// and '*' monitors are each found by one lookup. A pattern subscriber matching several of them
// receives the same event (same seq) once per matching channel: "__gevent__:*" gets every event
// two or three times. Disabled until Server::Emit delivers to patterns once per event (see the
// test report).
TEST_F(PubSubCommandsTest, PatternSubscriberReceivesEachEventOnce) {
  Client& p = srv_.NewClient();
  Client& w = srv_.NewClient();
  RunMulti(p, {"PSUBSCRIBE", "__gevent__:*"});
  EXPECT_EQ(Run(w, {"GREG", "users/1"}), kOk);
  auto frames = srv_.Frames(p);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].elems.at(2), Bulk("__gevent__:users/1"));
}

// --- GDISPATCH ------------------------------------------------------------------------------

TEST_F(PubSubCommandsTest, GdispatchDeliversPushFrameToResp3Member) {
  Client& m = NewResp3Client();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(m, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "hello"}), Int(1));
  EXPECT_EQ(srv_.Frames(m), (std::vector<RespValue>{Message(3, "__gdispatch__:g", "hello")}));
  EXPECT_EQ(server().stats().dispatches, 1u);
  EXPECT_EQ(server().stats().dispatch_deliveries, 1u);
  EXPECT_EQ(server().stats().dispatch_skipped, 0u);
}

TEST_F(PubSubCommandsTest, GdispatchDeliversToSubscribedResp2Member) {
  Client& m = srv_.NewClient();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(m, {"GJOIN", "g"}), kOk);
  RunMulti(m, {"SUBSCRIBE", "unrelated"});
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "hello"}), Int(1));
  EXPECT_EQ(srv_.Frames(m), (std::vector<RespValue>{Message(2, "__gdispatch__:g", "hello")}));
}

TEST_F(PubSubCommandsTest, GdispatchSkipsUnsubscribedResp2MemberAndCountsIt) {
  Client& m = srv_.NewClient();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(m, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "hello"}), Int(0));
  EXPECT_TRUE(srv_.Frames(m).empty());
  EXPECT_EQ(server().stats().dispatch_skipped, 1u);
  EXPECT_EQ(server().stats().dispatch_deliveries, 0u);
}

// DispatchLocal calls deliver_to_pid once for the membership and once for the registration, so
// a process that can take the frame nowhere is counted twice. Disabled until it is counted once
// per process (see the test report).
TEST_F(PubSubCommandsTest, GdispatchCountsASkippedProcessOnceEvenIfMemberAndRegistered) {
  Client& m = srv_.NewClient();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(m, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(m, {"GREG", "g"}), kOk);
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "hello"}), Int(0));
  EXPECT_EQ(server().stats().dispatch_skipped, 1u);
}

TEST_F(PubSubCommandsTest, GdispatchToResp2MemberGoesToItsInboxSubscribers) {
  Client& m = srv_.NewClient();
  Client& inbox = srv_.NewClient();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(m, {"GJOIN", "g"}), kOk);
  std::string channel = "__ginbox__:" + m.owner.pid;
  RunMulti(inbox, {"SUBSCRIBE", channel});
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "hello"}), Int(1));
  EXPECT_TRUE(srv_.Frames(m).empty());
  EXPECT_EQ(srv_.Frames(inbox), (std::vector<RespValue>{Message(2, channel, "hello")}));
  EXPECT_EQ(server().stats().dispatch_skipped, 0u);
}

TEST_F(PubSubCommandsTest, GdispatchReachesChannelSubscribersWhoAreNotMembers) {
  Client& sub = srv_.NewClient();
  Client& s = srv_.NewClient();
  RunMulti(sub, {"SUBSCRIBE", "__gdispatch__:g"});
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "hello"}), Int(1));
  EXPECT_EQ(srv_.Frames(sub), (std::vector<RespValue>{Message(2, "__gdispatch__:g", "hello")}));
}

TEST_F(PubSubCommandsTest, GdispatchReachesEachConnectionOnce) {
  // A member that is also subscribed to the group's channel and to its own inbox, and is also
  // registered under the group's key, still gets one frame.
  Client& m = srv_.NewClient();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(m, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(m, {"GREG", "g"}), kOk);
  RunMulti(m, {"SUBSCRIBE", "__gdispatch__:g", "__ginbox__:" + m.owner.pid});
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "hello"}), Int(1));
  EXPECT_EQ(srv_.Frames(m), (std::vector<RespValue>{Message(2, "__gdispatch__:g", "hello")}));
}

TEST_F(PubSubCommandsTest, GdispatchReachesProcessRegisteredUnderTheKey) {
  Client& r = NewResp3Client();
  Client& m = NewResp3Client();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(r, {"GREG", "svc"}), kOk);
  EXPECT_EQ(Run(m, {"GJOIN", "svc"}), kOk);
  EXPECT_EQ(Run(s, {"GDISPATCH", "svc", "job"}), Int(2));
  EXPECT_EQ(srv_.Frames(r), (std::vector<RespValue>{Message(3, "__gdispatch__:svc", "job")}));
  EXPECT_EQ(srv_.Frames(m), (std::vector<RespValue>{Message(3, "__gdispatch__:svc", "job")}));
}

TEST_F(PubSubCommandsTest, GdispatchCountsEveryReceiverKind) {
  Client& r3 = NewResp3Client();
  Client& r2sub = srv_.NewClient();
  Client& r2plain = srv_.NewClient();
  Client& chan = srv_.NewClient();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(r3, {"GJOIN", "g", "META", "k", "3"}), kOk);
  EXPECT_EQ(Run(r2sub, {"GJOIN", "g"}), kOk);
  RunMulti(r2sub, {"SUBSCRIBE", "x"});
  EXPECT_EQ(Run(r2plain, {"GJOIN", "g"}), kOk);
  RunMulti(chan, {"SUBSCRIBE", "__gdispatch__:g"});
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "m"}), Int(3));
  EXPECT_EQ(srv_.Frames(r3).size(), 1u);
  EXPECT_EQ(srv_.Frames(r2sub).size(), 1u);
  EXPECT_TRUE(srv_.Frames(r2plain).empty());
  EXPECT_EQ(srv_.Frames(chan).size(), 1u);
  EXPECT_EQ(server().stats().dispatch_deliveries, 3u);
  EXPECT_EQ(server().stats().dispatch_skipped, 1u);
}

TEST_F(PubSubCommandsTest, GdispatchSenderThatIsAResp3MemberReceivesItsOwnMessage) {
  Client& m = NewResp3Client();
  EXPECT_EQ(Run(m, {"GJOIN", "g"}), kOk);
  auto out = RunMulti(m, {"GDISPATCH", "g", "self"});
  // The message follows the reply, as Redis 7.2 orders a PUBLISH to oneself.
  EXPECT_EQ(out, (std::vector<RespValue>{Int(1), Message(3, "__gdispatch__:g", "self")}));
}

TEST_F(PubSubCommandsTest, GdispatchToEmptyGroupReachesNobody) {
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(s, {"GDISPATCH", "nobody", "m"}), Int(0));
  EXPECT_EQ(server().stats().dispatch_skipped, 0u);
}

TEST_F(PubSubCommandsTest, GdispatchIgnoresRemoteMembers) {
  NodeId node = server().AddNode("remote:1");
  Shard& shard = server().default_cluster().ShardFor("g");
  Join(shard, "g", Pid("1.x@remote:1"), Member{.node = node});
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "m"}), Int(0));
  EXPECT_EQ(server().stats().dispatch_skipped, 0u);
}

TEST_F(PubSubCommandsTest, GdispatchInNamedClusterUsesClusterChannelAndMembers) {
  Client& dm = NewResp3Client();  // Member in the default cluster.
  Client& cm = NewResp3Client();  // Member in cluster c.
  Client& sub = srv_.NewClient();
  Client& s = srv_.NewClient();
  ASSERT_EQ(Run(s, {"GCONNECT", "c"}), kOk);
  EXPECT_EQ(Run(dm, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(cm, {"GJOIN", "g", "CLUSTER", "c"}), kOk);
  RunMulti(sub, {"SUBSCRIBE", "__gdispatch__@c:g"});
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "m", "CLUSTER", "c"}), Int(2));
  EXPECT_TRUE(srv_.Frames(dm).empty());
  EXPECT_EQ(srv_.Frames(cm), (std::vector<RespValue>{Message(3, "__gdispatch__@c:g", "m")}));
  EXPECT_EQ(srv_.Frames(sub), (std::vector<RespValue>{Message(2, "__gdispatch__@c:g", "m")}));
}

TEST_F(PubSubCommandsTest, GdispatchToPrefixReachesOnlyThatChannelsSubscribers) {
  Client& member = NewResp3Client();
  Client& sub = srv_.NewClient();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(member, {"GJOIN", "rooms/1"}), kOk);
  RunMulti(sub, {"SUBSCRIBE", "__gdispatch__:rooms/"});
  EXPECT_EQ(Run(s, {"GDISPATCH", "rooms/", "m"}), Int(1));
  EXPECT_TRUE(srv_.Frames(member).empty());
  EXPECT_EQ(srv_.Frames(sub).size(), 1u);
}

TEST_F(PubSubCommandsTest, GdispatchForwardsToPeersButGlocaldispatchDoesNot) {
  std::vector<std::tuple<std::string, std::string, std::string>> forwarded;
  server().on_remote_dispatch = [&](ClusterState& cl, std::string_view g, std::string_view m) {
    forwarded.emplace_back(cl.name, g, m);
  };
  Client& member = NewResp3Client();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(member, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(s, {"GLOCALDISPATCH", "g", "local"}), Int(1));
  EXPECT_TRUE(forwarded.empty());
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "all"}), Int(1));
  EXPECT_EQ(forwarded,
            (std::vector<std::tuple<std::string, std::string, std::string>>{{"", "g", "all"}}));
  EXPECT_EQ(srv_.Frames(member), (std::vector<RespValue>{Message(3, "__gdispatch__:g", "local"),
                                                         Message(3, "__gdispatch__:g", "all")}));
}

// A member whose connection passes its output buffer limit while the dispatch loop writes to it
// must not be killed at once (Server::CheckOutputLimits -> KillClient -> RemoveOwnerEntries):
// that would erase its membership from the group map DispatchLocal is iterating and free the pid
// string the loop still uses to build the inbox channel (heap-use-after-free under ASan).
// Delivery defers such kills to its end (Server::EndDelivery).
// A soft output limit whose seconds are too many to count in milliseconds is never reached. The
// comparison once multiplied them by 1000 and overflowed (found by UBSan in fuzz_commands), which
// closed the subscriber at its second message.
TEST_F(PubSubCommandsTest, ASoftLimitOfHugeSecondsNeverClosesTheClient) {
  server().config().obuf_pubsub = OutputLimit{0, 1, INT64_MAX};
  Client& m = NewResp3Client();
  RunMulti(m, {"SUBSCRIBE", "ch"});
  Client& p = srv_.NewClient();
  EXPECT_EQ(Run(p, {"PUBLISH", "ch", "a"}), Int(1));  // Over the soft limit: its clock starts.
  ASSERT_NE(m.obuf_soft_since_ms, 0);
  m.obuf_soft_since_ms -= 1000 * 1000;  // Over it for 1,000 s.
  EXPECT_EQ(Run(p, {"PUBLISH", "ch", "b"}), Int(1));
  EXPECT_FALSE(m.close_asap);
  EXPECT_EQ(srv_.Frames(m).size(), 2u);
}

TEST_F(PubSubCommandsTest, GdispatchSurvivesAMemberClosedForItsOutputLimit) {
  server().config().obuf_normal.hard = 1;  // Any frame closes an unsubscribed connection.
  Client& doomed = NewResp3Client();
  Client& healthy = NewResp3Client();
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(doomed, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(healthy, {"GJOIN", "g"}), kOk);
  RunMulti(healthy, {"SUBSCRIBE", "x"});  // Pub/sub class: the 32mb default limit.
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "m"}).type, RespValue::kInteger);
  EXPECT_TRUE(doomed.close_asap);
  EXPECT_EQ(srv_.Frames(healthy), (std::vector<RespValue>{Message(3, "__gdispatch__:g", "m")}));
  EXPECT_EQ(Run(s, {"GCOUNT", "g"}), Int(1));
}

// Records the events listeners see, copying what the event borrows.
class RecordingListener : public EventListener {
 public:
  void OnEvent(const Event& e) override {
    seen.emplace_back(std::string(EventTypeName(e.type)), e.seq,
                      e.meta ? Meta(*e.meta) : Meta{});
  }
  std::vector<std::tuple<std::string, uint64_t, Meta>> seen;
};

// A monitor closed for its output limit by an event loses its entries. Were it closed inside
// Emit, the nested "unregistered" event (seq n+1) would reach listeners before the outer event
// (seq n); listeners are promised events in sequence order (a replicating peer would otherwise
// apply them out of order), so delivery defers the close until it ends. A client's own events
// wait for its command's reply, so another client's change does the closing here.
TEST_F(PubSubCommandsTest, ListenersSeeEventsInSequenceOrderWhenDeliveryKillsAnOwner) {
  RecordingListener listener;
  server().AddEventListener(&listener);
  Client& c = NewResp3Client();
  RunMulti(c, {"GMONITOR", "*"});
  RunMulti(c, {"GREG", "mine"});
  server().config().obuf_pubsub.hard = 1;  // Any event frame closes the monitor.
  // Another client's change reaches c during delivery (c's own events wait for its reply).
  Client& other = srv_.NewClient();
  RunMulti(other, {"GREG", "k", "META", "f", "v"});
  ASSERT_EQ(listener.seen.size(), 3u);
  EXPECT_EQ(std::get<0>(listener.seen[1]), "registered");
  EXPECT_EQ(std::get<2>(listener.seen[1]), (Meta{{"f", "v"}}));
  EXPECT_EQ(std::get<0>(listener.seen[2]), "unregistered");
  EXPECT_LT(std::get<1>(listener.seen[1]), std::get<1>(listener.seen[2]));
  EXPECT_TRUE(c.close_asap);
  srv_.Close(other);  // Before the listener goes.
}

TEST_F(PubSubCommandsTest, GdispatchRejectsInvalidGroupUnknownClusterAndExtraArguments) {
  Client& s = srv_.NewClient();
  EXPECT_EQ(Run(s, {"GDISPATCH", "", "m"}), Err("ERR key must not be empty"));
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "m", "CLUSTER", "nope"}),
            Err("NOCLUSTER this node is not connected to cluster 'nope'"));
  EXPECT_EQ(Run(s, {"GLOCALDISPATCH", "g", "m", "CLUSTER", "nope"}),
            Err("NOCLUSTER this node is not connected to cluster 'nope'"));
  EXPECT_EQ(Run(s, {"GDISPATCH", "g", "m", "extra"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(s, {"GDISPATCH", "g"}),
            Err("ERR wrong number of arguments for 'gdispatch' command"));
  server().config().max_key_len = 2;
  EXPECT_EQ(Run(s, {"GDISPATCH", "abc", "m"}), Err("ERR key is longer than max-key-len"));
  EXPECT_EQ(server().stats().dispatches, 0u);
}

}  // namespace
}  // namespace groupd
