// In-process tests of the registry family: GREG, GUNREG, GLOOKUP, GREGCOUNT, GLOCALREGCOUNT,
// GLOCALENTRIES and GPID (docs/COMMANDS.md, "Registry").
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
using testing::Null;
using testing::Arr;
using testing::MetaReply;

const RespValue kOk = Simple("OK");

// The JSON payload of a "message" frame.
testjson::Json EventOf(const RespValue& frame) {
  EXPECT_EQ(frame.elems.size(), 3u) << frame;
  if (frame.elems.size() != 3) return {};
  auto doc = testjson::Parse(frame.elems[2].str);
  EXPECT_TRUE(doc.has_value()) << frame.elems[2].str;
  return doc.value_or(testjson::Json{});
}

class RegistryCommandsTest : public ::testing::Test {
 protected:
  Server& server() { return srv_.server(); }
  RespValue Run(Client& c, std::initializer_list<std::string_view> args) {
    return srv_.Run(c, args);
  }
  // A remote node's registration, as replication would apply it.
  void RegisterRemote(std::string_view key, std::string pid) {
    NodeId node = server().AddNode("remote:1");
    Shard& shard = server().default_cluster().ShardFor(key);
    RegEntry e{.pid = Pid(pid), .node = node, .time_us = Server::NowUs()};
    ASSERT_EQ(Register(shard, key, std::move(e), Meta{{"at", "remote"}}).outcome,
              RegisterOutcome::kCreated);
  }

  InProcServer srv_;
};

// --- Table rebuilds ------------------------------------------------------------------------

// A registry past a thousand slots rebuilds a few slots per insert; the cron finishes a rebuild
// that inserts left under way (a large one it leaves to the loop's idle steps, see
// rehash_pending), and every registration is found throughout.
TEST_F(RegistryCommandsTest, TheCronFinishesARegistryRebuildThatInsertsLeftUnderWay) {
  Client& c = srv_.NewClient();
  auto rehashing = [&] {
    for (const Shard& shard : server().default_cluster().shards) {
      if (shard.registry.rehashing()) return true;
    }
    return false;
  };
  int n = 0;
  for (; n < 200000 && !rehashing(); n++) {
    std::string key = "key:" + std::to_string(n);
    ASSERT_EQ(Run(c, {"GREG", key}), kOk);
  }
  ASSERT_TRUE(rehashing()) << "no registry rebuilt step by step after " << n << " GREGs";
  for (int i = 0; i < n; i += 97) {
    std::string key = "key:" + std::to_string(i);
    EXPECT_EQ(Run(c, {"GLOOKUP", key}).elems.size(), 2u) << key;  // [pid, meta]
  }
  server().Cron(Server::NowMs());  // A millisecond moves tens of thousands of slots.
  EXPECT_FALSE(rehashing());
  EXPECT_FALSE(server().rehash_pending());
  EXPECT_EQ(Run(c, {"GREGCOUNT"}), Int(n));
  for (int i = 0; i < n; i += 97) {
    std::string key = "key:" + std::to_string(i);
    EXPECT_EQ(Run(c, {"GLOOKUP", key}).elems.size(), 2u) << key;  // [pid, meta]
  }
}

// --- GREG / GLOOKUP -------------------------------------------------------------------------

TEST_F(RegistryCommandsTest, GregReturnsOkAndGlookupReturnsPidAndMetaInResp2) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "svc/db", "META", "host", "h1", "port", "5432"}), kOk);
  EXPECT_EQ(Run(b, {"GLOOKUP", "svc/db"}),
            Arr({Bulk(a.owner.pid), MetaReply(2, {{"host", "h1"}, {"port", "5432"}})}));
}

TEST_F(RegistryCommandsTest, GlookupReturnsMetaAsMapInResp3) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  b.writer.set_proto(3);
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "f", "v"}), kOk);
  EXPECT_EQ(Run(b, {"GLOOKUP", "k"}), Arr({Bulk(a.owner.pid), MetaReply(3, {{"f", "v"}})}));
}

TEST_F(RegistryCommandsTest, GregWithoutMetaRegistersEmptyMeta) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k"}), kOk);
  EXPECT_EQ(Run(a, {"GLOOKUP", "k"}), Arr({Bulk(a.owner.pid), MetaReply(2, {})}));
}

TEST_F(RegistryCommandsTest, GlookupOfUnregisteredKeyIsNullArrayInResp2AndNullInResp3) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"GLOOKUP", "nobody"}), Null('*'));
  c.writer.set_proto(3);
  EXPECT_EQ(Run(c, {"GLOOKUP", "nobody"}), Null('_'));
}

TEST_F(RegistryCommandsTest, KeysAreBinarySafe) {
  Client& a = srv_.NewClient();
  std::string key("a\0b\r\n", 5);
  EXPECT_EQ(Run(a, {"GREG", key}), kOk);
  EXPECT_EQ(Run(a, {"GLOOKUP", key}).elems.at(0), Bulk(a.owner.pid));
  EXPECT_EQ(Run(a, {"GLOOKUP", "a"}), Null('*'));
}

TEST_F(RegistryCommandsTest, GregReturnsTakenNamingTheHolderWhenAnotherConnectionOwnsKey) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "who", "a"}), kOk);
  EXPECT_EQ(Run(b, {"GREG", "k", "META", "who", "b"}),
            Err("TAKEN key 'k' is registered by " + a.owner.pid));
  // The holder's entry is untouched.
  EXPECT_EQ(Run(b, {"GLOOKUP", "k"}), Arr({Bulk(a.owner.pid), MetaReply(2, {{"who", "a"}})}));
  EXPECT_EQ(Run(b, {"GREGCOUNT"}), Int(1));
}

TEST_F(RegistryCommandsTest, GregReturnsTakenWhenARemoteProcessHoldsKey) {
  RegisterRemote("k", "9.abc@remote:1");
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k"}), Err("TAKEN key 'k' is registered by 9.abc@remote:1"));
  EXPECT_EQ(Run(a, {"GLOOKUP", "k"}),
            Arr({Bulk("9.abc@remote:1"), MetaReply(2, {{"at", "remote"}})}));
}

TEST_F(RegistryCommandsTest, GregAgainReplacesMetaAndEmitsRegisteredWithPreviousMeta) {
  Client& a = srv_.NewClient();
  Client& mon = srv_.NewClient();
  ASSERT_EQ(srv_.RunMulti(mon, {"GMONITOR", "k"}).size(), 1u);
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "v", "1", "x", "y"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "v", "2"}), kOk);
  EXPECT_EQ(Run(a, {"GLOOKUP", "k"}), Arr({Bulk(a.owner.pid), MetaReply(2, {{"v", "2"}})}));
  EXPECT_EQ(Run(a, {"GREGCOUNT"}), Int(1));

  auto frames = srv_.Frames(mon);
  ASSERT_EQ(frames.size(), 2u);
  testjson::Json first = EventOf(frames[0]);
  EXPECT_EQ(first.Get("type")->str, "registered");
  EXPECT_EQ(first.Get("meta")->StringPairs(), (testjson::Pairs{{"v", "1"}, {"x", "y"}}));
  EXPECT_TRUE(first.Get("previous_meta")->IsNull());
  testjson::Json second = EventOf(frames[1]);
  EXPECT_EQ(second.Get("type")->str, "registered");
  EXPECT_EQ(second.Get("pid")->str, a.owner.pid);
  EXPECT_EQ(second.Get("meta")->StringPairs(), (testjson::Pairs{{"v", "2"}}));
  EXPECT_EQ(second.Get("previous_meta")->StringPairs(), (testjson::Pairs{{"v", "1"}, {"x", "y"}}));
  EXPECT_TRUE(second.Get("reason")->IsNull());
  EXPECT_EQ(*second.Get("seq")->AsUint(), *first.Get("seq")->AsUint() + 1);
}

TEST_F(RegistryCommandsTest, DuplicateMetaFieldKeepsLastValue) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "f", "1", "g", "2", "f", "3"}), kOk);
  EXPECT_EQ(Run(a, {"GLOOKUP", "k"}),
            Arr({Bulk(a.owner.pid), MetaReply(2, {{"f", "3"}, {"g", "2"}})}));
}

TEST_F(RegistryCommandsTest, OptionKeywordsAreCaseInsensitive) {
  Client& a = srv_.NewClient();
  ASSERT_EQ(Run(a, {"GCONNECT", "c"}), kOk);
  EXPECT_EQ(Run(a, {"greg", "k", "cluster", "c", "meta", "f", "v"}), kOk);
  EXPECT_EQ(Run(a, {"GLookup", "k", "Cluster", "c", "Fields", "f"}),
            Arr({Bulk(a.owner.pid), MetaReply(2, {{"f", "v"}})}));
}

// --- GLOOKUP FIELDS and extract-meta --------------------------------------------------------

TEST_F(RegistryCommandsTest, GlookupFieldsReturnsOnlyThoseFieldsInRequestedOrder) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "a", "1", "b", "2", "c", "3"}), kOk);
  EXPECT_EQ(Run(a, {"GLOOKUP", "k", "FIELDS", "c", "missing", "a"}),
            Arr({Bulk(a.owner.pid), MetaReply(2, {{"c", "3"}, {"a", "1"}})}));
  EXPECT_EQ(Run(a, {"GLOOKUP", "k", "FIELDS", "missing"}),
            Arr({Bulk(a.owner.pid), MetaReply(2, {})}));
}

TEST_F(RegistryCommandsTest, GlookupReturnsExtractMetaFieldsByDefaultAndFieldsOverridesThem) {
  Client& a = srv_.NewClient();
  ASSERT_EQ(SetOption(server().config(), "extract-meta", "role,zone", true), std::nullopt);
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "zone", "eu", "secret", "x", "role", "db"}), kOk);
  EXPECT_EQ(Run(a, {"GLOOKUP", "k"}),
            Arr({Bulk(a.owner.pid), MetaReply(2, {{"role", "db"}, {"zone", "eu"}})}));
  EXPECT_EQ(Run(a, {"GLOOKUP", "k", "FIELDS", "secret"}),
            Arr({Bulk(a.owner.pid), MetaReply(2, {{"secret", "x"}})}));
  // Clearing extract-meta returns every field again.
  ASSERT_EQ(SetOption(server().config(), "extract-meta", "", true), std::nullopt);
  EXPECT_EQ(
      Run(a, {"GLOOKUP", "k"}),
      Arr({Bulk(a.owner.pid), MetaReply(2, {{"zone", "eu"}, {"secret", "x"}, {"role", "db"}})}));
}

TEST_F(RegistryCommandsTest, GlookupFieldsWithoutNamesIsSyntaxError) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GLOOKUP", "k", "FIELDS"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(a, {"GLOOKUP", "k", "META", "a", "b"}), Err(errors::kSyntax));
}

// --- Argument errors and limits -------------------------------------------------------------

TEST_F(RegistryCommandsTest, GregMetaWithOddNumberOfArgumentsIsAnError) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "a"}), Err("ERR META needs field value pairs"));
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "a", "1", "b"}), Err("ERR META needs field value pairs"));
  EXPECT_EQ(Run(a, {"GREG", "k", "META"}), Err("ERR META needs field value pairs"));
  EXPECT_EQ(Run(a, {"GLOOKUP", "k"}), Null('*'));
}

TEST_F(RegistryCommandsTest, UnknownOptionIsSyntaxError) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k", "EXTRA"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GREG", "k", "CLUSTER"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GREG", "k", "WITHKEYS"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GUNREG", "k", "META", "a", "b"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GREGCOUNT", "x"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GLOCALREGCOUNT", "CLUSTER"}), Err("ERR syntax error"));
  EXPECT_EQ(Run(a, {"GREGCOUNT"}), Int(0));
}

TEST_F(RegistryCommandsTest, WrongArityUsesRedisWording) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG"}), Err("ERR wrong number of arguments for 'greg' command"));
  EXPECT_EQ(Run(a, {"GUNREG"}), Err("ERR wrong number of arguments for 'gunreg' command"));
  EXPECT_EQ(Run(a, {"GLOOKUP"}), Err("ERR wrong number of arguments for 'glookup' command"));
  EXPECT_EQ(Run(a, {"GPID", "x"}), Err("ERR wrong number of arguments for 'gpid' command"));
  EXPECT_EQ(Run(a, {"GLOCALENTRIES", "x"}),
            Err("ERR wrong number of arguments for 'glocalentries' command"));
}

TEST_F(RegistryCommandsTest, GregRejectsEmptyKey) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", ""}), Err("ERR key must not be empty"));
  EXPECT_EQ(Run(a, {"GREGCOUNT"}), Int(0));
}

TEST_F(RegistryCommandsTest, GregRejectsKeyEndingInSlash) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "users/"}),
            Err("ERR a key ending in '/' is a prefix and cannot be registered or joined"));
  EXPECT_EQ(Run(a, {"GREG", "/"}),
            Err("ERR a key ending in '/' is a prefix and cannot be registered or joined"));
  EXPECT_EQ(Run(a, {"GREG", "users/1"}), kOk);
}

TEST_F(RegistryCommandsTest, GregEnforcesMaxKeyLenInclusive) {
  Client& a = srv_.NewClient();
  server().config().max_key_len = 5;
  EXPECT_EQ(Run(a, {"GREG", "abcde"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "abcdef"}), Err("ERR key is longer than max-key-len"));
  EXPECT_EQ(Run(a, {"GLOOKUP", "abcdef"}), Null('*'));
}

TEST_F(RegistryCommandsTest, GregEnforcesMaxMetaFields) {
  Client& a = srv_.NewClient();
  server().config().max_meta_fields = 2;
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "a", "1", "b", "2"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k2", "META", "a", "1", "b", "2", "c", "3"}),
            Err("ERR meta has more fields than max-meta-fields"));
  EXPECT_EQ(Run(a, {"GLOOKUP", "k2"}), Null('*'));
  // A rejected re-registration leaves the old meta.
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "a", "1", "b", "2", "c", "3"}),
            Err("ERR meta has more fields than max-meta-fields"));
  EXPECT_EQ(Run(a, {"GLOOKUP", "k"}),
            Arr({Bulk(a.owner.pid), MetaReply(2, {{"a", "1"}, {"b", "2"}})}));
}

TEST_F(RegistryCommandsTest, GregEnforcesMaxMetaBytesOverFieldsAndValues) {
  Client& a = srv_.NewClient();
  server().config().max_meta_bytes = 10;
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "abc", "1234567"}), kOk);  // 3 + 7 = 10 bytes.
  EXPECT_EQ(Run(a, {"GREG", "k2", "META", "abc", "12345678"}),
            Err("ERR meta is larger than max-meta-bytes"));
  EXPECT_EQ(Run(a, {"GREG", "k3", "META", "ab", "12", "cd", "1234"}), kOk);  // 10 bytes.
  EXPECT_EQ(Run(a, {"GREG", "k4", "META", "ab", "12", "cd", "12345"}),
            Err("ERR meta is larger than max-meta-bytes"));
  EXPECT_EQ(Run(a, {"GREGCOUNT"}), Int(2));
}

TEST_F(RegistryCommandsTest, RegistryCommandsOnUnknownClusterReturnNocluster) {
  Client& a = srv_.NewClient();
  const RespValue nocluster = Err("NOCLUSTER this node is not connected to cluster 'nope'");
  EXPECT_EQ(Run(a, {"GREG", "k", "CLUSTER", "nope"}), nocluster);
  EXPECT_EQ(Run(a, {"GUNREG", "k", "CLUSTER", "nope"}), nocluster);
  EXPECT_EQ(Run(a, {"GLOOKUP", "k", "CLUSTER", "nope"}), nocluster);
  EXPECT_EQ(Run(a, {"GREGCOUNT", "CLUSTER", "nope"}), nocluster);
  EXPECT_EQ(Run(a, {"GLOCALREGCOUNT", "CLUSTER", "nope"}), nocluster);
}

// --- GUNREG ---------------------------------------------------------------------------------

TEST_F(RegistryCommandsTest, GunregRemovesOwnRegistration) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k"}), kOk);
  EXPECT_EQ(Run(a, {"GUNREG", "k"}), kOk);
  EXPECT_EQ(Run(a, {"GLOOKUP", "k"}), Null('*'));
  EXPECT_EQ(Run(a, {"GREGCOUNT"}), Int(0));
  // The key is free for anyone now.
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(b, {"GREG", "k"}), kOk);
}

TEST_F(RegistryCommandsTest, GunregByAnotherProcessReturnsNotOwnerAndKeepsEntry) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k"}), kOk);
  EXPECT_EQ(Run(b, {"GUNREG", "k"}), Err("NOTOWNER key 'k' is not registered by this process"));
  EXPECT_EQ(Run(b, {"GLOOKUP", "k"}).elems.at(0), Bulk(a.owner.pid));
}

TEST_F(RegistryCommandsTest, GunregOfUnregisteredKeyReturnsNotOwner) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GUNREG", "never"}),
            Err("NOTOWNER key 'never' is not registered by this process"));
  EXPECT_EQ(Run(a, {"GREG", "k"}), kOk);
  EXPECT_EQ(Run(a, {"GUNREG", "k"}), kOk);
  EXPECT_EQ(Run(a, {"GUNREG", "k"}), Err("NOTOWNER key 'k' is not registered by this process"));
}

TEST_F(RegistryCommandsTest, GunregEmitsUnregisteredWithReasonUnregisterAndTheMetaItHad) {
  Client& a = srv_.NewClient();
  Client& mon = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "f", "v"}), kOk);
  ASSERT_EQ(srv_.RunMulti(mon, {"GMONITOR", "*"}).size(), 1u);
  EXPECT_EQ(Run(a, {"GUNREG", "k"}), kOk);
  auto frames = srv_.Frames(mon);
  ASSERT_EQ(frames.size(), 1u);
  testjson::Json e = EventOf(frames[0]);
  EXPECT_EQ(e.Get("type")->str, "unregistered");
  EXPECT_EQ(e.Get("key")->str, "k");
  EXPECT_EQ(e.Get("meta")->StringPairs(), (testjson::Pairs{{"f", "v"}}));
  EXPECT_TRUE(e.Get("previous_meta")->IsNull());
  EXPECT_EQ(e.Get("reason")->str, "unregister");
}

// A longer meta moves the entry to a new node; its owner must follow it, so that GUNREG, the
// owner's other entries and closing the connection still find it (ASan sees a stale ref).
TEST_F(RegistryCommandsTest, GregWithALongerMetaKeepsTheEntryOwned) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  const std::string big(500, 'b');
  EXPECT_EQ(Run(a, {"GREG", "k1", "META", "v", "1"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k2", "META", "v", "1"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k1", "META", "v", "1", "big", big}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k2", "META", "v", "2", "big", big}), kOk);
  EXPECT_EQ(Run(b, {"GLOOKUP", "k1"}),
            Arr({Bulk(a.owner.pid), MetaReply(2, {{"v", "1"}, {"big", big}})}));
  EXPECT_EQ(Run(a, {"GUNREG", "k1"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k3"}), kOk);
  Client& mon = srv_.NewClient();
  ASSERT_EQ(srv_.RunMulti(mon, {"GMONITOR", "k2"}).size(), 1u);
  srv_.Close(a);
  EXPECT_EQ(Run(b, {"GREGCOUNT"}), Int(0));
  auto frames = srv_.Frames(mon);
  ASSERT_EQ(frames.size(), 1u);
  testjson::Json left = EventOf(frames[0]);
  EXPECT_EQ(left.Get("type")->str, "unregistered");
  EXPECT_EQ(left.Get("meta")->StringPairs(), (testjson::Pairs{{"v", "2"}, {"big", big}}));
}

TEST_F(RegistryCommandsTest, ClosingTheConnectionRemovesItsRegistrations) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "k1"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k2"}), kOk);
  EXPECT_EQ(Run(b, {"GREG", "k3"}), kOk);
  srv_.Close(a);
  EXPECT_EQ(Run(b, {"GLOOKUP", "k1"}), Null('*'));
  EXPECT_EQ(Run(b, {"GLOOKUP", "k2"}), Null('*'));
  EXPECT_EQ(Run(b, {"GREGCOUNT"}), Int(1));
  EXPECT_EQ(Run(b, {"GREG", "k1"}), kOk);
}

// --- Counts ---------------------------------------------------------------------------------

TEST_F(RegistryCommandsTest, GregcountCountsTheViewAndGlocalregcountOnlyLocalOwners) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREGCOUNT"}), Int(0));
  EXPECT_EQ(Run(a, {"GLOCALREGCOUNT"}), Int(0));
  EXPECT_EQ(Run(a, {"GREG", "k1"}), kOk);
  EXPECT_EQ(Run(b, {"GREG", "k2"}), kOk);
  RegisterRemote("r1", "5.x@remote:1");
  EXPECT_EQ(Run(a, {"GREGCOUNT"}), Int(3));
  EXPECT_EQ(Run(a, {"GLOCALREGCOUNT"}), Int(2));
  // Memberships are not registrations.
  EXPECT_EQ(Run(a, {"GJOIN", "k1"}), kOk);
  EXPECT_EQ(Run(a, {"GREGCOUNT"}), Int(3));
}

TEST_F(RegistryCommandsTest, CountsArePerCluster) {
  Client& a = srv_.NewClient();
  ASSERT_EQ(Run(a, {"GCONNECT", "c"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k", "CLUSTER", "c"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k2", "CLUSTER", "c"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k"}), kOk);
  EXPECT_EQ(Run(a, {"GREGCOUNT"}), Int(1));
  EXPECT_EQ(Run(a, {"GREGCOUNT", "CLUSTER", "c"}), Int(2));
  EXPECT_EQ(Run(a, {"GLOCALREGCOUNT", "CLUSTER", "c"}), Int(2));
}

// --- GLOCALENTRIES --------------------------------------------------------------------------

TEST_F(RegistryCommandsTest, GlocalentriesIsEmptyWithoutEntries) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GLOCALENTRIES"}), Arr({}));
}

TEST_F(RegistryCommandsTest, GlocalentriesListsLocalEntriesWithNullDefaultClusterInResp2) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  ASSERT_EQ(Run(a, {"GCONNECT", "blue"}), kOk);
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "f", "v"}), kOk);
  EXPECT_EQ(Run(b, {"GJOIN", "g", "CLUSTER", "blue", "META", "m", "n"}), kOk);
  RegisterRemote("remote-key", "5.x@remote:1");  // Not local: not listed.

  RespValue reply = Run(a, {"GLOCALENTRIES"});
  ASSERT_EQ(reply.type, RespValue::kArray) << reply;
  std::vector<RespValue> entries = reply.elems;
  std::sort(entries.begin(), entries.end(), [](const RespValue& x, const RespValue& y) {
    return x.elems.at(0).str > y.elems.at(0).str;  // "registry" before "pg".
  });
  EXPECT_EQ(
      entries,
      (std::vector<RespValue>{
          Arr({Bulk("registry"), Null('$'), Bulk("k"), Bulk(a.owner.pid),
               MetaReply(2, {{"f", "v"}})}),
          Arr({Bulk("pg"), Bulk("blue"), Bulk("g"), Bulk(b.owner.pid), MetaReply(2, {{"m", "n"}})}),
      }));
}

TEST_F(RegistryCommandsTest, GlocalentriesUsesResp3NullAndMaps) {
  Client& a = srv_.NewClient();
  a.writer.set_proto(3);
  EXPECT_EQ(Run(a, {"GJOIN", "g", "META", "f", "v"}), kOk);
  EXPECT_EQ(Run(a, {"GLOCALENTRIES"}), Arr({Arr({Bulk("pg"), Null('_'), Bulk("g"),
                                                 Bulk(a.owner.pid), MetaReply(3, {{"f", "v"}})})}));
}

TEST_F(RegistryCommandsTest, GlocalentriesListsEveryMembershipOfAGroup) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(b, {"GJOIN", "g"}), kOk);
  RespValue reply = Run(a, {"GLOCALENTRIES"});
  ASSERT_EQ(reply.elems.size(), 2u) << reply;
  std::vector<std::string> pids{reply.elems[0].elems.at(3).str, reply.elems[1].elems.at(3).str};
  std::sort(pids.begin(), pids.end());
  std::vector<std::string> expected{a.owner.pid.str(), b.owner.pid.str()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(pids, expected);
}

// --- GPID and DBSIZE ------------------------------------------------------------------------

TEST_F(RegistryCommandsTest, GpidIsIdIncarnationAndNodeName) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  RespValue pid = Run(a, {"GPID"});
  EXPECT_EQ(pid, Bulk(std::to_string(a.id) + "." + server().incarnation() + "@test-node"));
  EXPECT_EQ(pid.str, a.owner.pid);
  EXPECT_NE(Run(b, {"GPID"}), pid);
  // The incarnation is base 36.
  EXPECT_FALSE(server().incarnation().empty());
  EXPECT_EQ(server().incarnation().find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz"),
            std::string::npos);
}

TEST_F(RegistryCommandsTest, DbsizeCountsRegistrationsPlusMemberships) {
  if (server().commands().Find("dbsize") == nullptr) {
    GTEST_SKIP() << "DBSIZE (admin commands) is not built in";
  }
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"DBSIZE"}), Int(0));
  EXPECT_EQ(Run(a, {"GREG", "k"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "g1"}), kOk);
  EXPECT_EQ(Run(a, {"GJOIN", "g2"}), kOk);
  EXPECT_EQ(Run(a, {"DBSIZE"}), Int(3));
}

}  // namespace
}  // namespace groupd

namespace groupd {
namespace {

TEST_F(RegistryCommandsTest, WritesThatAddDataGetOomOverMaxmemoryWhileReadsAndDeletionsWork) {
  Client& a = srv_.NewClient();
  EXPECT_EQ(Run(a, {"GREG", "kept"}), Simple("OK"));
  EXPECT_EQ(Run(a, {"GJOIN", "g"}), Simple("OK"));
  srv_.server().config().maxmemory = 1;  // Any real process is over one byte.
  EXPECT_EQ(Run(a, {"GREG", "k"}), Err(errors::kOom));
  EXPECT_EQ(Run(a, {"GJOIN", "g2"}), Err(errors::kOom));
  EXPECT_EQ(Run(a, {"GCONNECT", "c"}), Err(errors::kOom));
  EXPECT_EQ(Run(a, {"GLOOKUP", "kept"}).elems.size(), 2u);
  EXPECT_EQ(Run(a, {"GUNREG", "kept"}), Simple("OK"));
  EXPECT_EQ(Run(a, {"GLEAVE", "g"}), Simple("OK"));
  EXPECT_EQ(srv_.server().stats().oom_rejections, 3u);
  srv_.server().config().maxmemory = 0;
  EXPECT_EQ(Run(a, {"GREG", "k"}), Simple("OK"));
}

TEST_F(RegistryCommandsTest, KeyAndMetaLimitRejectionsAreCounted) {
  Client& a = srv_.NewClient();
  srv_.server().config().max_key_len = 3;
  srv_.server().config().max_meta_fields = 1;
  EXPECT_EQ(Run(a, {"GREG", "long"}), Err(errors::kKeyTooLong));
  EXPECT_EQ(Run(a, {"GREG", "k", "META", "a", "1", "b", "2"}), Err(errors::kMetaTooManyFields));
  EXPECT_EQ(srv_.server().stats().key_limit_rejections, 1u);
  EXPECT_EQ(srv_.server().stats().meta_limit_rejections, 1u);
}

}  // namespace
}  // namespace groupd
