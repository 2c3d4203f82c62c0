// RESP3 over raw sockets: HELLO, maps, nulls, push frames and what RESP3 allows that RESP2 does
// not (commands while subscribed, frames without subscribing).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/groupd_process.h"

namespace groupd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Q(const std::string& s) { return "\"" + s + "\""; }

// Fails the test if v or anything inside it came with a RESP3 attribute ("|") frame.
void ExpectNoAttributes(const RespValue& v) {
  EXPECT_TRUE(v.attributes.empty()) << "attribute frame before " << v;
  for (const auto& e : v.elems) ExpectNoAttributes(e);
}

// The values of a RESP3 map, by key; ADD_FAILURE when key is missing.
const RespValue* MapGet(const RespValue& map, const std::string& key) {
  for (size_t i = 0; i + 1 < map.elems.size(); i += 2) {
    if (map.elems[i].IsString(key)) return &map.elems[i + 1];
  }
  ADD_FAILURE() << "no key '" << key << "' in " << map;
  return nullptr;
}

class Resp3Test : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(server_.Start(), ""); }

  // Connects; with resp3, switches the connection with HELLO 3 and checks the reply is a map.
  void Open(RawClient& c, bool resp3 = true) {
    std::string error;
    ASSERT_TRUE(c.Connect(server_.port(), &error)) << error;
    if (!resp3) return;
    RespValue hello = c.Command({"HELLO", "3"});
    ASSERT_EQ(hello.type, RespValue::kMap) << hello;
  }

  GroupdProcess server_;
};

TEST_F(Resp3Test, Hello3RepliesWithServerMapAndSwitchesProtocol) {
  RawClient c;
  ASSERT_TRUE(c.Connect(server_.port()));
  ASSERT_TRUE(c.SendCommand({"HELLO", "3"}));
  // Check the raw bytes: the reply must start as a map, not an array.
  auto hello = c.ReadReply();
  ASSERT_TRUE(hello);
  ASSERT_EQ(hello->type, RespValue::kMap) << *hello;
  ExpectNoAttributes(*hello);
  if (const RespValue* proto = MapGet(*hello, "proto")) {
    EXPECT_EQ(proto->ToString(), "(integer) 3");
  }
  if (const RespValue* id = MapGet(*hello, "id")) {
    EXPECT_EQ(id->type, RespValue::kInteger);
    EXPECT_EQ(c.Command({"CLIENT", "ID"}).integer, id->integer);
  }
  MapGet(*hello, "server");
  MapGet(*hello, "version");
  if (const RespValue* mode = MapGet(*hello, "mode")) {
    EXPECT_TRUE(mode->IsString("standalone"));
  }
  if (const RespValue* role = MapGet(*hello, "role")) {
    EXPECT_TRUE(role->IsString("master"));
  }
  if (const RespValue* modules = MapGet(*hello, "modules")) {
    EXPECT_EQ(modules->ToString(), "[]");
  }

  // HELLO 2 switches back: the same map comes as a flat array.
  RespValue hello2 = c.Command({"HELLO", "2"});
  EXPECT_EQ(hello2.type, RespValue::kArray) << hello2;
  EXPECT_EQ(c.Command({"HELLO", "4"}).ToString(), "(error) NOPROTO unsupported protocol version");
}

TEST_F(Resp3Test, GlookupMetaIsAMapAndMissingKeyIsTheResp3Null) {
  RawClient owner, reader;
  Open(owner, false);
  Open(reader);
  ASSERT_EQ(owner.Command({"GREG", "k", "META", "a", "1", "b", "2"}).ToString(), "+OK");
  const std::string pid = owner.Command({"GPID"}).str;

  RespValue v = reader.Command({"GLOOKUP", "k"});
  EXPECT_EQ(v.ToString(), "[" + Q(pid) + ", {\"a\" => \"1\", \"b\" => \"2\"}]");
  ASSERT_EQ(v.elems.size(), 2u);
  EXPECT_EQ(v.elems[1].type, RespValue::kMap);

  // The exact bytes of the null: "_\r\n", never "*-1" or "$-1" on RESP3.
  ASSERT_TRUE(reader.SendCommand({"GLOOKUP", "missing"}));
  EXPECT_EQ(reader.ReadReplyBytes(), "_\r\n");

  EXPECT_EQ(reader.Command({"GMEMBERS", "none"}).ToString(), "[]");
  EXPECT_EQ(reader.Command({"CLIENT", "GETNAME"}).ToString(), "(nil)");
  EXPECT_EQ(reader.Command({"CONFIG", "GET", "max-key-len"}).ToString(),
            "{\"max-key-len\" => \"4096\"}");
}

TEST_F(Resp3Test, Resp2KeepsNullArrayAndNullBulkApart) {
  RawClient c;
  Open(c, false);
  ASSERT_TRUE(c.SendCommand({"GLOOKUP", "missing"}));
  EXPECT_EQ(c.ReadReplyBytes(), "*-1\r\n");
  ASSERT_TRUE(c.SendCommand({"CLIENT", "GETNAME"}));
  EXPECT_EQ(c.ReadReplyBytes(), "$-1\r\n");
  ASSERT_EQ(c.Command({"GJOIN", "g", "META", "x", "y"}).ToString(), "+OK");
  ASSERT_TRUE(c.SendCommand({"GLOCALENTRIES"}));
  // The default cluster is a null bulk inside the entry.
  auto bytes = c.ReadReplyBytes();
  ASSERT_TRUE(bytes);
  EXPECT_THAT(*bytes, StartsWith("*1\r\n*5\r\n$2\r\npg\r\n$-1\r\n$1\r\ng\r\n"));
}

TEST_F(Resp3Test, GmembersAndGlocalentriesCarryMetaAsMaps) {
  RawClient a;
  Open(a);
  const std::string pid = a.Command({"GPID"}).str;
  ASSERT_EQ(a.Command({"GJOIN", "g", "META", "x", "y"}).ToString(), "+OK");
  EXPECT_EQ(a.Command({"GMEMBERS", "g"}).ToString(), "[[" + Q(pid) + ", {\"x\" => \"y\"}]]");
  EXPECT_EQ(a.Command({"GMEMBERS", "g", "WITHKEYS"}).ToString(),
            "[[\"g\", " + Q(pid) + ", {\"x\" => \"y\"}]]");
  EXPECT_EQ(a.Command({"GLOCALENTRIES"}).ToString(),
            "[[\"pg\", (nil), \"g\", " + Q(pid) + ", {\"x\" => \"y\"}]]");
}

TEST_F(Resp3Test, SubscribeConfirmationsAndMessagesArePushFrames) {
  RawClient sub, pub;
  Open(sub);
  Open(pub, false);
  ASSERT_TRUE(sub.SendCommand({"SUBSCRIBE", "news"}));
  auto confirm = sub.ReadReply();
  ASSERT_TRUE(confirm);
  EXPECT_EQ(confirm->ToString(), ">[\"subscribe\", \"news\", (integer) 1]");

  EXPECT_EQ(pub.Command({"PUBLISH", "news", "hello"}).ToString(), "(integer) 1");
  auto msg = sub.ReadReply();
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->ToString(), ">[\"message\", \"news\", \"hello\"]");

  ASSERT_TRUE(sub.SendCommand({"PSUBSCRIBE", "n*"}));
  auto pconfirm = sub.ReadReply();
  ASSERT_TRUE(pconfirm);
  EXPECT_EQ(pconfirm->ToString(), ">[\"psubscribe\", \"n*\", (integer) 2]");
  EXPECT_EQ(pub.Command({"PUBLISH", "news", "again"}).ToString(), "(integer) 2");
  std::vector<std::string> frames;
  for (int i = 0; i < 2; i++) {
    auto f = sub.ReadReply();
    ASSERT_TRUE(f);
    frames.push_back(f->ToString());
  }
  EXPECT_THAT(frames,
              ::testing::UnorderedElementsAre(">[\"message\", \"news\", \"again\"]",
                                              ">[\"pmessage\", \"n*\", \"news\", \"again\"]"));
}

TEST_F(Resp3Test, SubscribedResp3ConnectionCanRunGregAndSeesItsOwnEvent) {
  RawClient c, other;
  Open(c);
  Open(other, false);
  ASSERT_TRUE(c.SendCommand({"GMONITOR", "svc/"}));
  auto confirm = c.ReadReply();
  ASSERT_TRUE(confirm);
  EXPECT_EQ(confirm->ToString(), ">[\"subscribe\", \"__gevent__:svc/\", (integer) 1]");

  // On RESP2 this would be refused in subscribed mode; RESP3 allows any command.
  ASSERT_TRUE(c.SendCommand({"GREG", "svc/a", "META", "v", "1"}));
  std::vector<RespValue> got;
  for (int i = 0; i < 2; i++) {
    auto f = c.ReadReply();
    ASSERT_TRUE(f) << "expected the reply and the event push";
    got.push_back(*f);
  }
  const RespValue& reply = got[0].type == RespValue::kPush ? got[1] : got[0];
  const RespValue& event = got[0].type == RespValue::kPush ? got[0] : got[1];
  EXPECT_EQ(reply.ToString(), "+OK");
  ASSERT_EQ(event.type, RespValue::kPush) << event;
  ASSERT_EQ(event.elems.size(), 3u) << event;
  EXPECT_TRUE(event.elems[0].IsString("message"));
  EXPECT_TRUE(event.elems[1].IsString("__gevent__:svc/"));
  EXPECT_THAT(event.elems[2].str, StartsWith("{\"type\":\"registered\",\"cluster\":null,"
                                             "\"key\":\"svc/a\""));
  EXPECT_EQ(other.Command({"GLOOKUP", "svc/a"}).ToString(),
            "[" + Q(c.Command({"GPID"}).str) + ", [\"v\", \"1\"]]");
}

TEST_F(Resp3Test, Resp3MemberReceivesGdispatchAsPushWithoutSubscribing) {
  RawClient member, sender;
  Open(member);
  Open(sender, false);
  ASSERT_EQ(member.Command({"GJOIN", "workers"}).ToString(), "+OK");
  EXPECT_EQ(sender.Command({"GDISPATCH", "workers", "job-1"}).ToString(), "(integer) 1");
  auto frame = member.ReadReply();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->ToString(), ">[\"message\", \"__gdispatch__:workers\", \"job-1\"]");
  ExpectNoAttributes(*frame);
  // The connection is not in subscribed mode: ordinary commands work and get plain replies.
  EXPECT_EQ(member.Command({"PING"}).ToString(), "+PONG");

  EXPECT_EQ(sender.Command({"GCONNECT", "c"}).ToString(), "+OK");
  ASSERT_EQ(member.Command({"GJOIN", "workers", "CLUSTER", "c"}).ToString(), "+OK");
  EXPECT_EQ(sender.Command({"GLOCALDISPATCH", "workers", "job-2", "CLUSTER", "c"}).ToString(),
            "(integer) 1");
  frame = member.ReadReply();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->ToString(), ">[\"message\", \"__gdispatch__@c:workers\", \"job-2\"]");
}

TEST_F(Resp3Test, EventsArriveAsThreeElementMessagePushFrames) {
  RawClient mon, owner;
  Open(mon);
  Open(owner, false);
  ASSERT_TRUE(mon.SendCommand({"GMONITOR", "*"}));
  ASSERT_TRUE(mon.ReadReply());
  ASSERT_EQ(owner.Command({"GJOIN", "g"}).ToString(), "+OK");
  // Look at the bytes themselves: a push header with three elements, then "message".
  auto bytes = mon.ReadReplyBytes();
  ASSERT_TRUE(bytes);
  EXPECT_THAT(*bytes, StartsWith(">3\r\n$7\r\nmessage\r\n$12\r\n__gevent__:*\r\n"));
  RespValue ev;
  ASSERT_GT(ParseRespValue(*bytes, &ev), 0u);
  EXPECT_THAT(ev.elems[2].str, StartsWith("{\"type\":\"joined\""));
}

TEST_F(Resp3Test, NoReplyOrPushEverCarriesAnAttributeFrame) {
  RawClient a, b;
  Open(a);
  Open(b);
  ASSERT_TRUE(a.SendCommand({"GMONITOR", "*"}));
  std::vector<RespValue> seen;
  auto read = [&](RawClient& c) {
    auto v = c.ReadReply();
    EXPECT_TRUE(v);
    if (v) seen.push_back(*v);
  };
  read(a);
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"GREG", "k", "META", "f", "v"},
           {"GLOOKUP", "k"},
           {"GJOIN", "g", "META", "f", "v"},
           {"GMEMBERS", "g", "WITHKEYS"},
           {"GLOCALENTRIES"},
           {"INFO"},
           {"CLIENT", "INFO"},
           {"CLIENT", "LIST"},
           {"CONFIG", "GET", "*"},
           {"COMMAND", "INFO", "greg"},
           {"COMMAND", "DOCS", "greg"},
           {"PUBSUB", "NUMSUB", "__gevent__:*"},
           {"TIME"},
           {"HELLO", "3"},
       }) {
    ASSERT_TRUE(b.SendCommand(cmd));
    read(b);
  }
  // The monitor saw one registered and one joined event.
  read(a);
  read(a);
  for (const auto& v : seen) ExpectNoAttributes(v);
  EXPECT_TRUE(a.NothingArrives(50ms));
  EXPECT_TRUE(b.NothingArrives(50ms));
}

}  // namespace
}  // namespace groupd::testing
