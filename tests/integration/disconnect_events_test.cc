// When a connection goes, everything it registered or joined goes with it, and monitors learn
// why: "disconnect" (close, reset, QUIT, protocol error), "killed" (CLIENT KILL), and the
// explicit reasons of GUNREG, GLEAVE and GDISCONNECT.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/groupd_process.h"
#include "tests/integration/hiredis_client.h"

namespace groupd::testing {
namespace {

using ::testing::StartsWith;

// The parts of an event payload the tests look at.
struct EventInfo {
  std::string channel, type, key, pid, reason, cluster;
};

// Reads one JSON string or null field; fields are flat strings in event payloads except meta.
std::string JsonField(const std::string& json, const std::string& name) {
  std::smatch m;
  std::regex re("\"" + name + "\":(null|\"((?:[^\"\\\\]|\\\\.)*)\")");
  if (!std::regex_search(json, m, re)) return "<missing>";
  return m[1] == "null" ? "null" : m[2].str();
}

std::optional<EventInfo> ToEvent(const RespValue& frame) {
  if (frame.elems.size() != 3 || !frame.elems[0].IsString("message")) return std::nullopt;
  const std::string& json = frame.elems[2].str;
  return EventInfo{frame.elems[1].str,     JsonField(json, "type"),   JsonField(json, "key"),
                   JsonField(json, "pid"), JsonField(json, "reason"), JsonField(json, "cluster")};
}

class DisconnectEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.Start(), "");
    ASSERT_TRUE(monitor_.Connect(server_.port()));
    ASSERT_TRUE(owner_.Connect(server_.port()));
    ASSERT_TRUE(checker_.Connect(server_.port()));
    ASSERT_TRUE(monitor_.SendCommand({"GMONITOR", "svc/", "grp"}));
    for (int i = 1; i <= 2; i++) {
      auto confirm = monitor_.ReadReply();
      ASSERT_TRUE(confirm);
      ASSERT_EQ(confirm->elems.size(), 3u) << *confirm;
      ASSERT_EQ(confirm->elems[2].integer, i) << *confirm;
    }
    owner_pid_ = owner_.Command({"GPID"}).str;
    ASSERT_EQ(owner_.Command({"GREG", "svc/a", "META", "r", "1"}).ToString(), "+OK");
    ASSERT_EQ(owner_.Command({"GJOIN", "grp"}).ToString(), "+OK");
    auto created = ReadEvents(2);
    ASSERT_EQ(created.count("registered"), 1u);
    ASSERT_EQ(created.count("joined"), 1u);
  }

  // Reads n events from the monitor, keyed by type (the order of one connection's removals is
  // not specified).
  std::map<std::string, EventInfo> ReadEvents(int n) {
    std::map<std::string, EventInfo> out;
    for (int i = 0; i < n; i++) {
      auto frame = monitor_.ReadReply();
      if (!frame) {
        ADD_FAILURE() << "event " << i + 1 << " of " << n << " did not arrive";
        break;
      }
      auto ev = ToEvent(*frame);
      if (!ev) {
        ADD_FAILURE() << "not an event: " << *frame;
        continue;
      }
      EXPECT_EQ(ev->pid, owner_pid_) << *frame;
      out[ev->type] = *ev;
    }
    return out;
  }

  // Checks the owner's registration and membership went, with `reason` on both events.
  void ExpectRemovedWithReason(const std::string& reason) {
    auto events = ReadEvents(2);
    ASSERT_EQ(events.count("unregistered"), 1u);
    ASSERT_EQ(events.count("left"), 1u);
    EXPECT_EQ(events["unregistered"].key, "svc/a");
    EXPECT_EQ(events["unregistered"].channel, "__gevent__:svc/");
    EXPECT_EQ(events["unregistered"].reason, reason);
    EXPECT_EQ(events["left"].key, "grp");
    EXPECT_EQ(events["left"].channel, "__gevent__:grp");
    EXPECT_EQ(events["left"].reason, reason);
    EXPECT_EQ(checker_.Command({"GLOOKUP", "svc/a"}).ToString(), "(nil array)");
    EXPECT_EQ(checker_.Command({"GMEMBERS", "grp"}).ToString(), "[]");
    EXPECT_EQ(checker_.Command({"DBSIZE"}).ToString(), "(integer) 0");
    EXPECT_TRUE(monitor_.NothingArrives(50ms)) << "no further events";
  }

  GroupdProcess server_;
  RawClient monitor_, owner_, checker_;
  std::string owner_pid_;
};

TEST_F(DisconnectEventsTest, CloseWithoutQuitEmitsDisconnectAndRemovesEntries) {
  owner_.Close();
  ExpectRemovedWithReason("disconnect");
}

TEST_F(DisconnectEventsTest, ConnectionResetEmitsDisconnectAndRemovesEntries) {
  owner_.Close(/*reset=*/true);
  ExpectRemovedWithReason("disconnect");
}

TEST_F(DisconnectEventsTest, CloseWithUnreadRepliesEmitsDisconnect) {
  // The owner sends a burst and closes without reading: the server writes into a dead socket.
  std::string burst;
  for (int i = 0; i < 200; i++) burst += EncodeCommand({"ECHO", std::string(1000, 'x')});
  ASSERT_TRUE(owner_.Send(burst));
  owner_.Close();
  ExpectRemovedWithReason("disconnect");
}

TEST_F(DisconnectEventsTest, QuitEmitsDisconnectAndRemovesEntries) {
  EXPECT_EQ(owner_.Command({"QUIT"}).ToString(), "+OK");
  EXPECT_TRUE(owner_.ReadUntilClosed(nullptr));
  ExpectRemovedWithReason("disconnect");
}

TEST_F(DisconnectEventsTest, ProtocolErrorEmitsDisconnectAndRemovesEntries) {
  ASSERT_TRUE(owner_.Send("*abc\r\n"));
  std::string received;
  EXPECT_TRUE(owner_.ReadUntilClosed(&received));
  EXPECT_EQ(received, "-ERR Protocol error: invalid multibulk length\r\n");
  ExpectRemovedWithReason("disconnect");
}

TEST_F(DisconnectEventsTest, ClientKillIdEmitsKilledAndClosesTheOwner) {
  RespValue id = owner_.Command({"CLIENT", "ID"});
  ASSERT_EQ(id.type, RespValue::kInteger);
  EXPECT_EQ(checker_.Command({"CLIENT", "KILL", "ID", std::to_string(id.integer)}).ToString(),
            "(integer) 1");
  std::string received;
  EXPECT_TRUE(owner_.ReadUntilClosed(&received));
  EXPECT_EQ(received, "") << "a killed client gets no reply";
  ExpectRemovedWithReason("killed");
}

TEST_F(DisconnectEventsTest, ClientKillByAddressEmitsKilled) {
  RespValue info = owner_.Command({"CLIENT", "INFO"});
  ASSERT_EQ(info.type, RespValue::kBulk) << info;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(info.str, m, std::regex(" addr=([^ ]+) "))) << info.str;
  EXPECT_EQ(checker_.Command({"CLIENT", "KILL", m[1].str()}).ToString(), "+OK");
  EXPECT_TRUE(owner_.ReadUntilClosed(nullptr));
  ExpectRemovedWithReason("killed");
}

TEST_F(DisconnectEventsTest, HiredisSubscribedMonitorSeesKilledEvents) {
  HiredisClient mon;
  ASSERT_TRUE(mon.Connect(server_.port()));
  EXPECT_EQ(mon.Command({"GMONITOR", "*"}).ToString(),
            "[\"subscribe\", \"__gevent__:*\", (integer) 1]");
  RespValue id = owner_.Command({"CLIENT", "ID"});
  ASSERT_EQ(checker_.Command({"CLIENT", "KILL", "ID", std::to_string(id.integer)}).ToString(),
            "(integer) 1");
  std::map<std::string, EventInfo> events;
  for (int i = 0; i < 2; i++) {
    auto frame = mon.GetReply(std::chrono::seconds(5));
    ASSERT_TRUE(frame) << "event " << i + 1 << " missing";
    auto ev = ToEvent(*frame);
    ASSERT_TRUE(ev) << *frame;
    EXPECT_EQ(ev->channel, "__gevent__:*");
    events[ev->type] = *ev;
  }
  EXPECT_EQ(events["unregistered"].reason, "killed");
  EXPECT_EQ(events["left"].reason, "killed");
  ExpectRemovedWithReason("killed");
}

TEST_F(DisconnectEventsTest, GunregAndGleaveCarryTheirOwnReasons) {
  EXPECT_EQ(owner_.Command({"GUNREG", "svc/a"}).ToString(), "+OK");
  auto ev = ReadEvents(1);
  ASSERT_EQ(ev.count("unregistered"), 1u);
  EXPECT_EQ(ev["unregistered"].reason, "unregister");
  EXPECT_EQ(owner_.Command({"GLEAVE", "grp"}).ToString(), "+OK");
  ev = ReadEvents(1);
  ASSERT_EQ(ev.count("left"), 1u);
  EXPECT_EQ(ev["left"].reason, "leave");
  // Nothing is left to remove when the connection closes afterwards.
  owner_.Close();
  EXPECT_TRUE(monitor_.NothingArrives(200ms));
}

TEST_F(DisconnectEventsTest, EntriesInEveryClusterGoWhenTheConnectionCloses) {
  ASSERT_EQ(checker_.Command({"GCONNECT", "c"}).ToString(), "+OK");
  RawClient cmon;
  ASSERT_TRUE(cmon.Connect(server_.port()));
  ASSERT_EQ(cmon.Command({"GMONITOR", "*", "CLUSTER", "c"}).ToString(),
            "[\"subscribe\", \"__gevent__@c:*\", (integer) 1]");
  ASSERT_EQ(owner_.Command({"GREG", "svc/a", "CLUSTER", "c"}).ToString(), "+OK");
  auto created = cmon.ReadReply();
  ASSERT_TRUE(created);
  owner_.Close();
  ExpectRemovedWithReason("disconnect");
  auto frame = cmon.ReadReply();
  ASSERT_TRUE(frame);
  auto ev = ToEvent(*frame);
  ASSERT_TRUE(ev) << *frame;
  EXPECT_EQ(ev->type, "unregistered");
  EXPECT_EQ(ev->cluster, "c");
  EXPECT_EQ(ev->reason, "disconnect");
  EXPECT_EQ(checker_.Command({"GLOOKUP", "svc/a", "CLUSTER", "c"}).ToString(), "(nil array)");
}

TEST_F(DisconnectEventsTest, GdisconnectEmitsClusterDisconnect) {
  ASSERT_EQ(checker_.Command({"GCONNECT", "c"}).ToString(), "+OK");
  RawClient cmon;
  ASSERT_TRUE(cmon.Connect(server_.port()));
  ASSERT_EQ(cmon.Command({"GMONITOR", "*", "CLUSTER", "c"}).ToString(),
            "[\"subscribe\", \"__gevent__@c:*\", (integer) 1]");
  ASSERT_EQ(owner_.Command({"GJOIN", "grp", "CLUSTER", "c"}).ToString(), "+OK");
  ASSERT_TRUE(cmon.ReadReply());
  EXPECT_EQ(checker_.Command({"GDISCONNECT", "c"}).ToString(), "(integer) 1");
  auto frame = cmon.ReadReply();
  ASSERT_TRUE(frame);
  auto ev = ToEvent(*frame);
  ASSERT_TRUE(ev) << *frame;
  EXPECT_EQ(ev->type, "left");
  EXPECT_EQ(ev->key, "grp");
  EXPECT_EQ(ev->reason, "cluster_disconnect");
  // The default cluster's entries stay.
  EXPECT_EQ(checker_.Command({"GLOOKUP", "svc/a"}).ToString(),
            "[\"" + owner_pid_ + "\", [\"r\", \"1\"]]");
  EXPECT_TRUE(monitor_.NothingArrives(50ms));
}

// Which channels carry an event, and what pattern subscribers see.
class EventChannelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.Start(), "");
    ASSERT_TRUE(mon_.Connect(server_.port()));
    ASSERT_TRUE(owner_.Connect(server_.port()));
  }
  // Subscribes mon_ and reads the n confirmations.
  void Subscribe(const std::vector<std::string>& cmd, size_t n) {
    ASSERT_TRUE(mon_.SendCommand(cmd));
    for (size_t i = 0; i < n; i++) ASSERT_TRUE(mon_.ReadReply());
  }
  GroupdProcess server_;
  RawClient mon_, owner_;
};

TEST_F(EventChannelsTest, NestedKeyIsPublishedOnItsExactPrefixAndStarChannels) {
  Subscribe({"GMONITOR", "a/b/c", "a/", "a/b/", "*", "a/x/", "a/b", "b/"}, 7);
  ASSERT_EQ(owner_.Command({"GREG", "a/b/c"}).ToString(), "+OK");
  std::vector<std::string> channels;
  std::string payload;
  for (int i = 0; i < 4; i++) {
    auto frame = mon_.ReadReply();
    ASSERT_TRUE(frame) << "message " << i + 1 << " of 4 missing";
    ASSERT_EQ(frame->elems.size(), 3u) << *frame;
    channels.push_back(frame->elems[1].str);
    if (i == 0) payload = frame->elems[2].str;
    EXPECT_EQ(frame->elems[2].str, payload) << "every channel carries the same event";
  }
  EXPECT_THAT(channels, ::testing::UnorderedElementsAre("__gevent__:a/b/c", "__gevent__:a/",
                                                        "__gevent__:a/b/", "__gevent__:*"));
  EXPECT_TRUE(mon_.NothingArrives(100ms)) << "a/x/, a/b and b/ do not match a/b/c";
}

TEST_F(EventChannelsTest, GregAgainCarriesPreviousMeta) {
  Subscribe({"GMONITOR", "k"}, 1);
  const std::string pid = owner_.Command({"GPID"}).str;
  ASSERT_EQ(owner_.Command({"GREG", "k", "META", "v", "1"}).ToString(), "+OK");
  ASSERT_EQ(owner_.Command({"GREG", "k", "META", "v", "2"}).ToString(), "+OK");
  ASSERT_TRUE(mon_.ReadReply());
  auto frame = mon_.ReadReply();
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->elems.size(), 3u) << *frame;
  const std::string node = pid.substr(pid.find('@') + 1);
  EXPECT_EQ(frame->elems[2].str,
            "{\"type\":\"registered\",\"cluster\":null,\"key\":\"k\",\"pid\":\"" + pid +
                "\",\"node\":\"" + node +
                "\",\"meta\":{\"v\":\"2\"},\"previous_meta\":{\"v\":\"1\"},\"reason\":null,"
                "\"seq\":2}");
}

TEST_F(EventChannelsTest, BinaryKeysAndMetaAreEscapedAsJson) {
  Subscribe({"GMONITOR", "*"}, 1);
  const std::string key("q\"\\\n\t\x01\xc3\xa9", 8);
  ASSERT_EQ(owner_.Command({"GREG", key, "META", "f", std::string("\xff\x00", 2)}).ToString(),
            "+OK");
  RawClient reader;
  ASSERT_TRUE(reader.Connect(server_.port()));
  RespValue v = reader.Command({"GLOOKUP", key});
  ASSERT_EQ(v.elems.size(), 2u) << v;
  ASSERT_EQ(v.elems[1].elems.size(), 2u) << v;
  EXPECT_EQ(v.elems[1].elems[1].str, std::string("\xff\x00", 2)) << "binary-safe meta";
  auto frame = mon_.ReadReply();
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->elems.size(), 3u) << *frame;
  EXPECT_THAT(frame->elems[2].str,
              ::testing::HasSubstr("\"key\":\"q\\\"\\\\\\n\\t\\u0001\xc3\xa9\""));
  EXPECT_THAT(frame->elems[2].str, ::testing::HasSubstr("\"meta\":{\"f\":\"\\ufffd\\u0000\"}"));
}

TEST_F(EventChannelsTest, PatternSubscriberGetsEachEventOnceAsPmessage) {
  Subscribe({"PSUBSCRIBE", "__gevent__:*"}, 1);
  ASSERT_EQ(owner_.Command({"GJOIN", "room/1"}).ToString(), "+OK");
  auto frame = mon_.ReadReply();
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->elems.size(), 4u) << *frame;
  EXPECT_TRUE(frame->elems[0].IsString("pmessage"));
  EXPECT_TRUE(frame->elems[1].IsString("__gevent__:*"));
  EXPECT_TRUE(frame->elems[2].IsString("__gevent__:room/1")) << *frame;
  EXPECT_THAT(frame->elems[3].str, StartsWith("{\"type\":\"joined\""));
  // COMMANDS.md: each event is one pmessage for a pattern subscriber. The event is also
  // published on __gevent__:room/ and __gevent__:*, which the same pattern matches.
  EXPECT_TRUE(mon_.NothingArrives(100ms))
      << "duplicate frame for the same event: " << mon_.ReadReply().value_or(RespValue());
}

}  // namespace
}  // namespace groupd::testing
