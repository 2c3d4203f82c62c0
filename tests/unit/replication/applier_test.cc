// Unit tests of replication/applier.h against an in-process Server (no sockets, no loop): the
// events remote changes produce, idempotence of re-applied changes and snapshots, registry
// conflicts with remote and local holders, and removal of a lost node's entries.
#include "replication/applier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "replication/peer_receiver.h"
#include "server/client.h"
#include "server/log.h"
#include "server/server.h"
#include "tests/support/resp_value.h"
#include "tests/unit/core/json_lite.h"

namespace groupd::replication {
namespace {

using groupd::testing::ParseAllReplies;
using groupd::testing::RespValue;
using testjson::Json;

constexpr char kLocalName[] = "n1";

// One event as a monitor received it, decoded from its JSON payload.
struct Ev {
  std::string channel;
  std::string type, cluster, key, pid, node, reason;  // cluster/reason "" when null.
  Meta meta;
  bool has_previous = false;
  Meta previous;
};

Meta PairsOf(const Json* j) {
  if (j == nullptr || j->kind != Json::kObject) return Meta();
  auto strings = j->StringPairs();
  std::vector<Meta::Pair> pairs(strings.begin(), strings.end());
  return Meta::FromPairs(pairs);
}

std::string StrOf(const Json* j) { return j != nullptr && j->kind == Json::kString ? j->str : ""; }

std::string Describe(const std::vector<Ev>& evs) {
  std::string s;
  for (const Ev& e : evs) {
    s += "  " + e.type + " key=" + e.key + " pid=" + e.pid + " node=" + e.node +
         " reason=" + e.reason + " cluster=" + e.cluster + "\n";
  }
  return s.empty() ? "  (none)\n" : s;
}

class ApplierTest : public ::testing::Test {
 protected:
  ApplierTest() : server_(MakeConfig()) {
    // The Server leaves the process-wide logger to main(); keep test output quiet.
    SetLogLevel("off");
    n2_ = server_.AddNode("n2");
    n3_ = server_.AddNode("n3");
    monitor_ = NewClient();
    server_.pubsub().Subscribe(monitor_, "__gevent__:*");
  }

  ~ApplierTest() override {
    for (auto& c : clients_) server_.DetachClient(c.get());
  }

  static Config MakeConfig() {
    Config c;
    c.node_name = kLocalName;
    c.loglevel = "off";
    return c;
  }

  Applier& applier(std::string_view policy = "oldest") {
    if (!applier_) {
      applier_ = std::make_unique<Applier>(server_, ConflictPolicy::Parse(policy).value());
    }
    return *applier_;
  }

  // The receiving half of a link from n2, fed frames by the test (nothing is sent back).
  struct Receiver {
    struct NoSender : PeerReceiver::Sender {
      void PeerJoinedCluster(const std::string&) override {}
    } sender;
    LinkStats stats;
    PeerReceiver receiver;
    Receiver(Server& server, Applier& applier, NodeId node)
        : receiver(server, applier, sender, stats) {
      receiver.set_node(node);
    }
    bool Handle(protocol::PeerFrameType type, std::string_view payload) {
      return receiver.Handle(type, payload);
    }
  };

  Client* NewClient() {
    auto c = std::make_unique<Client>(server_.NextClientId());
    EXPECT_TRUE(server_.AttachClient(c.get()));
    clients_.push_back(std::move(c));
    return clients_.back().get();
  }

  ClusterState& def() { return server_.default_cluster(); }

  // Every event frame the monitor received since the last call.
  std::vector<Ev> Events(Client* c = nullptr) {
    if (c == nullptr) c = monitor_;
    std::vector<Ev> out;
    for (const RespValue& f : ParseAllReplies(c->out)) {
      EXPECT_EQ(f.elems.size(), 3u) << f;
      if (f.elems.size() != 3) continue;
      auto doc = testjson::Parse(f.elems[2].str);
      EXPECT_TRUE(doc.has_value()) << f.elems[2].str;
      if (!doc) continue;
      Ev e;
      e.channel = f.elems[1].str;
      e.type = StrOf(doc->Get("type"));
      e.cluster = StrOf(doc->Get("cluster"));
      e.key = StrOf(doc->Get("key"));
      e.pid = StrOf(doc->Get("pid"));
      e.node = StrOf(doc->Get("node"));
      e.reason = StrOf(doc->Get("reason"));
      e.meta = PairsOf(doc->Get("meta"));
      const Json* prev = doc->Get("previous_meta");
      e.has_previous = prev != nullptr && !prev->IsNull();
      e.previous = PairsOf(prev);
      out.push_back(std::move(e));
    }
    c->out.clear();
    return out;
  }

  const RegEntry* Held(std::string_view key, ClusterState* cl = nullptr) {
    return Lookup((cl ? *cl : def()).ShardFor(key), key);
  }
  const Member* MemberOf(std::string_view group, std::string_view pid, ClusterState* cl = nullptr) {
    const Group* g = FindGroup((cl ? *cl : def()).ShardFor(group), group);
    if (g == nullptr) return nullptr;
    auto it = g->members.find(pid);
    return it == g->members.end() ? nullptr : &it->second;
  }

  Server server_;
  NodeId n2_ = 0, n3_ = 0;
  Client* monitor_ = nullptr;
  std::vector<std::unique_ptr<Client>> clients_;
  std::unique_ptr<Applier> applier_;
};

// --- Remote changes and their events -----------------------------------------------------------

TEST_F(ApplierTest, RemoteRegisterStoresEntryAndEmitsRegisteredWithRemoteNode) {
  applier().Register(n2_, def(), "svc/db", "1.a@n2", 100, {{"host", "h1"}});
  const RegEntry* e = Held("svc/db");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->pid, "1.a@n2");
  EXPECT_EQ(e->node, n2_);
  EXPECT_EQ(e->pid.owner(), 0u);
  EXPECT_EQ(e->time_us, 100);
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u) << Describe(evs);
  EXPECT_EQ(evs[0].channel, "__gevent__:*");
  EXPECT_EQ(evs[0].type, "registered");
  EXPECT_EQ(evs[0].key, "svc/db");
  EXPECT_EQ(evs[0].pid, "1.a@n2");
  EXPECT_EQ(evs[0].node, "n2");
  EXPECT_EQ(evs[0].meta, (Meta{{"host", "h1"}}));
  EXPECT_FALSE(evs[0].has_previous);
  EXPECT_EQ(evs[0].reason, "");
}

// A remote process's entries share one copy of its pid; copies nobody uses any more are swept
// once the intern table doubles, so it stays within twice the live pids.
TEST_F(ApplierTest, RemotePidsAreSharedAndUnusedOnesSwept) {
  applier().Register(n2_, def(), "a", "1.a@n2", 100, {});
  applier().Join(n2_, def(), "g", "1.a@n2", {});
  const RegEntry* e = Held("a");
  ASSERT_NE(e, nullptr);
  const Group* g = FindGroup(def().ShardFor("g"), "g");
  ASSERT_NE(g, nullptr);
  const Pid& member_pid = g->members.begin()->first;
  EXPECT_EQ(e->pid.view().data(), member_pid.view().data()) << "one copy of the pid";
  EXPECT_EQ(e->pid.use_count(), 3u);  // The entry, the membership and the intern table.
  EXPECT_EQ(applier().interned_pids(), 1u);

  // Thousands of short-lived remote processes come and go.
  for (int i = 0; i < 5000; i++) {
    std::string key = "k" + std::to_string(i), pid = std::to_string(i) + ".b@n2";
    applier().Register(n2_, def(), key, pid, 100, {});
    applier().Unregister(n2_, def(), key, pid, Reason::kUnregister);
  }
  EXPECT_LT(applier().interned_pids(), 2 * 1024u + 2);
  // The live one survives every sweep, still shared.
  EXPECT_EQ(Held("a")->pid.view().data(), member_pid.view().data());
  Events();
}

TEST_F(ApplierTest, RemoteReRegisterWithNewMetaEmitsRegisteredWithPreviousMeta) {
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {{"v", "1"}});
  Events();
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {{"v", "2"}});
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "registered");
  EXPECT_EQ(evs[0].meta, (Meta{{"v", "2"}}));
  ASSERT_TRUE(evs[0].has_previous);
  EXPECT_EQ(evs[0].previous, (Meta{{"v", "1"}}));
  EXPECT_EQ(Held("k")->meta(), (Meta{{"v", "2"}}));
}

TEST_F(ApplierTest, LiveReRegisterWithSameMetaStillEmitsItsEvent) {
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {{"v", "1"}});
  Events();
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {{"v", "1"}});
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "registered");
  EXPECT_TRUE(evs[0].has_previous);
}

TEST_F(ApplierTest, RemoteUnregisterRemovesEntryAndEmitsUnregisteredWithReason) {
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {{"v", "1"}});
  Events();
  applier().Unregister(n2_, def(), "k", "1.a@n2", Reason::kDisconnect);
  EXPECT_EQ(Held("k"), nullptr);
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "unregistered");
  EXPECT_EQ(evs[0].pid, "1.a@n2");
  EXPECT_EQ(evs[0].node, "n2");
  EXPECT_EQ(evs[0].reason, "disconnect");
  EXPECT_EQ(evs[0].meta, (Meta{{"v", "1"}}));
}

TEST_F(ApplierTest, RemoteJoinAndLeaveEmitJoinedAndLeft) {
  applier().Join(n2_, def(), "room/1", "1.a@n2", {{"role", "admin"}});
  ASSERT_NE(MemberOf("room/1", "1.a@n2"), nullptr);
  EXPECT_EQ(MemberOf("room/1", "1.a@n2")->node, n2_);
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "joined");
  EXPECT_EQ(evs[0].key, "room/1");
  EXPECT_EQ(evs[0].node, "n2");
  EXPECT_EQ(evs[0].meta, (Meta{{"role", "admin"}}));
  EXPECT_FALSE(evs[0].has_previous);

  applier().Join(n2_, def(), "room/1", "1.a@n2", {{"role", "user"}});
  evs = Events();
  ASSERT_EQ(evs.size(), 1u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "joined");
  ASSERT_TRUE(evs[0].has_previous);
  EXPECT_EQ(evs[0].previous, (Meta{{"role", "admin"}}));

  applier().Leave(n2_, def(), "room/1", "1.a@n2", Reason::kLeave);
  EXPECT_EQ(MemberOf("room/1", "1.a@n2"), nullptr);
  EXPECT_EQ(FindGroup(def().ShardFor("room/1"), "room/1"), nullptr) << "empty group kept";
  evs = Events();
  ASSERT_EQ(evs.size(), 1u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "left");
  EXPECT_EQ(evs[0].reason, "leave");
  EXPECT_EQ(evs[0].meta, (Meta{{"role", "user"}}));
}

TEST_F(ApplierTest, EventsOfANamedClusterGoToThatClustersMonitorChannel) {
  ASSERT_TRUE(server_.ConnectCluster("c1", 0));
  server_.pubsub().Subscribe(monitor_, "__gevent__@c1:*");
  applier().Register(n2_, *server_.FindCluster("c1"), "k", "1.a@n2", 100, {});
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u) << Describe(evs);
  EXPECT_EQ(evs[0].channel, "__gevent__@c1:*");
  EXPECT_EQ(evs[0].cluster, "c1");
  EXPECT_EQ(Held("k"), nullptr) << "stored in the default cluster too";
}

// --- Idempotence -------------------------------------------------------------------------------

TEST_F(ApplierTest, SnapshotReapplyOfUnchangedRegistrationEmitsNothing) {
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {{"v", "1"}});
  Events();
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {{"v", "1"}}, /*from_snapshot=*/true);
  EXPECT_TRUE(Events().empty());
  EXPECT_EQ(Held("k")->pid, "1.a@n2");
}

TEST_F(ApplierTest, SnapshotReapplyOfUnchangedMembershipEmitsNothing) {
  applier().Join(n2_, def(), "g", "1.a@n2", {{"v", "1"}});
  Events();
  applier().Join(n2_, def(), "g", "1.a@n2", {{"v", "1"}}, /*from_snapshot=*/true);
  EXPECT_TRUE(Events().empty());
  EXPECT_NE(MemberOf("g", "1.a@n2"), nullptr);
}

TEST_F(ApplierTest, SnapshotWithChangedMetaEmitsTheUpdate) {
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {{"v", "1"}});
  applier().Join(n2_, def(), "g", "1.a@n2", {{"v", "1"}});
  Events();
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {{"v", "2"}}, true);
  applier().Join(n2_, def(), "g", "1.a@n2", {{"v", "2"}}, true);
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "registered");
  EXPECT_EQ(evs[0].previous, (Meta{{"v", "1"}}));
  EXPECT_EQ(evs[1].type, "joined");
  EXPECT_EQ(evs[1].previous, (Meta{{"v", "1"}}));
}

// A snapshot's begin frame may say how many registrations follow; a receiver holding none of the
// sender's makes room for them in each registry at once (older senders say nothing).
TEST_F(ApplierTest, SnapshotBeginWithACountMakesRoomOnlyWhenNothingOfThePeerIsHeld) {
  Receiver receiver(server_, applier(), n2_);
  auto begin = [&](std::optional<uint64_t> count) {
    std::string payload;
    protocol::PeerWriter w(&payload);
    w.Str("");  // The default cluster.
    if (count) w.Var(*count);
    return receiver.Handle(protocol::PeerFrameType::kSnapshotBegin, payload);
  };
  auto chunk = [&] {  // An empty chunk: each makes room in one more shard.
    std::string payload;
    protocol::PeerWriter w(&payload);
    w.Str("");
    return receiver.Handle(protocol::PeerFrameType::kSnapshotChunk, payload);
  };
  auto chunks = [&] {
    for (const Shard& s : def().shards) {
      (void)s;
      if (!chunk()) return false;
    }
    return true;
  };
  auto min_capacity = [&] {
    size_t c = SIZE_MAX;
    for (const Shard& s : def().shards) c = std::min(c, s.registry.capacity());
    return c;
  };
  const size_t shards = def().shards.size();
  ASSERT_TRUE(begin(std::nullopt));
  ASSERT_TRUE(chunks());
  EXPECT_EQ(min_capacity(), 0u);  // No count: nothing reserved.
  ASSERT_TRUE(begin(80000));
  ASSERT_TRUE(chunk());  // One shard per chunk, so the rebuilds spread over loop turns.
  EXPECT_GT(def().shards[0].registry.capacity(), 0u);
  EXPECT_EQ(def().shards[1].registry.capacity(), 0u);
  ASSERT_TRUE(chunks());
  // Each registry takes its share without growing: 4/5 of its slots hold it.
  EXPECT_GE(min_capacity() * 4, (80000 / shards + 1) * 5);
  EXPECT_LT(min_capacity(), 2 * (80000 / shards + 1));
  const size_t capacity = def().shards[0].registry.capacity();
  // A count as large as a 64-bit varint holds is capped.
  ASSERT_TRUE(begin(uint64_t{1} << 62));
  ASSERT_TRUE(chunks());
  for (const Shard& s : def().shards) {
    EXPECT_LE(s.registry.capacity(), PeerReceiver::kMaxReservePerShard * 5 / 4 + 8);
  }
  // Holding one of the peer's entries: a diff, where most entries are already here.
  applier().Register(n2_, def(), "held", "1.x@n2", 1, Meta{}, false, 0);
  const size_t before = min_capacity();
  ASSERT_TRUE(begin(uint64_t{1} << 22));
  ASSERT_TRUE(chunks());
  EXPECT_EQ(min_capacity(), before);
  EXPECT_GT(def().shards[0].registry.capacity(), capacity);  // The capped count was reserved.
  // A count that does not parse is a malformed frame.
  std::string bad;
  protocol::PeerWriter w(&bad);
  w.Str("");
  bad.push_back(static_cast<char>(0x80));  // A varint cut short.
  EXPECT_FALSE(receiver.Handle(protocol::PeerFrameType::kSnapshotBegin, bad));
}

// The receiver decodes each change of a batch one ahead of the one it applies (to start loading
// the next key's table slot): changes still apply one by one, in order, in their own clusters,
// and a malformed change fails the batch only after every change before it applied.
TEST_F(ApplierTest, ABatchAppliesItsChangesInOrderAndStopsAtAMalformedOne) {
  Receiver receiver(server_, applier(), n2_);
  ASSERT_TRUE(server_.ConnectCluster("other", 0));
  std::string payload;
  protocol::PeerWriter w(&payload);
  auto op = [&](OpCode code, std::string_view cluster, std::string_view key, const Meta& meta) {
    w.U8(code);
    w.Str(cluster);
    w.Str(key);
    w.Str("1.a@n2");
    w.I64(100);
    w.U8(0);
    if (code == kOpRegister || code == kOpJoin) WriteMeta(w, meta);
  };
  op(kOpRegister, "", "k1", {{"v", "1"}});
  op(kOpJoin, "", "g1", {{"v", "1"}});
  op(kOpJoin, "not-here", "g1", {});  // A cluster this node is not in: skipped.
  op(kOpJoin, "other", "g1", {{"v", "other"}});
  op(kOpJoin, "", "g1", {{"v", "2"}});  // The same key again: the previous change is in place.
  op(kOpLeave, "", "g1", {});
  op(kOpUnregister, "", "k1", {});
  op(kOpRegister, "", "k2", {{"v", "3"}});
  ASSERT_TRUE(receiver.Handle(protocol::PeerFrameType::kBatch, payload));
  EXPECT_EQ(receiver.stats.ops_received, 8u);
  auto evs = Events();
  std::vector<std::string> got;
  for (const Ev& e : evs) got.push_back(e.type + " " + e.cluster + "/" + e.key);
  // (The monitor follows the default cluster only.)
  EXPECT_EQ(got, (std::vector<std::string>{"registered /k1", "joined /g1", "joined /g1", "left /g1",
                                           "unregistered /k1", "registered /k2"}))
      << Describe(evs);
  ASSERT_GE(evs.size(), 3u);
  EXPECT_EQ(evs[2].previous, (Meta{{"v", "1"}}));
  EXPECT_EQ(Held("k1"), nullptr);
  ASSERT_NE(Held("k2"), nullptr);
  EXPECT_EQ(MemberOf("g1", "1.a@n2"), nullptr);
  ASSERT_NE(MemberOf("g1", "1.a@n2", server_.FindCluster("other")), nullptr);

  // Two good changes, then one cut after its key: both apply, and the batch fails.
  payload.clear();
  op(kOpRegister, "", "k3", {});
  op(kOpJoin, "", "g3", {});
  w.U8(kOpRegister);
  w.Str("");
  w.Str("k4");
  EXPECT_FALSE(receiver.Handle(protocol::PeerFrameType::kBatch, payload));
  EXPECT_NE(Held("k3"), nullptr);
  EXPECT_NE(MemberOf("g3", "1.a@n2"), nullptr);
  EXPECT_EQ(Held("k4"), nullptr);
}

TEST_F(ApplierTest, SnapshotOfANewEntryEmitsItsEvent) {
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {}, true);
  applier().Join(n2_, def(), "g", "1.a@n2", {}, true);
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "registered");
  EXPECT_EQ(evs[1].type, "joined");
}

TEST_F(ApplierTest, UnregisterOfAPidThatDoesNotHoldTheKeyIsIgnored) {
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {});
  Events();
  applier().Unregister(n2_, def(), "k", "2.a@n2", Reason::kUnregister);  // Another pid.
  applier().Unregister(n3_, def(), "k", "1.a@n2", Reason::kUnregister);  // Another node.
  applier().Unregister(n2_, def(), "absent", "1.a@n2", Reason::kUnregister);
  EXPECT_TRUE(Events().empty());
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid, "1.a@n2");
}

TEST_F(ApplierTest, UnregisterAppliedTwiceEmitsOnce) {
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {});
  Events();
  applier().Unregister(n2_, def(), "k", "1.a@n2", Reason::kUnregister);
  applier().Unregister(n2_, def(), "k", "1.a@n2", Reason::kUnregister);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(ApplierTest, UnregisterNeverRemovesALocalRegistration) {
  Client* local = NewClient();
  server_.RegisterLocal(local->owner, def(), "k", {});
  Events();
  applier().Unregister(n2_, def(), "k", local->owner.pid, Reason::kUnregister);
  EXPECT_TRUE(Events().empty());
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid.owner(), local->owner.id);
}

TEST_F(ApplierTest, LeaveOfANonMemberIsIgnored) {
  applier().Join(n2_, def(), "g", "1.a@n2", {});
  Events();
  applier().Leave(n2_, def(), "g", "2.a@n2", Reason::kLeave);       // Not a member.
  applier().Leave(n3_, def(), "g", "1.a@n2", Reason::kLeave);       // Member from another node.
  applier().Leave(n2_, def(), "absent", "1.a@n2", Reason::kLeave);  // No such group.
  EXPECT_TRUE(Events().empty());
  EXPECT_NE(MemberOf("g", "1.a@n2"), nullptr);
  applier().Leave(n2_, def(), "g", "1.a@n2", Reason::kLeave);
  applier().Leave(n2_, def(), "g", "1.a@n2", Reason::kLeave);
  EXPECT_EQ(Events().size(), 1u);
}

// --- Conflicts ---------------------------------------------------------------------------------

TEST_F(ApplierTest, RemoteWinnerReplacesRemoteHolderWithRegistryConflictEvent) {
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 200, {{"who", "n2"}});
  Events();
  applier().Register(n3_, def(), "k", "1.a@n3", 100, {{"who", "n3"}});  // Older: wins.
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid, "1.a@n3");
  EXPECT_EQ(Held("k")->node, n3_);
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "unregistered");
  EXPECT_EQ(evs[0].pid, "1.a@n2");
  EXPECT_EQ(evs[0].node, "n2");
  EXPECT_EQ(evs[0].reason, "registry_conflict");
  EXPECT_EQ(evs[0].meta, (Meta{{"who", "n2"}}));
  EXPECT_EQ(evs[1].type, "registered");
  EXPECT_EQ(evs[1].pid, "1.a@n3");
  EXPECT_EQ(evs[1].node, "n3");
  EXPECT_EQ(applier().conflicts(), 1u);
  EXPECT_EQ(applier().local_evictions(), 0u);
}

TEST_F(ApplierTest, RemoteLoserIsNotStoredAndEmitsNothing) {
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 100, {});
  Events();
  applier().Register(n3_, def(), "k", "1.a@n3", 200, {});  // Newer: loses.
  applier().Register(n3_, def(), "k", "2.a@n3", 300, {}, /*from_snapshot=*/true);
  EXPECT_EQ(Held("k")->pid, "1.a@n2");
  EXPECT_TRUE(Events().empty());
  EXPECT_EQ(applier().conflicts(), 2u);
  // The loser's later unregister finds nothing of its own to remove.
  applier().Unregister(n3_, def(), "k", "1.a@n3", Reason::kRegistryConflict);
  EXPECT_TRUE(Events().empty());
  EXPECT_EQ(Held("k")->pid, "1.a@n2");
}

TEST_F(ApplierTest, RemoteLoserAgainstLocalHolderLeavesTheLocalProcessAlone) {
  Client* local = NewClient();
  local->writer.set_proto(3);
  server_.RegisterLocal(local->owner, def(), "k", {});
  Events();
  local->out.clear();
  // Registered after the local one (now), so "oldest" keeps the local holder.
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", Server::NowUs() + 1000000, {});
  EXPECT_EQ(Held("k")->pid.owner(), local->owner.id);
  EXPECT_TRUE(Events().empty());
  EXPECT_TRUE(local->out.empty()) << "the local holder got a notice";
  EXPECT_FALSE(local->close_after_reply || local->close_asap);
  EXPECT_EQ(applier().local_evictions(), 0u);
}

TEST_F(ApplierTest, MetaPolicyDecidesRemoteConflicts) {
  applier("meta-max prio").Register(n2_, def(), "k", "1.a@n2", 100, {{"prio", "9"}});
  applier().Register(n3_, def(), "k", "1.a@n3", 200, {{"prio", "10"}});
  EXPECT_EQ(Held("k")->pid, "1.a@n3") << "10 > 9 as integers";
  applier().Register(n2_, def(), "k", "2.a@n2", 50, {});
  EXPECT_EQ(Held("k")->pid, "1.a@n3") << "a candidate without the field won";
}

// The RESP3 local loser of a conflict, with conflict-action kill (the default).
TEST_F(ApplierTest, RemoteWinnerEvictsLocalHolderWithNoticeAndKill) {
  ASSERT_EQ(server_.config().conflict_action, "kill");
  Client* local = NewClient();
  local->writer.set_proto(3);
  const std::string pid = local->owner.pid.str();
  server_.RegisterLocal(local->owner, def(), "k", Meta{{"mine", "1"}});
  server_.RegisterLocal(local->owner, def(), "other", {});
  server_.JoinLocal(local->owner, def(), "g", {});
  Events();
  local->out.clear();

  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 1, {{"theirs", "1"}});

  // The winner holds the key; the loser's entry and its record in the owner are gone.
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid, "1.a@n2");
  EXPECT_FALSE(local->owner.owned.Contains(EntryKind::kRegistry, "", "k"));
  EXPECT_EQ(applier().local_evictions(), 1u);

  // The loser was told on its own connection, as a push frame.
  auto frames = ParseAllReplies(local->out);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames[0].type, RespValue::kPush) << frames[0];
  ASSERT_EQ(frames[0].elems.size(), 3u);
  EXPECT_TRUE(frames[0].elems[0].IsString("message"));
  EXPECT_EQ(frames[0].elems[1].str, "__gnotice__:" + pid);
  auto notice = testjson::Parse(frames[0].elems[2].str);
  ASSERT_TRUE(notice.has_value()) << frames[0].elems[2].str;
  EXPECT_EQ(StrOf(notice->Get("type")), "registry_conflict");
  EXPECT_EQ(StrOf(notice->Get("key")), "k");
  EXPECT_EQ(StrOf(notice->Get("pid")), pid);
  EXPECT_EQ(StrOf(notice->Get("winner_pid")), "1.a@n2");
  EXPECT_EQ(StrOf(notice->Get("winner_node")), "n2");
  EXPECT_EQ(StrOf(notice->Get("action")), "kill");
  ASSERT_NE(notice->Get("cluster"), nullptr);
  EXPECT_TRUE(notice->Get("cluster")->IsNull());

  // Killed: marked to close after the notice is written, with everything else it held gone.
  EXPECT_TRUE(local->close_after_reply || local->close_asap);
  EXPECT_TRUE(local->close_after_reply) << "the notice must be flushed before the close";
  EXPECT_EQ(local->close_reason, Reason::kKilled);
  EXPECT_EQ(Held("other"), nullptr);
  EXPECT_EQ(MemberOf("g", pid), nullptr);
  EXPECT_TRUE(local->owner.owned.empty());

  auto evs = Events();
  ASSERT_EQ(evs.size(), 4u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "unregistered");
  EXPECT_EQ(evs[0].key, "k");
  EXPECT_EQ(evs[0].pid, pid);
  EXPECT_EQ(evs[0].node, kLocalName);
  EXPECT_EQ(evs[0].reason, "registry_conflict");
  // The kill removes the rest (in either order), then the winner is stored.
  for (int i : {1, 2}) {
    EXPECT_EQ(evs[i].pid, pid);
    EXPECT_EQ(evs[i].reason, "killed");
    EXPECT_TRUE((evs[i].type == "unregistered" && evs[i].key == "other") ||
                (evs[i].type == "left" && evs[i].key == "g"))
        << Describe(evs);
  }
  EXPECT_NE(evs[1].key, evs[2].key);
  EXPECT_EQ(evs[3].type, "registered");
  EXPECT_EQ(evs[3].pid, "1.a@n2");
  EXPECT_EQ(evs[3].node, "n2");
}

TEST_F(ApplierTest, RemoteWinnerEvictsLocalHolderButLeavesItOpenWithUnregisterAction) {
  server_.config().conflict_action = "unregister";
  Client* local = NewClient();
  local->writer.set_proto(3);
  const std::string pid = local->owner.pid.str();
  server_.RegisterLocal(local->owner, def(), "k", {});
  server_.RegisterLocal(local->owner, def(), "other", {});
  Events();
  local->out.clear();

  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 1, {});

  EXPECT_EQ(Held("k")->pid, "1.a@n2");
  EXPECT_FALSE(local->close_after_reply);
  EXPECT_FALSE(local->close_asap);
  ASSERT_NE(Held("other"), nullptr) << "the loser's other entries must stay";
  EXPECT_EQ(Held("other")->pid, pid);
  EXPECT_EQ(local->owner.owned.size(), 1u);
  auto frames = ParseAllReplies(local->out);
  ASSERT_EQ(frames.size(), 1u);
  auto notice = testjson::Parse(frames[0].elems[2].str);
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(StrOf(notice->Get("action")), "unregister");
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "unregistered");
  EXPECT_EQ(evs[0].reason, "registry_conflict");
  EXPECT_EQ(evs[1].type, "registered");
  // The connection is still a working process: it can register other keys.
  EXPECT_EQ(server_.RegisterLocal(local->owner, def(), "k2", {}).outcome,
            RegisterOutcome::kCreated);
}

TEST_F(ApplierTest, Resp2LocalLoserIsToldOnlyThroughTheNoticeChannel) {
  server_.config().conflict_action = "unregister";
  Client* local = NewClient();  // RESP2, not subscribed: cannot take a frame.
  Client* inbox = NewClient();  // Its second connection, subscribed to the notice channel.
  const std::string channel = "__gnotice__:" + local->owner.pid;
  server_.pubsub().Subscribe(inbox, channel);
  server_.RegisterLocal(local->owner, def(), "k", {});
  local->out.clear();

  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 1, {});

  EXPECT_TRUE(local->out.empty()) << "a frame was pushed to a RESP2 connection";
  auto frames = ParseAllReplies(inbox->out);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, RespValue::kArray);
  EXPECT_EQ(frames[0].elems[1].str, channel);
  auto notice = testjson::Parse(frames[0].elems[2].str);
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(StrOf(notice->Get("winner_pid")), "1.a@n2");
}

TEST_F(ApplierTest, Resp3LoserSubscribedToItsOwnNoticeChannelGetsTheNoticeOnce) {
  server_.config().conflict_action = "unregister";
  Client* local = NewClient();
  local->writer.set_proto(3);
  server_.pubsub().Subscribe(local, "__gnotice__:" + local->owner.pid);
  server_.RegisterLocal(local->owner, def(), "k", {});
  local->out.clear();
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 1, {});
  EXPECT_EQ(ParseAllReplies(local->out).size(), 1u);
}

TEST_F(ApplierTest, LocalLoserInANamedClusterNamesTheClusterInItsNotice) {
  server_.config().conflict_action = "unregister";
  ASSERT_TRUE(server_.ConnectCluster("c1", 0));
  ClusterState& c1 = *server_.FindCluster("c1");
  Client* local = NewClient();
  local->writer.set_proto(3);
  server_.RegisterLocal(local->owner, c1, "k", {});
  local->out.clear();
  applier("oldest").Register(n2_, c1, "k", "1.a@n2", 1, {});
  EXPECT_EQ(Held("k", &c1)->pid, "1.a@n2");
  auto frames = ParseAllReplies(local->out);
  ASSERT_EQ(frames.size(), 1u);
  auto notice = testjson::Parse(frames[0].elems[2].str);
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(StrOf(notice->Get("cluster")), "c1");
}

// --- Shadowed claims: remote losers kept aside until the visible holder goes -------------------

TEST_F(ApplierTest, ShadowedRemoteLoserBecomesVisibleWhenTheHolderUnregisters) {
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 100, {{"who", "n2"}});
  applier().Register(n3_, def(), "k", "1.a@n3", 200, {{"who", "n3"}});  // Loses: shadowed.
  Events();
  applier().Unregister(n2_, def(), "k", "1.a@n2", Reason::kUnregister);
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid, "1.a@n3");
  EXPECT_EQ(Held("k")->node, n3_);
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  EXPECT_EQ(evs[0].type, "unregistered");
  EXPECT_EQ(evs[0].pid, "1.a@n2");
  EXPECT_EQ(evs[1].type, "registered");
  EXPECT_EQ(evs[1].pid, "1.a@n3");
  EXPECT_EQ(evs[1].node, "n3");
  EXPECT_EQ(evs[1].meta, (Meta{{"who", "n3"}}));
}

TEST_F(ApplierTest, ReplacedRemoteHolderBecomesVisibleAgainWhenTheWinnerUnregisters) {
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 200, {});
  applier().Register(n3_, def(), "k", "1.a@n3", 100, {});  // Wins; n2's claim is kept aside.
  Events();
  applier().Unregister(n3_, def(), "k", "1.a@n3", Reason::kDisconnect);
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid, "1.a@n2");
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  EXPECT_EQ(evs[1].type, "registered");
  EXPECT_EQ(evs[1].pid, "1.a@n2");
}

TEST_F(ApplierTest, WithdrawnShadowedClaimIsNeverPromoted) {
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 100, {});
  applier().Register(n3_, def(), "k", "1.a@n3", 200, {});
  Events();
  // The loser's own node evicted it: its unregister withdraws the claim, silently.
  applier().Unregister(n3_, def(), "k", "1.a@n3", Reason::kRegistryConflict);
  EXPECT_TRUE(Events().empty());
  applier().Unregister(n2_, def(), "k", "1.a@n2", Reason::kUnregister);
  EXPECT_EQ(Held("k"), nullptr);
  EXPECT_EQ(Events().size(), 1u);
}

TEST_F(ApplierTest, RemoveNodeDropsThatNodesShadowedClaimsSilently) {
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 100, {});
  applier().Register(n3_, def(), "k", "1.a@n3", 200, {});
  Events();
  applier().RemoveNode(n3_, Reason::kNodeDown);
  EXPECT_TRUE(Events().empty());
  applier().Unregister(n2_, def(), "k", "1.a@n2", Reason::kUnregister);
  EXPECT_EQ(Held("k"), nullptr) << "a claim of a node that is down became visible";
}

TEST_F(ApplierTest, HolderNodeDownPromotesTheBestShadowedClaim) {
  NodeId n4 = server_.AddNode("n4");
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 100, {});
  applier().Register(n3_, def(), "k", "1.a@n3", 300, {});
  applier().Register(n4, def(), "k", "1.a@n4", 200, {});  // The oldest of the two losers.
  Events();
  applier().RemoveNode(n2_, Reason::kNodeDown);
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid, "1.a@n4");
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  EXPECT_EQ(evs[0].reason, "nodedown");
  EXPECT_EQ(evs[1].type, "registered");
  EXPECT_EQ(evs[1].node, "n4");
  // The next one in line follows when that one goes too.
  applier().Unregister(n4, def(), "k", "1.a@n4", Reason::kUnregister);
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid, "1.a@n3");
}

TEST_F(ApplierTest, SnapshotReapplyOfAShadowedClaimEmitsNothing) {
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", 100, {});
  applier().Register(n3_, def(), "k", "1.a@n3", 200, {{"v", "1"}});
  Events();
  applier().Register(n3_, def(), "k", "1.a@n3", 200, {{"v", "1"}}, /*from_snapshot=*/true);
  EXPECT_TRUE(Events().empty());
  EXPECT_EQ(Held("k")->pid, "1.a@n2");
  // Still exactly one claim kept aside: it is promoted once, then nothing is left.
  applier().Unregister(n2_, def(), "k", "1.a@n2", Reason::kUnregister);
  EXPECT_EQ(Held("k")->pid, "1.a@n3");
  applier().Unregister(n3_, def(), "k", "1.a@n3", Reason::kUnregister);
  EXPECT_EQ(Held("k"), nullptr);
}

TEST_F(ApplierTest, RemoteClaimBehindALocalHolderBecomesVisibleWhenTheLocalProcessUnregisters) {
  // What Replication wires up: a local registration going away lets a shadowed claim in.
  server_.on_registry_vacated = [this](ClusterState& cl, std::string_view key) {
    applier().Promote(cl, key);
  };
  Client* local = NewClient();
  server_.RegisterLocal(local->owner, def(), "k", {});
  applier("oldest").Register(n2_, def(), "k", "1.a@n2", Server::NowUs() + 1000000, {});
  EXPECT_EQ(Held("k")->pid.owner(), local->owner.id);
  Events();
  ASSERT_TRUE(server_.UnregisterLocal(local->owner, def(), "k", Reason::kUnregister));
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid, "1.a@n2");
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  EXPECT_EQ(evs[1].type, "registered");
  EXPECT_EQ(evs[1].node, "n2");
}

TEST_F(ApplierTest, EvictingALocalLoserDoesNotPromoteAnOlderShadowedClaim) {
  server_.on_registry_vacated = [this](ClusterState& cl, std::string_view key) {
    applier().Promote(cl, key);
  };
  server_.config().conflict_action = "unregister";
  Client* local = NewClient();
  server_.RegisterLocal(local->owner, def(), "k", {});
  const int64_t local_time = Held("k")->time_us;
  applier("oldest").Register(n3_, def(), "k", "1.a@n3", local_time + 1000, {});  // Shadowed.
  Events();
  applier().Register(n2_, def(), "k", "1.a@n2", local_time - 1000, {});  // Beats the local one.
  ASSERT_NE(Held("k"), nullptr);
  EXPECT_EQ(Held("k")->pid, "1.a@n2");
  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  EXPECT_EQ(evs[0].pid, local->owner.pid);
  EXPECT_EQ(evs[1].pid, "1.a@n2");
}

// --- RemoveNode --------------------------------------------------------------------------------

TEST_F(ApplierTest, RemoveNodeRemovesExactlyThatNodesEntriesWithTheReason) {
  Client* local = NewClient();
  server_.RegisterLocal(local->owner, def(), "local-key", {});
  server_.JoinLocal(local->owner, def(), "g1", {});
  applier().Register(n2_, def(), "a", "1.a@n2", 100, {});
  applier().Register(n2_, def(), "b", "2.a@n2", 100, {});
  applier().Join(n2_, def(), "g1", "1.a@n2", {});
  applier().Join(n2_, def(), "g2", "1.a@n2", {});
  applier().Register(n3_, def(), "c", "1.a@n3", 100, {});
  applier().Join(n3_, def(), "g1", "1.a@n3", {});
  Events();

  applier().RemoveNode(n2_, Reason::kNodeDown);

  auto evs = Events();
  ASSERT_EQ(evs.size(), 4u) << Describe(evs);
  std::vector<std::string> seen;
  for (const Ev& e : evs) {
    EXPECT_EQ(e.node, "n2");
    EXPECT_EQ(e.reason, "nodedown");
    seen.push_back(e.type + " " + e.key + " " + e.pid);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"left g1 1.a@n2", "left g2 1.a@n2",
                                            "unregistered a 1.a@n2", "unregistered b 2.a@n2"}));
  EXPECT_EQ(Held("a"), nullptr);
  EXPECT_EQ(Held("b"), nullptr);
  EXPECT_EQ(FindGroup(def().ShardFor("g2"), "g2"), nullptr);
  ASSERT_NE(Held("c"), nullptr);
  ASSERT_NE(Held("local-key"), nullptr);
  EXPECT_NE(MemberOf("g1", "1.a@n3"), nullptr);
  EXPECT_NE(MemberOf("g1", local->owner.pid), nullptr);
  EXPECT_EQ(def().Registrations(), 2u);
  EXPECT_EQ(def().Memberships(), 2u);

  applier().RemoveNode(n2_, Reason::kNodeDown);  // Nothing left of n2: no events.
  EXPECT_TRUE(Events().empty());
}

TEST_F(ApplierTest, RemoveNodeCanBeLimitedToOneCluster) {
  ASSERT_TRUE(server_.ConnectCluster("c1", 0));
  ClusterState& c1 = *server_.FindCluster("c1");
  server_.pubsub().Subscribe(monitor_, "__gevent__@c1:*");
  applier().Register(n2_, def(), "k", "1.a@n2", 100, {});
  applier().Join(n2_, def(), "g", "1.a@n2", {});
  applier().Register(n2_, c1, "k", "1.a@n2", 100, {});
  applier().Join(n2_, c1, "g", "1.a@n2", {});
  applier().Register(n3_, c1, "k3", "1.a@n3", 100, {});
  Events();

  applier().RemoveNode(n2_, Reason::kClusterDisconnect, &c1);

  auto evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  for (const Ev& e : evs) {
    EXPECT_EQ(e.channel, "__gevent__@c1:*");
    EXPECT_EQ(e.cluster, "c1");
    EXPECT_EQ(e.reason, "cluster_disconnect");
  }
  EXPECT_EQ(Held("k", &c1), nullptr);
  EXPECT_EQ(MemberOf("g", "1.a@n2", &c1), nullptr);
  EXPECT_NE(Held("k3", &c1), nullptr) << "another node's entry in the cluster was removed";
  ASSERT_NE(Held("k"), nullptr) << "the default cluster's entry was removed";
  EXPECT_NE(MemberOf("g", "1.a@n2"), nullptr);

  // Without a cluster: every cluster, here what is left in the default one.
  applier().RemoveNode(n2_, Reason::kShutdown);
  evs = Events();
  ASSERT_EQ(evs.size(), 2u) << Describe(evs);
  for (const Ev& e : evs) {
    EXPECT_EQ(e.channel, "__gevent__:*");
    EXPECT_EQ(e.reason, "shutdown");
  }
  EXPECT_EQ(Held("k"), nullptr);
  EXPECT_NE(Held("k3", &c1), nullptr);
}

TEST_F(ApplierTest, RemoveNodeOfAnEarlierIncarnationLeavesTheNewOnesEntries) {
  // A restarted node gets a new NodeId under the same name; dropping the old one must not touch
  // what the new incarnation already registered.
  NodeId n2_new = server_.AddNode("n2");
  applier().Register(n2_, def(), "old", "1.old@n2", 100, {});
  applier().Register(n2_new, def(), "new", "1.new@n2", 200, {});
  Events();
  applier().RemoveNode(n2_, Reason::kNodeDown);
  auto evs = Events();
  ASSERT_EQ(evs.size(), 1u) << Describe(evs);
  EXPECT_EQ(evs[0].key, "old");
  EXPECT_NE(Held("new"), nullptr);
}

}  // namespace
}  // namespace groupd::replication
