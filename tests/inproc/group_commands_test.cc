// In-process tests of the process-group family: GJOIN, GLEAVE, GMEMBERS, GCOUNT, GLOCALCOUNT
// (docs/COMMANDS.md, "Process groups").
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
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
using testing::Arr;
using testing::MetaReply;

const RespValue kOk = Simple("OK");

testjson::Json EventOf(const RespValue& frame) {
  EXPECT_EQ(frame.elems.size(), 3u) << frame;
  if (frame.elems.size() != 3) return {};
  auto doc = testjson::Parse(frame.elems[2].str);
  EXPECT_TRUE(doc.has_value()) << frame.elems[2].str;
  return doc.value_or(testjson::Json{});
}

class GroupCommandsTest : public ::testing::Test {
 protected:
  Server& server() { return srv_.server(); }
  RespValue Run(Client& c, std::initializer_list<std::string_view> args) {
    return srv_.Run(c, args);
  }
  // n new clients, ordered by pid (the order GMEMBERS lists members in).
  std::vector<Client*> ClientsByPid(int n) {
    std::vector<Client*> out;
    for (int i = 0; i < n; i++) out.push_back(&srv_.NewClient());
    std::sort(out.begin(), out.end(),
              [](Client* a, Client* b) { return a->owner.pid < b->owner.pid; });
    return out;
  }
  // A remote node's membership, as replication would apply it.
  void JoinRemote(std::string_view group, std::string pid) {
    NodeId node = server().AddNode("remote:1");
    Shard& shard = server().default_cluster().ShardFor(group);
    ASSERT_TRUE(Join(shard, group, Pid(pid), Member{.node = node}).created);
  }

  InProcServer srv_;
};

// --- GJOIN / GMEMBERS -----------------------------------------------------------------------

TEST_F(GroupCommandsTest, GjoinReturnsOkAndGmembersListsPidAndMeta) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "room/1", "META", "role", "admin"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "room/1"}),
            Arr({Arr({Bulk(a.owner.pid), MetaReply(2, {{"role", "admin"}})})}));
}

TEST_F(GroupCommandsTest, GmembersWritesMetaAsMapInResp3) {
  Client& a = srv_.NewClient();
  a.writer.set_proto(3);
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "f", "v"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "g"}), Arr({Arr({Bulk(a.owner.pid), MetaReply(3, {{"f", "v"}})})}));
}

TEST_F(GroupCommandsTest, GmembersOfUnknownGroupIsEmptyArray) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GMEMBERS", "nobody"}), Arr({}));
  EXPECT_EQ(Run(a, {"GMEMBERS", "nobody/"}), Arr({}));
}

TEST_F(GroupCommandsTest, GmembersListsMembersOrderedByPid) {
  auto cs = ClientsByPid(3);
  // Join in reverse order so that insertion order differs from pid order.
  EXPECT_EQ(Run(*cs[2], {"GJOIN", "g", "META", "n", "2"}), kOk);
  EXPECT_EQ(Run(*cs[0], {"GJOIN", "g", "META", "n", "0"}), kOk);
  EXPECT_EQ(Run(*cs[1], {"GJOIN", "g", "META", "n", "1"}), kOk);
  EXPECT_EQ(Run(*cs[0], {"GMEMBERS", "g"}),
            Arr({Arr({Bulk(cs[0]->owner.pid), MetaReply(2, {{"n", "0"}})}),
                 Arr({Bulk(cs[1]->owner.pid), MetaReply(2, {{"n", "1"}})}),
                 Arr({Bulk(cs[2]->owner.pid), MetaReply(2, {{"n", "2"}})})}));
}

TEST_F(GroupCommandsTest, OneProcessMayJoinManyGroups) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "g1"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "g2"}), kOk);
  EXPECT_EQ(Run(a, {"GCOUNT", "g1"}), Int(1));
  EXPECT_EQ(Run(a, {"GCOUNT", "g2"}), Int(1));
}

TEST_F(GroupCommandsTest, GjoinAgainReplacesMetaInPlaceAndEmitsJoinedWithPreviousMeta) {
  Client& a = srv_.NewClient();
  Client& mon = srv_.NewClient();
  ASSERT_EQ(srv_.RunMulti(mon, {"GMONITOR", "g"}).size(), 1u);
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "v", "1"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "v", "2", "w", "3"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "g"}),
            Arr({Arr({Bulk(a.owner.pid), MetaReply(2, {{"v", "2"}, {"w", "3"}})})}));
  EXPECT_EQ(Run(a, {"GCOUNT", "g"}), Int(1));

  auto frames = srv_.Frames(mon);
  ASSERT_EQ(frames.size(), 2u);
  testjson::Json first = EventOf(frames[0]);
  EXPECT_EQ(first.Get("type")->str, "joined");
  EXPECT_TRUE(first.Get("previous_meta")->IsNull());
  testjson::Json second = EventOf(frames[1]);
  EXPECT_EQ(second.Get("type")->str, "joined");
  EXPECT_EQ(second.Get("key")->str, "g");
  EXPECT_EQ(second.Get("pid")->str, a.owner.pid);
  EXPECT_EQ(second.Get("meta")->StringPairs(), (testjson::Pairs{{"v", "2"}, {"w", "3"}}));
  EXPECT_EQ(second.Get("previous_meta")->StringPairs(), (testjson::Pairs{{"v", "1"}}));
  EXPECT_TRUE(second.Get("reason")->IsNull());
}

TEST_F(GroupCommandsTest, RegistrationsAreNotMembers) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "g"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "g"}), Arr({}));
  EXPECT_EQ(Run(a, {"GCOUNT", "g"}), Int(0));
  EXPECT_EQ(Run(a, {"GLEAVE", "g"}), Err("NOTINGROUP not a member of group 'g'"));
}

TEST_F(GroupCommandsTest, GmembersWithkeysPrefixesEachEntryWithItsGroup) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "f", "v"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "g", "WITHKEYS"}),
            Arr({Arr({Bulk("g"), Bulk(a.owner.pid), MetaReply(2, {{"f", "v"}})})}));
}

TEST_F(GroupCommandsTest, GmembersPrefixListsEveryGroupUnderItOrderedByGroupThenPid) {
  auto cs = ClientsByPid(2);
  Client& a = *cs[0];
  Client& b = *cs[1];
  // Neighbours that must not match "rooms/": "rooms", "rooms0", "roomsx/1".
  for (const char* g : {"rooms/b", "rooms/a/1", "rooms", "rooms0", "roomsx/1", "rooms/a"}) {
    EXPECT_EQ(Run(b, {"GJOIN", g}), kOk);
  }
  EXPECT_EQ(Run(a, {"GJOIN", "rooms/b"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "rooms/", "WITHKEYS"}),
            Arr({Arr({Bulk("rooms/a"), Bulk(b.owner.pid), MetaReply(2, {})}),
                 Arr({Bulk("rooms/a/1"), Bulk(b.owner.pid), MetaReply(2, {})}),
                 Arr({Bulk("rooms/b"), Bulk(a.owner.pid), MetaReply(2, {})}),
                 Arr({Bulk("rooms/b"), Bulk(b.owner.pid), MetaReply(2, {})})}));
  // Without WITHKEYS the same entries, same order, without the group.
  EXPECT_EQ(Run(a, {"GMEMBERS", "rooms/"}), Arr({Arr({Bulk(b.owner.pid), MetaReply(2, {})}),
                                                 Arr({Bulk(b.owner.pid), MetaReply(2, {})}),
                                                 Arr({Bulk(a.owner.pid), MetaReply(2, {})}),
                                                 Arr({Bulk(b.owner.pid), MetaReply(2, {})})}));
  EXPECT_EQ(Run(a, {"GMEMBERS", "rooms/a/"}), Arr({Arr({Bulk(b.owner.pid), MetaReply(2, {})})}));
}

TEST_F(GroupCommandsTest, GmembersPrefixSpansShards) {
  Client& a = srv_.NewClient();
  // Enough groups that, with 8 shards, they certainly land in several.
  std::vector<std::string> names;
  for (int i = 0; i < 40; i++) names.push_back("p/" + std::to_string(100 + i));
  for (const auto& n : names) EXPECT_EQ(Run(a, {"GJOIN", n}), kOk);
  RespValue reply = Run(a, {"GMEMBERS", "p/", "WITHKEYS"});
  ASSERT_EQ(reply.elems.size(), names.size());
  for (size_t i = 0; i < names.size(); i++) EXPECT_EQ(reply.elems[i].elems.at(0).str, names[i]);
  EXPECT_EQ(Run(a, {"GCOUNT", "p/"}), Int(40));
}

TEST_F(GroupCommandsTest, GmembersFieldsSelectsMetaFields) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "a", "1", "b", "2"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "g", "FIELDS", "b"}),
            Arr({Arr({Bulk(a.owner.pid), MetaReply(2, {{"b", "2"}})})}));
  EXPECT_EQ(Run(a, {"GMEMBERS", "g", "WITHKEYS", "FIELDS", "b", "a"}),
            Arr({Arr({Bulk("g"), Bulk(a.owner.pid), MetaReply(2, {{"b", "2"}, {"a", "1"}})})}));
}

TEST_F(GroupCommandsTest, GmembersUsesExtractMetaUnlessFieldsIsGiven) {
  Client& a = srv_.NewClient();
  server().config().extract_meta = {"a"};
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "a", "1", "b", "2"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "g"}), Arr({Arr({Bulk(a.owner.pid), MetaReply(2, {{"a", "1"}})})}));
  EXPECT_EQ(Run(a, {"GMEMBERS", "g", "FIELDS", "b"}),
            Arr({Arr({Bulk(a.owner.pid), MetaReply(2, {{"b", "2"}})})}));
}

TEST_F(GroupCommandsTest, GmembersWithkeysAfterFieldsIsAFieldName) {
  // FIELDS takes the rest of the command, so WITHKEYS after it names a field.
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "WITHKEYS", "x"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "g", "FIELDS", "WITHKEYS"}),
            Arr({Arr({Bulk(a.owner.pid), MetaReply(2, {{"WITHKEYS", "x"}})})}));
}

// --- GLEAVE ---------------------------------------------------------------------------------

TEST_F(GroupCommandsTest, GleaveRemovesTheMember) {
  auto cs = ClientsByPid(2);
  EXPECT_EQ(Run(*cs[0], {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(*cs[1], {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(*cs[0], {"GLEAVE", "g"}), kOk);
  EXPECT_EQ(Run(*cs[0], {"GMEMBERS", "g"}), Arr({Arr({Bulk(cs[1]->owner.pid), MetaReply(2, {})})}));
  EXPECT_EQ(Run(*cs[0], {"GCOUNT", "g"}), Int(1));
}

TEST_F(GroupCommandsTest, GleaveByNonMemberReturnsNotInGroup) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GLEAVE", "g"}), Err("NOTINGROUP not a member of group 'g'"));
  EXPECT_EQ(Run(a, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(b, {"GLEAVE", "g"}), Err("NOTINGROUP not a member of group 'g'"));
  EXPECT_EQ(Run(a, {"GLEAVE", "g"}), kOk);
  EXPECT_EQ(Run(a, {"GLEAVE", "g"}), Err("NOTINGROUP not a member of group 'g'"));
}

TEST_F(GroupCommandsTest, GleaveEmitsLeftWithReasonLeaveAndTheMetaItHad) {
  Client& a = srv_.NewClient();
  Client& mon = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "rooms/1", "META", "f", "v"}), kOk);
  ASSERT_EQ(srv_.RunMulti(mon, {"GMONITOR", "rooms/"}).size(), 1u);
  EXPECT_EQ(Run(a, {"GLEAVE", "rooms/1"}), kOk);
  auto frames = srv_.Frames(mon);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].elems.at(1), Bulk("__gevent__:rooms/"));
  testjson::Json e = EventOf(frames[0]);
  EXPECT_EQ(e.Get("type")->str, "left");
  EXPECT_EQ(e.Get("key")->str, "rooms/1");
  EXPECT_EQ(e.Get("meta")->StringPairs(), (testjson::Pairs{{"f", "v"}}));
  EXPECT_EQ(e.Get("reason")->str, "leave");
}

TEST_F(GroupCommandsTest, ClosingTheConnectionLeavesItsGroups) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "g1"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "g2"}), kOk);
  EXPECT_EQ(Run(b, {"GJOIN", "g2"}), kOk);
  srv_.Close(a);
  EXPECT_EQ(Run(b, {"GMEMBERS", "g1"}), Arr({}));
  EXPECT_EQ(Run(b, {"GCOUNT", "g1"}), Int(0));
  EXPECT_EQ(Run(b, {"GMEMBERS", "g2"}), Arr({Arr({Bulk(b.owner.pid), MetaReply(2, {})})}));
  EXPECT_EQ(server().default_cluster().Memberships(), 1u);
  EXPECT_EQ(server().default_cluster().LocalMemberships(), 1u);
}

// --- GCOUNT / GLOCALCOUNT -------------------------------------------------------------------

TEST_F(GroupCommandsTest, GcountCountsExactGroupAndPrefix) {
  auto cs = ClientsByPid(3);
  EXPECT_EQ(Run(*cs[0], {"GJOIN", "a/1"}), kOk);
  EXPECT_EQ(Run(*cs[1], {"GJOIN", "a/1"}), kOk);
  EXPECT_EQ(Run(*cs[2], {"GJOIN", "a/2/x"}), kOk);
  EXPECT_EQ(Run(*cs[2], {"GJOIN", "a0"}), kOk);
  EXPECT_EQ(Run(*cs[2], {"GJOIN", "a"}), kOk);
  EXPECT_EQ(Run(*cs[0], {"GCOUNT", "a/1"}), Int(2));
  EXPECT_EQ(Run(*cs[0], {"GCOUNT", "a/"}), Int(3));
  EXPECT_EQ(Run(*cs[0], {"GCOUNT", "a/2/"}), Int(1));
  EXPECT_EQ(Run(*cs[0], {"GCOUNT", "a"}), Int(1));
  EXPECT_EQ(Run(*cs[0], {"GCOUNT", "b/"}), Int(0));
  EXPECT_EQ(Run(*cs[0], {"GCOUNT", "none"}), Int(0));
}

TEST_F(GroupCommandsTest, GlocalcountCountsOnlyMembersOwnedOnThisNode) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "g/1"}), kOk);
  JoinRemote("g/1", "7.x@remote:1");
  JoinRemote("g/2", "7.x@remote:1");
  EXPECT_EQ(Run(a, {"GCOUNT", "g/1"}), Int(2));
  EXPECT_EQ(Run(a, {"GLOCALCOUNT", "g/1"}), Int(1));
  EXPECT_EQ(Run(a, {"GCOUNT", "g/"}), Int(3));
  EXPECT_EQ(Run(a, {"GLOCALCOUNT", "g/"}), Int(1));
  EXPECT_EQ(Run(a, {"GLOCALCOUNT", "g/2"}), Int(0));
  // GMEMBERS shows the whole view, remote members included.
  EXPECT_EQ(Run(a, {"GMEMBERS", "g/2"}), Arr({Arr({Bulk("7.x@remote:1"), MetaReply(2, {})})}));
}

// --- Argument errors ------------------------------------------------------------------------

TEST_F(GroupCommandsTest, GjoinRejectsInvalidGroupNames) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", ""}), Err("ERR key must not be empty"));
  EXPECT_EQ(Run(a, {"GJOIN", "rooms/"}),
            Err("ERR a key ending in '/' is a prefix and cannot be registered or joined"));
  server().config().max_key_len = 3;
  EXPECT_EQ(Run(a, {"GJOIN", "abc"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "abcd"}), Err("ERR key is longer than max-key-len"));
  EXPECT_EQ(Run(a, {"GCOUNT", "abcd"}), Int(0));
}

TEST_F(GroupCommandsTest, GjoinEnforcesMetaLimits) {
  Client& a = srv_.NewClient();
  server().config().max_meta_fields = 1;
  server().config().max_meta_bytes = 4;
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "ab", "cd"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "g2", "META", "a", "1", "b", "2"}),
            Err("ERR meta has more fields than max-meta-fields"));
  EXPECT_EQ(Run(a, {"GJOIN", "g3", "META", "ab", "cde"}),
            Err("ERR meta is larger than max-meta-bytes"));
  EXPECT_EQ(Run(a, {"GCOUNT", "g2"}), Int(0));
  EXPECT_EQ(Run(a, {"GCOUNT", "g3"}), Int(0));
}

TEST_F(GroupCommandsTest, MalformedOptionsAreSyntaxOrMetaErrors) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "a"}), Err("ERR META needs field value pairs"));
  EXPECT_EQ(Run(a, {"GJOIN", "g", "WITHKEYS"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GLEAVE", "g", "META", "a", "b"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GMEMBERS", "g", "META", "a", "b"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GMEMBERS", "g", "FIELDS"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GCOUNT", "g", "WITHKEYS"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GLOCALCOUNT", "g", "bogus"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GJOIN"}), Err("ERR wrong number of arguments for 'gjoin' command"));
  EXPECT_EQ(Run(a, {"GCOUNT"}), Err("ERR wrong number of arguments for 'gcount' command"));
  EXPECT_EQ(Run(a, {"GCOUNT", "g"}), Int(0));
}

TEST_F(GroupCommandsTest, GroupCommandsOnUnknownClusterReturnNocluster) {
  Client& a = srv_.NewClient();
  const RespValue nocluster = Err("NOCLUSTER this node is not connected to cluster 'x'");
  EXPECT_EQ(Run(a, {"GJOIN", "g", "CLUSTER", "x"}), nocluster);
  EXPECT_EQ(Run(a, {"GLEAVE", "g", "CLUSTER", "x"}), nocluster);
  EXPECT_EQ(Run(a, {"GMEMBERS", "g", "CLUSTER", "x"}), nocluster);
  EXPECT_EQ(Run(a, {"GCOUNT", "g", "CLUSTER", "x"}), nocluster);
  EXPECT_EQ(Run(a, {"GLOCALCOUNT", "g", "CLUSTER", "x"}), nocluster);
}

TEST_F(GroupCommandsTest, GroupsAreIsolatedPerCluster) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  ASSERT_EQ(Run(a, {"GCONNECT", "c"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "g", "CLUSTER", "c", "META", "in", "c"}), kOk);
  EXPECT_EQ(Run(b, {"GJOIN", "g", "META", "in", "default"}), kOk);
  EXPECT_EQ(Run(a, {"GMEMBERS", "g", "CLUSTER", "c"}),
            Arr({Arr({Bulk(a.owner.pid), MetaReply(2, {{"in", "c"}})})}));
  EXPECT_EQ(Run(a, {"GMEMBERS", "g"}),
            Arr({Arr({Bulk(b.owner.pid), MetaReply(2, {{"in", "default"}})})}));
  EXPECT_EQ(Run(a, {"GLEAVE", "g"}), Err("NOTINGROUP not a member of group 'g'"));
  EXPECT_EQ(Run(a, {"GLEAVE", "g", "CLUSTER", "c"}), kOk);
  EXPECT_EQ(Run(a, {"GCOUNT", "g", "CLUSTER", "c"}), Int(0));
  EXPECT_EQ(Run(a, {"GCOUNT", "g"}), Int(1));
}

}  // namespace
}  // namespace groupd
