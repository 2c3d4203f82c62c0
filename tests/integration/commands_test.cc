// Every command of docs/COMMANDS.md against the real binary, over hiredis (RESP2).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/groupd_process.h"
#include "tests/integration/hiredis_client.h"

namespace groupd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// "x" -> "\"x\"", the way RespValue::ToString() prints a bulk string.
std::string Q(const std::string& s) { return "\"" + s + "\""; }

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(server_.Start(), ""); }

  std::unique_ptr<HiredisClient> Connect() {
    auto c = std::make_unique<HiredisClient>();
    std::string error;
    if (!c->Connect(server_.port(), &error)) ADD_FAILURE() << "hiredis connect: " << error;
    return c;
  }

  static std::string Pid(HiredisClient& c) { return c.Command({"GPID"}).str; }

  // The node name is the part of any pid after '@'.
  std::string NodeName(HiredisClient& c) {
    std::string pid = Pid(c);
    return pid.substr(pid.find('@') + 1);
  }

  GroupdProcess server_;
};

// --- Registry -----------------------------------------------------------------------------------

TEST_F(CommandsTest, GpidIsIdDotIncarnationAtNodeAndDiffersPerConnection) {
  auto a = Connect();
  auto b = Connect();
  RespValue pa = a->Command({"GPID"});
  RespValue pb = b->Command({"GPID"});
  ASSERT_EQ(pa.type, RespValue::kBulk) << pa;
  ASSERT_EQ(pb.type, RespValue::kBulk) << pb;
  const std::regex shape("[0-9]+\\.[0-9a-z]+@.+:" + std::to_string(server_.port()));
  EXPECT_TRUE(std::regex_match(pa.str, shape)) << pa.str;
  EXPECT_TRUE(std::regex_match(pb.str, shape)) << pb.str;
  EXPECT_NE(pa.str, pb.str);
  // Same node, same incarnation: only the connection id differs.
  EXPECT_EQ(pa.str.substr(pa.str.find('.')), pb.str.substr(pb.str.find('.')));
  EXPECT_EQ(a->Command({"GPID"}).str, pa.str) << "a connection's pid never changes";
}

TEST_F(CommandsTest, GregThenGlookupFromAnotherConnectionReturnsPidAndMeta) {
  auto owner = Connect();
  auto reader = Connect();
  const std::string pid = Pid(*owner);
  EXPECT_EQ(owner->Command({"GREG", "users/1", "META", "role", "admin", "zone", "eu"}).ToString(),
            "+OK");
  EXPECT_EQ(reader->Command({"GLOOKUP", "users/1"}).ToString(),
            "[" + Q(pid) + ", [\"role\", \"admin\", \"zone\", \"eu\"]]");
  EXPECT_EQ(reader->Command({"GLOOKUP", "users/1", "FIELDS", "zone"}).ToString(),
            "[" + Q(pid) + ", [\"zone\", \"eu\"]]");
  EXPECT_EQ(reader->Command({"GLOOKUP", "users/1", "FIELDS", "nope"}).ToString(),
            "[" + Q(pid) + ", []]");
}

TEST_F(CommandsTest, GregWithoutMetaHasEmptyMeta) {
  auto owner = Connect();
  EXPECT_EQ(owner->Command({"GREG", "k"}).ToString(), "+OK");
  EXPECT_EQ(owner->Command({"GLOOKUP", "k"}).ToString(), "[" + Q(Pid(*owner)) + ", []]");
}

TEST_F(CommandsTest, GlookupOfUnregisteredKeyIsNil) {
  auto c = Connect();
  RespValue v = c->Command({"GLOOKUP", "nobody"});
  EXPECT_TRUE(v.IsNull()) << v;
}

TEST_F(CommandsTest, GregReturnsTakenWhenAnotherConnectionOwnsKey) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_EQ(a->Command({"GREG", "k", "META", "v", "1"}).ToString(), "+OK");
  EXPECT_EQ(b->Command({"GREG", "k", "META", "v", "2"}).ToString(),
            "(error) TAKEN key 'k' is registered by " + Pid(*a));
  EXPECT_EQ(b->Command({"GLOOKUP", "k"}).ToString(), "[" + Q(Pid(*a)) + ", [\"v\", \"1\"]]");
}

TEST_F(CommandsTest, GregAgainBySameConnectionReplacesMeta) {
  auto a = Connect();
  ASSERT_EQ(a->Command({"GREG", "k", "META", "v", "1"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GREG", "k", "META", "w", "2"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GLOOKUP", "k"}).ToString(), "[" + Q(Pid(*a)) + ", [\"w\", \"2\"]]");
  EXPECT_EQ(a->Command({"GREGCOUNT"}).ToString(), "(integer) 1");
}

TEST_F(CommandsTest, GunregRemovesOwnRegistrationAndRejectsOthers) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_EQ(a->Command({"GREG", "k"}).ToString(), "+OK");
  EXPECT_EQ(b->Command({"GUNREG", "k"}).ToString(),
            "(error) NOTOWNER key 'k' is not registered by this process");
  EXPECT_EQ(a->Command({"GUNREG", "k"}).ToString(), "+OK");
  EXPECT_TRUE(b->Command({"GLOOKUP", "k"}).IsNull());
  EXPECT_EQ(a->Command({"GUNREG", "k"}).ToString(),
            "(error) NOTOWNER key 'k' is not registered by this process");
  EXPECT_EQ(b->Command({"GREG", "k"}).ToString(), "+OK") << "a freed key can be taken";
}

TEST_F(CommandsTest, GregRejectsBadArgumentsWithDocumentedErrors) {
  auto c = Connect();
  EXPECT_EQ(c->Command({"GREG", "k", "META", "a"}).ToString(),
            "(error) ERR META needs field value pairs");
  EXPECT_EQ(c->Command({"GREG", "k", "META"}).ToString(),
            "(error) ERR META needs field value pairs");
  EXPECT_EQ(c->Command({"GREG", "k", "BOGUS"}).ToString(), "(error) ERR syntax error");
  EXPECT_EQ(c->Command({"GREG", "k", "CLUSTER", "nope"}).ToString(),
            "(error) NOCLUSTER this node is not connected to cluster 'nope'");
  EXPECT_EQ(c->Command({"GREG"}).ToString(),
            "(error) ERR wrong number of arguments for 'greg' command");
  EXPECT_EQ(c->Command({"GREG", ""}).ToString(), "(error) ERR key must not be empty");
  EXPECT_EQ(c->Command({"GREG", "users/"}).ToString(),
            "(error) ERR a key ending in '/' is a prefix and cannot be registered or joined");
  EXPECT_EQ(c->Command({"GREGCOUNT"}).ToString(), "(integer) 0") << "nothing was registered";
}

TEST_F(CommandsTest, GregcountCountsViewAndGlocalregcountCountsLocalOwners) {
  auto a = Connect();
  auto b = Connect();
  EXPECT_EQ(a->Command({"GREGCOUNT"}).ToString(), "(integer) 0");
  ASSERT_EQ(a->Command({"GREG", "k1"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GREG", "k2"}).ToString(), "+OK");
  ASSERT_EQ(b->Command({"GREG", "k3"}).ToString(), "+OK");
  ASSERT_EQ(b->Command({"GJOIN", "g"}).ToString(), "+OK") << "memberships are not counted";
  EXPECT_EQ(a->Command({"GREGCOUNT"}).ToString(), "(integer) 3");
  EXPECT_EQ(a->Command({"GLOCALREGCOUNT"}).ToString(), "(integer) 3");
  ASSERT_EQ(a->Command({"GCONNECT", "c"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GREG", "k1", "CLUSTER", "c"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GREGCOUNT", "CLUSTER", "c"}).ToString(), "(integer) 1");
  EXPECT_EQ(a->Command({"GLOCALREGCOUNT", "CLUSTER", "c"}).ToString(), "(integer) 1");
  EXPECT_EQ(a->Command({"GREGCOUNT", "CLUSTER", "nope"}).ToString(),
            "(error) NOCLUSTER this node is not connected to cluster 'nope'");
}

// --- Process groups -----------------------------------------------------------------------------

TEST_F(CommandsTest, GjoinAddsMembersThatGmembersListsInPidOrder) {
  auto a = Connect();
  auto b = Connect();
  const std::string pa = Pid(*a), pb = Pid(*b);
  EXPECT_EQ(a->Command({"GJOIN", "room", "META", "role", "admin"}).ToString(), "+OK");
  EXPECT_EQ(b->Command({"GJOIN", "room"}).ToString(), "+OK");
  const std::string ea = "[" + Q(pa) + ", [\"role\", \"admin\"]]";
  const std::string eb = "[" + Q(pb) + ", []]";
  EXPECT_EQ(a->Command({"GMEMBERS", "room"}).ToString(),
            "[" + (pa < pb ? ea + ", " + eb : eb + ", " + ea) + "]");
  EXPECT_EQ(a->Command({"GMEMBERS", "room", "FIELDS", "role"}).ToString(),
            "[" + (pa < pb ? ea + ", " + eb : eb + ", " + ea) + "]");
  EXPECT_EQ(a->Command({"GMEMBERS", "empty"}).ToString(), "[]");
}

TEST_F(CommandsTest, GjoinAgainReplacesMetaInPlace) {
  auto a = Connect();
  ASSERT_EQ(a->Command({"GJOIN", "g", "META", "v", "1"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GJOIN", "g", "META", "v", "2"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GMEMBERS", "g"}).ToString(), "[[" + Q(Pid(*a)) + ", [\"v\", \"2\"]]]");
  EXPECT_EQ(a->Command({"GCOUNT", "g"}).ToString(), "(integer) 1");
}

TEST_F(CommandsTest, GleaveRemovesMemberAndRejectsNonMembers) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_EQ(a->Command({"GJOIN", "g"}).ToString(), "+OK");
  ASSERT_EQ(b->Command({"GJOIN", "g"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GLEAVE", "g"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GMEMBERS", "g"}).ToString(), "[[" + Q(Pid(*b)) + ", []]]");
  EXPECT_EQ(a->Command({"GLEAVE", "g"}).ToString(), "(error) NOTINGROUP not a member of group 'g'");
  EXPECT_EQ(a->Command({"GLEAVE", "other"}).ToString(),
            "(error) NOTINGROUP not a member of group 'other'");
}

TEST_F(CommandsTest, GmembersPrefixQueryCoversEveryGroupStartingWithItOrderedByGroup) {
  auto a = Connect();
  auto b = Connect();
  const std::string pa = Pid(*a), pb = Pid(*b);
  ASSERT_EQ(b->Command({"GJOIN", "room/2", "META", "n", "2"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GJOIN", "room/1", "META", "n", "1"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GJOIN", "room/a/b"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GJOIN", "roomx"}).ToString(), "+OK") << "not under the prefix";
  ASSERT_EQ(a->Command({"GREG", "room/3"}).ToString(), "+OK") << "registrations are not members";
  EXPECT_EQ(
      a->Command({"GMEMBERS", "room/"}).ToString(),
      "[[" + Q(pa) + ", [\"n\", \"1\"]], [" + Q(pb) + ", [\"n\", \"2\"]], [" + Q(pa) + ", []]]");
  EXPECT_EQ(a->Command({"GMEMBERS", "room/", "WITHKEYS"}).ToString(),
            "[[\"room/1\", " + Q(pa) + ", [\"n\", \"1\"]], [\"room/2\", " + Q(pb) +
                ", [\"n\", \"2\"]], [\"room/a/b\", " + Q(pa) + ", []]]");
  EXPECT_EQ(a->Command({"GMEMBERS", "room/1", "WITHKEYS"}).ToString(),
            "[[\"room/1\", " + Q(pa) + ", [\"n\", \"1\"]]]");
  EXPECT_EQ(a->Command({"GMEMBERS", "room/3"}).ToString(), "[]");
}

TEST_F(CommandsTest, GcountCountsViewAndGlocalcountCountsLocalOwnersForExactAndPrefix) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_EQ(a->Command({"GJOIN", "g/1"}).ToString(), "+OK");
  ASSERT_EQ(b->Command({"GJOIN", "g/1"}).ToString(), "+OK");
  ASSERT_EQ(b->Command({"GJOIN", "g/2"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GCOUNT", "g/1"}).ToString(), "(integer) 2");
  EXPECT_EQ(a->Command({"GCOUNT", "g/"}).ToString(), "(integer) 3");
  EXPECT_EQ(a->Command({"GCOUNT", "none"}).ToString(), "(integer) 0");
  EXPECT_EQ(a->Command({"GLOCALCOUNT", "g/1"}).ToString(), "(integer) 2");
  EXPECT_EQ(a->Command({"GLOCALCOUNT", "g/"}).ToString(), "(integer) 3");
  EXPECT_EQ(a->Command({"GCOUNT"}).ToString(),
            "(error) ERR wrong number of arguments for 'gcount' command");
}

TEST_F(CommandsTest, GlocalentriesListsEveryLocallyOwnedEntryWithKindAndCluster) {
  auto a = Connect();
  const std::string pa = Pid(*a);
  EXPECT_EQ(a->Command({"GLOCALENTRIES"}).ToString(), "[]");
  ASSERT_EQ(a->Command({"GREG", "k", "META", "f", "v"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GJOIN", "g"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GCONNECT", "c"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GJOIN", "g2", "CLUSTER", "c"}).ToString(), "+OK");
  RespValue v = a->Command({"GLOCALENTRIES"});
  ASSERT_EQ(v.type, RespValue::kArray) << v;
  std::set<std::string> entries;
  for (const auto& e : v.elems) entries.insert(e.ToString());
  EXPECT_EQ(entries, (std::set<std::string>{
                         "[\"registry\", (nil), \"k\", " + Q(pa) + ", [\"f\", \"v\"]]",
                         "[\"pg\", (nil), \"g\", " + Q(pa) + ", []]",
                         "[\"pg\", \"c\", \"g2\", " + Q(pa) + ", []]",
                     }));
}

// --- Named clusters -----------------------------------------------------------------------------

TEST_F(CommandsTest, GconnectGconnectedAndGdisconnectManageNamedClusters) {
  auto a = Connect();
  EXPECT_EQ(a->Command({"GCONNECTED", "c"}).ToString(), "(integer) 0");
  EXPECT_EQ(a->Command({"GCONNECT", "c"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GCONNECT", "c"}).ToString(), "+OK") << "repeating does nothing";
  EXPECT_EQ(a->Command({"GCONNECTED", "c"}).ToString(), "(integer) 1");
  ASSERT_EQ(a->Command({"GREG", "k", "CLUSTER", "c"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GLOOKUP", "k"}).ToString(), "(nil)") << "clusters are separate";
  EXPECT_EQ(a->Command({"GDISCONNECT", "c", "never"}).ToString(), "(integer) 1");
  EXPECT_EQ(a->Command({"GCONNECTED", "c"}).ToString(), "(integer) 0");
  EXPECT_EQ(a->Command({"GLOOKUP", "k", "CLUSTER", "c"}).ToString(),
            "(error) NOCLUSTER this node is not connected to cluster 'c'");
  EXPECT_EQ(a->Command({"GCONNECT", "c"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GLOOKUP", "k", "CLUSTER", "c"}).ToString(), "(nil)")
      << "GDISCONNECT removed this node's entries";
  EXPECT_EQ(a->Command({"GDISCONNECT", "c"}).ToString(), "(integer) 1");
}

TEST_F(CommandsTest, GconnectRejectsBadNamesAndTtl) {
  auto a = Connect();
  EXPECT_EQ(a->Command({"GCONNECT", ""}).ToString(), "(error) ERR invalid cluster name");
  EXPECT_EQ(a->Command({"GCONNECT", "c", "TTL", "abc"}).ToString(),
            "(error) ERR value is not an integer or out of range");
  EXPECT_EQ(a->Command({"GCONNECTED", "c"}).ToString(), "(integer) 0");
  EXPECT_EQ(a->Command({"GCONNECT", "c", "TTL", "60000"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GCONNECTED", "c"}).ToString(), "(integer) 1");
}

TEST_F(CommandsTest, GconnectTtlLeaseExpiresOnlyWhileTheClusterIsUnused) {
  auto a = Connect();
  ASSERT_EQ(a->Command({"GCONNECT", "idle", "TTL", "100"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GCONNECT", "busy", "TTL", "100"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GREG", "k", "CLUSTER", "busy"}).ToString(), "+OK");
  EXPECT_TRUE(WaitFor([&] { return a->Command({"GCONNECTED", "idle"}).integer == 0; }, 3s));
  // Both leases are past their deadline now; the registration keeps "busy" connected.
  EXPECT_EQ(a->Command({"GCONNECTED", "busy"}).ToString(), "(integer) 1");
  ASSERT_EQ(a->Command({"GUNREG", "k", "CLUSTER", "busy"}).ToString(), "+OK");
  EXPECT_TRUE(WaitFor([&] { return a->Command({"GCONNECTED", "busy"}).integer == 0; }, 3s));
  EXPECT_EQ(InfoField(a->Command({"INFO"}).str, "clusters_expired"), "2");
}

TEST_F(CommandsTest, ExtractMetaSetsTheDefaultFieldsAndFieldsOverridesIt) {
  auto a = Connect();
  const std::string pid = Pid(*a);
  ASSERT_EQ(a->Command({"GREG", "k", "META", "role", "r", "zone", "z", "x", "1"}).ToString(),
            "+OK");
  ASSERT_EQ(a->Command({"GJOIN", "g", "META", "role", "r", "zone", "z"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"CONFIG", "SET", "extract-meta", "role,x"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GLOOKUP", "k"}).ToString(),
            "[" + Q(pid) + ", [\"role\", \"r\", \"x\", \"1\"]]");
  EXPECT_EQ(a->Command({"GLOOKUP", "k", "FIELDS", "zone"}).ToString(),
            "[" + Q(pid) + ", [\"zone\", \"z\"]]");
  EXPECT_EQ(a->Command({"GMEMBERS", "g"}).ToString(), "[[" + Q(pid) + ", [\"role\", \"r\"]]]");
  ASSERT_EQ(a->Command({"CONFIG", "SET", "extract-meta", ""}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GLOOKUP", "k"}).ToString(),
            "[" + Q(pid) + ", [\"role\", \"r\", \"zone\", \"z\", \"x\", \"1\"]]");
}

TEST_F(CommandsTest, MetaAndKeyLimitsRejectOversizedEntries) {
  auto a = Connect();
  ASSERT_EQ(a->Command({"CONFIG", "SET", "max-meta-fields", "1"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GREG", "k", "META", "a", "1", "b", "2"}).ToString(),
            "(error) ERR meta has more fields than max-meta-fields");
  EXPECT_EQ(a->Command({"GJOIN", "g", "META", "a", "1", "b", "2"}).ToString(),
            "(error) ERR meta has more fields than max-meta-fields");
  ASSERT_EQ(a->Command({"CONFIG", "SET", "max-meta-bytes", "10"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GREG", "k", "META", "a", std::string(10, 'v')}).ToString(),
            "(error) ERR meta is larger than max-meta-bytes");
  EXPECT_EQ(a->Command({"GREG", "k", "META", "a", "123456789"}).ToString(), "+OK")
      << "exactly max-meta-bytes of field and value";
  EXPECT_EQ(a->Command({"GREG", std::string(4097, 'k')}).ToString(),
            "(error) ERR key is longer than max-key-len");
  EXPECT_EQ(a->Command({"DBSIZE"}).ToString(), "(integer) 1");
}

TEST_F(CommandsTest, GnodesIsEmptyAndGclusternodesListsOnlyTheLocalNodeOnASingleNode) {
  auto a = Connect();
  const std::string node = NodeName(*a);
  EXPECT_EQ(a->Command({"GNODES"}).ToString(), "[]");
  EXPECT_EQ(a->Command({"GCLUSTERNODES", "c"}).ToString(), "[]") << "not connected yet";
  ASSERT_EQ(a->Command({"GCONNECT", "c"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GCLUSTERNODES", "c"}).ToString(), "[" + Q(node) + "]");
}

// --- Monitors and dispatch ----------------------------------------------------------------------

TEST_F(CommandsTest, GmonitorConfirmsLikeSubscribeAndDeliversEventJson) {
  auto mon = Connect();
  auto owner = Connect();
  const std::string pid = Pid(*owner);
  const std::string node = NodeName(*owner);
  EXPECT_EQ(mon->Command({"GMONITOR", "users/", "room"}).ToString(),
            "[\"subscribe\", \"__gevent__:users/\", (integer) 1]");
  auto second = mon->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->ToString(), "[\"subscribe\", \"__gevent__:room\", (integer) 2]");

  ASSERT_EQ(owner->Command({"GREG", "users/1", "META", "role", "admin"}).ToString(), "+OK");
  auto ev = mon->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->elems.size(), 3u) << *ev;
  EXPECT_EQ(ev->elems[0].str, "message");
  EXPECT_EQ(ev->elems[1].str, "__gevent__:users/");
  EXPECT_EQ(ev->elems[2].str,
            "{\"type\":\"registered\",\"cluster\":null,\"key\":\"users/1\","
            "\"pid\":\"" +
                pid + "\",\"node\":\"" + node +
                "\",\"meta\":{\"role\":\"admin\"},\"previous_meta\":null,"
                "\"reason\":null,\"seq\":1}");

  ASSERT_EQ(owner->Command({"GJOIN", "room", "META", "a", "1"}).ToString(), "+OK");
  ASSERT_EQ(owner->Command({"GJOIN", "room", "META", "a", "2"}).ToString(), "+OK");
  ASSERT_EQ(owner->Command({"GLEAVE", "room"}).ToString(), "+OK");
  ev = mon->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->elems[2].str, "{\"type\":\"joined\",\"cluster\":null,\"key\":\"room\",\"pid\":\"" +
                                  pid + "\",\"node\":\"" + node +
                                  "\",\"meta\":{\"a\":\"1\"},\"previous_meta\":null,"
                                  "\"reason\":null,\"seq\":2}");
  ev = mon->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->elems[2].str, "{\"type\":\"joined\",\"cluster\":null,\"key\":\"room\",\"pid\":\"" +
                                  pid + "\",\"node\":\"" + node +
                                  "\",\"meta\":{\"a\":\"2\"},\"previous_meta\":{\"a\":\"1\"},"
                                  "\"reason\":null,\"seq\":3}");
  ev = mon->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(ev);
  EXPECT_EQ(ev->elems[2].str, "{\"type\":\"left\",\"cluster\":null,\"key\":\"room\",\"pid\":\"" +
                                  pid + "\",\"node\":\"" + node +
                                  "\",\"meta\":{\"a\":\"2\"},\"previous_meta\":null,"
                                  "\"reason\":\"leave\",\"seq\":4}");

  EXPECT_EQ(mon->Command({"GDEMONITOR", "users/"}).ToString(),
            "[\"unsubscribe\", \"__gevent__:users/\", (integer) 1]");
  EXPECT_EQ(mon->Command({"GDEMONITOR"}).ToString(),
            "[\"unsubscribe\", \"__gevent__:room\", (integer) 0]");
  EXPECT_EQ(mon->Command({"PING"}).ToString(), "+PONG") << "back out of subscribed mode";
}

TEST_F(CommandsTest, SubscribedResp2ConnectionRefusesOtherCommandsLikeRedis) {
  auto mon = Connect();
  auto other = Connect();
  ASSERT_EQ(mon->Command({"GMONITOR", "k"}).ToString(),
            "[\"subscribe\", \"__gevent__:k\", (integer) 1]");
  EXPECT_EQ(mon->Command({"GREG", "k"}).ToString(),
            "(error) ERR Can't execute 'greg': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
            "QUIT / RESET are allowed in this context");
  EXPECT_EQ(mon->Command({"PING"}).ToString(), "[\"pong\", \"\"]");
  EXPECT_TRUE(other->Command({"GLOOKUP", "k"}).IsNull()) << "the refused GREG did nothing";
  EXPECT_EQ(mon->Command({"RESET"}).ToString(), "+RESET");
  EXPECT_EQ(mon->Command({"GREG", "k"}).ToString(), "+OK") << "RESET left subscribed mode";
}

TEST_F(CommandsTest, GmonitorOfNamedClusterUsesItsChannelAndNeedsConnection) {
  auto mon = Connect();
  auto owner = Connect();
  EXPECT_EQ(mon->Command({"GMONITOR", "*", "CLUSTER", "c"}).ToString(),
            "(error) NOCLUSTER this node is not connected to cluster 'c'");
  ASSERT_EQ(owner->Command({"GCONNECT", "c"}).ToString(), "+OK");
  EXPECT_EQ(mon->Command({"GMONITOR", "*", "CLUSTER", "c"}).ToString(),
            "[\"subscribe\", \"__gevent__@c:*\", (integer) 1]");
  ASSERT_EQ(owner->Command({"GREG", "k", "CLUSTER", "c"}).ToString(), "+OK");
  auto ev = mon->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(ev);
  ASSERT_EQ(ev->elems.size(), 3u) << *ev;
  EXPECT_EQ(ev->elems[1].str, "__gevent__@c:*");
  EXPECT_THAT(ev->elems[2].str,
              StartsWith("{\"type\":\"registered\",\"cluster\":\"c\",\"key\":\"k\""));
}

TEST_F(CommandsTest, GdispatchReachesMembersRegistrantInboxesAndSubscribersOnce) {
  // A RESP2 member that is also subscribed takes frames on its own connection.
  auto member = Connect();
  // A RESP2 member that is not subscribed takes its deliveries on its inbox connection.
  auto plain = Connect();
  auto inbox = Connect();
  // A RESP2 member with no inbox cannot take the frame anywhere and is skipped.
  auto skipped = Connect();
  auto listener = Connect();
  auto sender = Connect();

  ASSERT_EQ(plain->Command({"GJOIN", "g"}).ToString(), "+OK");
  ASSERT_EQ(skipped->Command({"GJOIN", "g"}).ToString(), "+OK");
  ASSERT_EQ(member->Command({"GJOIN", "g"}).ToString(), "+OK");
  ASSERT_EQ(member->Command({"SUBSCRIBE", "unrelated"}).ToString(),
            "[\"subscribe\", \"unrelated\", (integer) 1]");
  const std::string inbox_channel = "__ginbox__:" + Pid(*plain);
  ASSERT_EQ(inbox->Command({"SUBSCRIBE", inbox_channel}).ToString(),
            "[\"subscribe\", " + Q(inbox_channel) + ", (integer) 1]");
  ASSERT_EQ(listener->Command({"SUBSCRIBE", "__gdispatch__:g"}).ToString(),
            "[\"subscribe\", \"__gdispatch__:g\", (integer) 1]");

  EXPECT_EQ(sender->Command({"GDISPATCH", "g", "hello"}).ToString(), "(integer) 3");
  auto m = member->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->ToString(), "[\"message\", \"__gdispatch__:g\", \"hello\"]");
  m = inbox->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->ToString(), "[\"message\", " + Q(inbox_channel) + ", \"hello\"]");
  m = listener->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->ToString(), "[\"message\", \"__gdispatch__:g\", \"hello\"]");

  EXPECT_EQ(sender->Command({"GLOCALDISPATCH", "g", "again"}).ToString(), "(integer) 3");
  m = member->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->ToString(), "[\"message\", \"__gdispatch__:g\", \"again\"]");

  EXPECT_EQ(sender->Command({"GDISPATCH", "nobody", "x"}).ToString(), "(integer) 0");

  // Both dispatches to g skipped the member that has neither frames nor an inbox.
  RespValue info = sender->Command({"INFO"});
  EXPECT_EQ(InfoField(info.str, "dispatch_skipped"), "2") << info.str;
}

TEST_F(CommandsTest, GdispatchReachesTheRegistrantOfTheGroupKey) {
  auto owner = Connect();
  auto sender = Connect();
  ASSERT_EQ(owner->Command({"GREG", "svc"}).ToString(), "+OK");
  ASSERT_EQ(owner->Command({"SUBSCRIBE", "x"}).ToString(), "[\"subscribe\", \"x\", (integer) 1]");
  EXPECT_EQ(sender->Command({"GDISPATCH", "svc", "ping"}).ToString(), "(integer) 1");
  auto m = owner->GetReply(std::chrono::seconds(5));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->ToString(), "[\"message\", \"__gdispatch__:svc\", \"ping\"]");
}

// --- Admin --------------------------------------------------------------------------------------

TEST_F(CommandsTest, GloglevelChangesLoglevelLikeConfigSet) {
  auto a = Connect();
  EXPECT_EQ(a->Command({"CONFIG", "GET", "loglevel"}).ToString(), "[\"loglevel\", \"verbose\"]");
  EXPECT_EQ(a->Command({"GLOGLEVEL", "info"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"CONFIG", "GET", "loglevel"}).ToString(), "[\"loglevel\", \"info\"]");
  EXPECT_EQ(a->Command({"GLOGLEVEL", "off"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"CONFIG", "GET", "loglevel"}).ToString(), "[\"loglevel\", \"off\"]");
  EXPECT_EQ(a->Command({"GLOGLEVEL", "loud"}).ToString(),
            "(error) ERR log level must be info, verbose or off");
  EXPECT_EQ(a->Command({"GLOGLEVEL", "verbose"}).ToString(), "+OK");
}

TEST_F(CommandsTest, PingEchoAndSelectAnswerAsRedis) {
  auto a = Connect();
  EXPECT_EQ(a->Command({"PING"}).ToString(), "+PONG");
  EXPECT_EQ(a->Command({"PING", "hi there"}).ToString(), "\"hi there\"");
  EXPECT_EQ(a->Command({"ECHO", std::string("bin\0ary\r\n", 9)}).ToString(),
            "\"bin\\x00ary\\r\\n\"");
  EXPECT_EQ(a->Command({"SELECT", "0"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"SELECT", "1"}).ToString(), "(error) ERR DB index is out of range");
  EXPECT_EQ(a->Command({"ECHO"}).ToString(),
            "(error) ERR wrong number of arguments for 'echo' command");
  EXPECT_EQ(a->Command({"NOSUCHCMD", "a", "b"}).ToString(),
            "(error) ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' ");
}

TEST_F(CommandsTest, ClientSetnameGetnameIdAndList) {
  auto a = Connect();
  auto b = Connect();
  EXPECT_EQ(a->Command({"CLIENT", "GETNAME"}).ToString(), "(nil)");
  EXPECT_EQ(a->Command({"CLIENT", "SETNAME", "worker-1"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"CLIENT", "GETNAME"}).ToString(), "\"worker-1\"");
  EXPECT_EQ(a->Command({"CLIENT", "SETNAME", "has space"}).ToString(),
            "(error) ERR Client names cannot contain spaces, newlines or special characters.");
  RespValue ida = a->Command({"CLIENT", "ID"});
  RespValue idb = b->Command({"CLIENT", "ID"});
  ASSERT_EQ(ida.type, RespValue::kInteger);
  ASSERT_EQ(idb.type, RespValue::kInteger);
  EXPECT_NE(ida.integer, idb.integer);
  // The pid starts with the connection id.
  EXPECT_THAT(Pid(*a), StartsWith(std::to_string(ida.integer) + "."));
  RespValue list = b->Command({"CLIENT", "LIST"});
  ASSERT_EQ(list.type, RespValue::kBulk) << list;
  EXPECT_THAT(list.str, HasSubstr("id=" + std::to_string(ida.integer) + " "));
  EXPECT_THAT(list.str, HasSubstr(" name=worker-1 "));
  EXPECT_THAT(list.str, HasSubstr("id=" + std::to_string(idb.integer) + " "));
}

TEST_F(CommandsTest, ClientKillIdClosesTheOtherConnectionAndCountsIt) {
  auto a = Connect();
  auto b = Connect();
  RespValue idb = b->Command({"CLIENT", "ID"});
  ASSERT_EQ(idb.type, RespValue::kInteger);
  EXPECT_EQ(a->Command({"CLIENT", "KILL", "ID", std::to_string(idb.integer)}).ToString(),
            "(integer) 1");
  RespValue after = b->Command({"PING"});
  EXPECT_EQ(after.type, RespValue::kError) << after;
  EXPECT_THAT(after.str, StartsWith("(hiredis)")) << "the connection is gone, not an error reply";
  EXPECT_EQ(a->Command({"CLIENT", "KILL", "ID", "999999"}).ToString(), "(integer) 0");
  EXPECT_EQ(a->Command({"CLIENT", "KILL", "10.0.0.1:1"}).ToString(), "(error) ERR No such client");
  EXPECT_EQ(a->Command({"PING"}).ToString(), "+PONG");
}

TEST_F(CommandsTest, InfoHasRedisSectionsGroupSectionAndJemalloc) {
  auto a = Connect();
  ASSERT_EQ(a->Command({"GREG", "k"}).ToString(), "+OK");
  RespValue info = a->Command({"INFO"});
  ASSERT_EQ(info.type, RespValue::kBulk) << info;
  EXPECT_THAT(info.str, HasSubstr("# Server\r\n"));
  EXPECT_THAT(info.str, HasSubstr("# Clients\r\n"));
  EXPECT_THAT(info.str, HasSubstr("# Memory\r\n"));
  EXPECT_THAT(info.str, HasSubstr("# Stats\r\n"));
  EXPECT_THAT(info.str, HasSubstr("# Group\r\n"));
  EXPECT_EQ(InfoField(info.str, "loading"), "0");
  auto allocator = InfoField(info.str, "mem_allocator");
  ASSERT_TRUE(allocator) << info.str;
  // Sanitizer builds turn jemalloc off (GROUPD_JEMALLOC is set only when it is linked).
#ifdef GROUPD_JEMALLOC
  EXPECT_THAT(*allocator, StartsWith("jemalloc-"));
  // The binary's compiled-in malloc_conf backs the heap with huge pages (server/main.cc).
  EXPECT_EQ(InfoField(info.str, "mem_allocator_thp"), "always");
#else
  EXPECT_EQ(*allocator, "libc");
  EXPECT_EQ(InfoField(info.str, "mem_allocator_thp"), "n/a");
#endif
  EXPECT_EQ(InfoField(info.str, "tcp_port"), std::to_string(server_.port()));
  EXPECT_TRUE(WaitFor([&] {
    return InfoField(a->Command({"INFO", "clients"}).str, "connected_clients") == "1";
  })) << "only this connection is open";

  RespValue group = a->Command({"INFO", "group"});
  ASSERT_EQ(group.type, RespValue::kBulk) << group;
  EXPECT_THAT(group.str, StartsWith("# Group\r\n"));
  EXPECT_THAT(group.str, ::testing::Not(HasSubstr("# Server")));
  RespValue server = a->Command({"INFO", "server"});
  EXPECT_THAT(server.str, StartsWith("# Server\r\n"));
  EXPECT_THAT(server.str, ::testing::Not(HasSubstr("# Group")));
}

TEST_F(CommandsTest, ConfigGetAndSetFollowRedis) {
  auto a = Connect();
  EXPECT_EQ(a->Command({"CONFIG", "GET", "maxclients"}).ToString(), "[\"maxclients\", \"10000\"]");
  EXPECT_EQ(a->Command({"CONFIG", "SET", "maxclients", "50"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"CONFIG", "GET", "maxclients"}).ToString(), "[\"maxclients\", \"50\"]");
  EXPECT_EQ(a->Command({"CONFIG", "SET", "nosuch", "1"}).ToString(),
            "(error) ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(a->Command({"CONFIG", "SET", "maxclients", "abc"}).ToString(),
            "(error) ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument "
            "couldn't be parsed into an integer");
  EXPECT_EQ(a->Command({"CONFIG", "GET", "nosuch"}).ToString(), "[]");
  EXPECT_EQ(a->Command({"CONFIG", "GET", "max-key-len"}).ToString(), "[\"max-key-len\", \"4096\"]");
  EXPECT_EQ(a->Command({"CONFIG", "SET", "max-key-len", "3"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"GREG", "abcd"}).ToString(), "(error) ERR key is longer than max-key-len");
}

TEST_F(CommandsTest, TimeReturnsSecondsAndMicroseconds) {
  auto a = Connect();
  RespValue t = a->Command({"TIME"});
  ASSERT_EQ(t.type, RespValue::kArray) << t;
  ASSERT_EQ(t.elems.size(), 2u);
  ASSERT_EQ(t.elems[0].type, RespValue::kBulk);
  ASSERT_EQ(t.elems[1].type, RespValue::kBulk);
  long long secs = std::stoll(t.elems[0].str);
  long long usecs = std::stoll(t.elems[1].str);
  EXPECT_LE(std::llabs(secs - static_cast<long long>(std::time(nullptr))), 5);
  EXPECT_GE(usecs, 0);
  EXPECT_LT(usecs, 1000000);
}

TEST_F(CommandsTest, DbsizeCountsRegistrationsPlusMemberships) {
  auto a = Connect();
  auto b = Connect();
  EXPECT_EQ(a->Command({"DBSIZE"}).ToString(), "(integer) 0");
  ASSERT_EQ(a->Command({"GREG", "k"}).ToString(), "+OK");
  ASSERT_EQ(a->Command({"GJOIN", "g"}).ToString(), "+OK");
  ASSERT_EQ(b->Command({"GJOIN", "g"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"DBSIZE"}).ToString(), "(integer) 3");
}

TEST_F(CommandsTest, CommandCountMatchesTheCommandTable) {
  auto a = Connect();
  RespValue count = a->Command({"COMMAND", "COUNT"});
  ASSERT_EQ(count.type, RespValue::kInteger) << count;
  RespValue all = a->Command({"COMMAND"});
  ASSERT_EQ(all.type, RespValue::kArray);
  EXPECT_EQ(static_cast<size_t>(count.integer), all.elems.size());
  // Every G-command of COMMANDS.md is in the table.
  RespValue list = a->Command({"COMMAND", "LIST"});
  std::set<std::string> names;
  for (const auto& n : list.elems) names.insert(n.str);
  for (const char* name :
       {"gpid",           "greg",          "gunreg",      "glookup",    "gregcount",
        "glocalregcount", "gjoin",         "gleave",      "gmembers",   "gcount",
        "glocalcount",    "glocalentries", "gmonitor",    "gdemonitor", "gdispatch",
        "glocaldispatch", "gconnect",      "gdisconnect", "gconnected", "gnodes",
        "gclusternodes",  "gloglevel"}) {
    EXPECT_EQ(names.count(name), 1u) << name;
  }
}

TEST_F(CommandsTest, QuitRepliesOkAndClosesTheConnection) {
  auto a = Connect();
  auto b = Connect();
  ASSERT_EQ(a->Command({"GREG", "k"}).ToString(), "+OK");
  EXPECT_EQ(a->Command({"QUIT"}).ToString(), "+OK");
  RespValue after = a->Command({"PING"});
  EXPECT_THAT(after.str, StartsWith("(hiredis)")) << after;
  EXPECT_TRUE(WaitFor([&] {
    return b->Command({"GLOOKUP", "k"}).IsNull();
  })) << "QUIT releases the registration";
}

}  // namespace
}  // namespace groupd::testing
