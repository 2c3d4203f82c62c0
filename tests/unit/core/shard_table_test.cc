#include "server/shard_table.h"

#include <algorithm>

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace groupd {
namespace {

constexpr NodeId kRemoteNode = 3;

Registration Entry(std::string pid, Meta meta = {}, NodeId node = kLocalNode,
                   int64_t time_us = 100) {
  return Registration{
      RegEntry{.pid = Pid(pid, node == kLocalNode ? 7u : 0u), .node = node, .time_us = time_us},
      std::move(meta)};
}

Member LocalMember(Meta meta = {}) { return Member{.node = kLocalNode, .meta = std::move(meta)}; }
Member RemoteMember(Meta meta = {}) { return Member{.node = kRemoteNode, .meta = std::move(meta)}; }

// The names ForEachGroupWithPrefix visits, sorted (it visits in no particular order), after
// checking each is visited once.
std::vector<std::string> GroupsWithPrefix(const Shard& shard, std::string_view prefix) {
  std::vector<std::string> names;
  ForEachGroupWithPrefix(shard, prefix, [&](std::string_view name, const Group& g) {
    EXPECT_EQ(FindGroup(shard, name), &g);
    names.emplace_back(name);
  });
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "a group twice";
  return names;
}

// --- Registry -------------------------------------------------------------------------------

TEST(ShardRegistryTest, RegisterNewKeyCreatesEntryAndCountsItAsLocal) {
  Shard shard;
  RegisterResult r = Register(shard, "k", Entry("p1", {{"a", "1"}}));
  EXPECT_EQ(r.outcome, RegisterOutcome::kCreated);
  EXPECT_TRUE(r.previous_meta.empty());
  ASSERT_NE(r.entry, nullptr);
  EXPECT_EQ(r.entry->pid, "p1");
  EXPECT_EQ(r.entry->meta(), (Meta{{"a", "1"}}));
  EXPECT_EQ(r.entry, Lookup(shard, "k"));
  EXPECT_EQ(shard.registry.size(), 1u);
  EXPECT_EQ(shard.local_registrations, 1u);
}

TEST(ShardRegistryTest, RegisterOfRemoteEntryIsNotCountedAsLocal) {
  Shard shard;
  Register(shard, "k", Entry("p1", {}, kRemoteNode));
  EXPECT_EQ(shard.registry.size(), 1u);
  EXPECT_EQ(shard.local_registrations, 0u);
  auto removed = RemoveRegistration(shard, "k");
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->entry.node, kRemoteNode);
  EXPECT_EQ(shard.local_registrations, 0u);
}

TEST(ShardRegistryTest, RegisterBySamePidReplacesMetaInPlaceAndKeepsRegistrationTime) {
  Shard shard;
  Register(shard, "k", Entry("p1", {{"a", "1"}, {"b", "2"}}, kLocalNode, 100));
  RegisterResult r = Register(shard, "k", Entry("p1", {{"c", "3"}}, kLocalNode, 999));
  EXPECT_EQ(r.outcome, RegisterOutcome::kUpdated);
  EXPECT_EQ(r.previous_meta, (Meta{{"a", "1"}, {"b", "2"}}));
  ASSERT_NE(r.entry, nullptr);
  EXPECT_EQ(r.entry->meta(), (Meta{{"c", "3"}}));
  EXPECT_EQ(r.entry->time_us, 100);
  EXPECT_EQ(shard.registry.size(), 1u);
  EXPECT_EQ(shard.local_registrations, 1u);
}

TEST(ShardRegistryTest, ALongerMetaMovesTheEntryAndAShorterOneStaysInPlace) {
  Shard shard;
  Register(shard, "k", Entry("p1", {{"a", "1"}}, kLocalNode, 100));
  RegEntry* first = shard.registry.Find("k");
  ASSERT_NE(first, nullptr);
  first->owned_slot = 5;
  RegisterResult r = Register(shard, "k", Entry("p1", {{"a", "1"}, {"long", std::string(300, 'x')}}));
  ASSERT_EQ(r.outcome, RegisterOutcome::kUpdated);
  EXPECT_NE(r.entry, first);
  EXPECT_EQ(r.entry, shard.registry.Find("k"));
  EXPECT_EQ(RegistryTable::KeyOf(*r.entry), "k");
  EXPECT_EQ(r.entry->pid, "p1");
  EXPECT_EQ(r.entry->owned_slot, 5u);
  EXPECT_EQ(r.entry->time_us, 100);
  EXPECT_EQ(r.entry->meta(), (Meta{{"a", "1"}, {"long", std::string(300, 'x')}}));
  RegEntry* moved = r.entry;
  r = Register(shard, "k", Entry("p1", {{"b", "2"}}));
  EXPECT_EQ(r.entry, moved);
  EXPECT_EQ(r.entry->meta(), (Meta{{"b", "2"}}));
  r = Register(shard, "k", Entry("p1"));
  EXPECT_EQ(r.entry, moved);
  EXPECT_TRUE(r.entry->meta().empty());
  EXPECT_EQ(r.previous_meta, (Meta{{"b", "2"}}));
  EXPECT_EQ(shard.registry.size(), 1u);
}

TEST(ShardRegistryTest, RegisterByAnotherPidIsTakenAndChangesNothing) {
  Shard shard;
  Register(shard, "k", Entry("p1", {{"a", "1"}}));
  RegisterResult r = Register(shard, "k", Entry("p2", {{"b", "2"}}));
  EXPECT_EQ(r.outcome, RegisterOutcome::kTaken);
  ASSERT_NE(r.entry, nullptr);
  EXPECT_EQ(r.entry->pid, "p1");
  EXPECT_TRUE(r.previous_meta.empty());
  const RegEntry* held = Lookup(shard, "k");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(held->pid, "p1");
  EXPECT_EQ(held->meta(), (Meta{{"a", "1"}}));
  EXPECT_EQ(shard.local_registrations, 1u);
}

TEST(ShardRegistryTest, UnregisterByNonHolderFailsAndKeepsEntry) {
  Shard shard;
  Register(shard, "k", Entry("p1"));
  EXPECT_FALSE(Unregister(shard, "k", "p2", kLocalNode).has_value());
  EXPECT_NE(Lookup(shard, "k"), nullptr);
  EXPECT_EQ(shard.local_registrations, 1u);
}

// A peer withdrawing its process's claim removes it only if the entry is that node's: the same pid
// text held for another node stays.
TEST(ShardRegistryTest, UnregisterChecksTheNodeAsWellAsThePid) {
  Shard shard;
  Register(shard, "k", Entry("p1", {}, kRemoteNode));
  EXPECT_FALSE(Unregister(shard, "k", "p1", kRemoteNode + 1).has_value());
  EXPECT_FALSE(Unregister(shard, "k", "p1", kLocalNode).has_value());
  ASSERT_NE(Lookup(shard, "k"), nullptr);
  auto removed = Unregister(shard, "k", "p1", kRemoteNode);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->entry.node, kRemoteNode);
  EXPECT_EQ(Lookup(shard, "k"), nullptr);
  EXPECT_EQ(NodeEntries(shard, kRemoteNode), 0u);
}

TEST(ShardRegistryTest, UnregisterOfMissingKeyFails) {
  Shard shard;
  EXPECT_FALSE(Unregister(shard, "nope", "p1", kLocalNode).has_value());
}

TEST(ShardRegistryTest, UnregisterByHolderReturnsRemovedEntry) {
  Shard shard;
  Register(shard, "k", Entry("p1", {{"a", "1"}}));
  auto removed = Unregister(shard, "k", "p1", kLocalNode);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->entry.pid, "p1");
  EXPECT_EQ(removed->meta, (Meta{{"a", "1"}}));
  EXPECT_EQ(Lookup(shard, "k"), nullptr);
  EXPECT_EQ(shard.local_registrations, 0u);
  EXPECT_TRUE(shard.registry.empty());
}

TEST(ShardRegistryTest, RemoveRegistrationRemovesWhoeverHoldsTheKey) {
  Shard shard;
  Register(shard, "k", Entry("p1"));
  auto removed = RemoveRegistration(shard, "k");
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->entry.pid, "p1");
  EXPECT_EQ(shard.local_registrations, 0u);
  EXPECT_FALSE(RemoveRegistration(shard, "k").has_value());
}

TEST(ShardRegistryTest, KeysAreBinarySafe) {
  Shard shard;
  std::string k1("a\0b", 3), k2("a\0c", 3);
  Register(shard, k1, Entry("p1"));
  Register(shard, k2, Entry("p2"));
  ASSERT_NE(Lookup(shard, k1), nullptr);
  EXPECT_EQ(Lookup(shard, k1)->pid, "p1");
  EXPECT_EQ(Lookup(shard, k2)->pid, "p2");
  EXPECT_EQ(Lookup(shard, "a"), nullptr);
}

// --- Groups ---------------------------------------------------------------------------------

TEST(ShardGroupTest, JoinCountsMembershipsAndLocalMemberships) {
  Shard shard;
  JoinResult r = Join(shard, "g", Pid("p1"), LocalMember({{"a", "1"}}));
  EXPECT_TRUE(r.created);
  EXPECT_TRUE(r.previous_meta.empty());
  Join(shard, "g", Pid("p2"), RemoteMember());
  Join(shard, "h", Pid("p1"), LocalMember());
  const Group* g = FindGroup(shard, "g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->members.size(), 2u);
  EXPECT_EQ(g->local_count, 1u);
  EXPECT_EQ(FindGroup(shard, "h")->local_count, 1u);
  EXPECT_EQ(shard.memberships, 3u);
  EXPECT_EQ(shard.local_memberships, 2u);
}

TEST(ShardGroupTest, JoinAgainReplacesMetaInPlaceWithoutCountingTwice) {
  Shard shard;
  Join(shard, "g", Pid("p1"), LocalMember({{"a", "1"}}));
  JoinResult r = Join(shard, "g", Pid("p1"), LocalMember({{"b", "2"}}));
  EXPECT_FALSE(r.created);
  EXPECT_EQ(r.previous_meta, (Meta{{"a", "1"}}));
  const Group* g = FindGroup(shard, "g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->members.size(), 1u);
  EXPECT_EQ(g->members.find("p1")->second.meta, (Meta{{"b", "2"}}));
  EXPECT_EQ(g->local_count, 1u);
  EXPECT_EQ(shard.memberships, 1u);
  EXPECT_EQ(shard.local_memberships, 1u);
}

TEST(ShardGroupTest, MembersAreOrderedByPid) {
  Shard shard;
  for (const char* pid : {"c", "a", "b"}) Join(shard, "g", Pid(pid), LocalMember());
  std::vector<std::string> pids;
  for (const auto& [pid, m] : FindGroup(shard, "g")->members) pids.push_back(pid.str());
  EXPECT_EQ(pids, (std::vector<std::string>{"a", "b", "c"}));
}

TEST(ShardGroupTest, LeaveRemovesMemberAndUpdatesCounts) {
  Shard shard;
  Join(shard, "g", Pid("p1"), LocalMember({{"a", "1"}}));
  Join(shard, "g", Pid("p2"), RemoteMember());
  auto removed = Leave(shard, "g", "p1");
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->meta, (Meta{{"a", "1"}}));
  const Group* g = FindGroup(shard, "g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->members.size(), 1u);
  EXPECT_EQ(g->local_count, 0u);
  EXPECT_EQ(shard.memberships, 1u);
  EXPECT_EQ(shard.local_memberships, 0u);
  // A remote member leaving leaves the local counts alone.
  ASSERT_TRUE(Leave(shard, "g", "p2").has_value());
  EXPECT_EQ(shard.memberships, 0u);
  EXPECT_EQ(shard.local_memberships, 0u);
}

TEST(ShardGroupTest, LeavingTheLastMemberErasesTheGroup) {
  Shard shard;
  Join(shard, "g", Pid("p1"), LocalMember());
  ASSERT_TRUE(Leave(shard, "g", "p1").has_value());
  EXPECT_EQ(FindGroup(shard, "g"), nullptr);
  EXPECT_TRUE(shard.groups.empty());
}

TEST(ShardGroupTest, LeaveByNonMemberOrOfUnknownGroupFails) {
  Shard shard;
  Join(shard, "g", Pid("p1"), LocalMember());
  EXPECT_FALSE(Leave(shard, "g", "p2").has_value());
  EXPECT_FALSE(Leave(shard, "nope", "p1").has_value());
  EXPECT_EQ(shard.memberships, 1u);
  EXPECT_EQ(FindGroup(shard, "g")->members.size(), 1u);
}

TEST(ShardGroupTest, ForEachGroupWithPrefixVisitsExactlyTheGroupsUnderThePrefix) {
  Shard shard;
  // Neighbours of "a/" on both sides in byte order: "a" < "a." < "a/" < "a/..." < "a0" < "b/".
  for (const char* name : {"a0", "a/b", "a", "b/", "a/", "a.", "a/b/c", "a/\xff", "a//"}) {
    Join(shard, name, Pid("p"), LocalMember());
  }
  EXPECT_TRUE(PrefixIndexInStep(shard));
  EXPECT_EQ(GroupsWithPrefix(shard, "a/"),
            (std::vector<std::string>{"a/", "a//", "a/b", "a/b/c", "a/\xff"}));
  EXPECT_EQ(GroupsWithPrefix(shard, "a/b/"), (std::vector<std::string>{"a/b/c"}));
  EXPECT_EQ(GroupsWithPrefix(shard, "a//"), (std::vector<std::string>{"a//"}));
  EXPECT_EQ(GroupsWithPrefix(shard, "b/"), (std::vector<std::string>{"b/"}));
  EXPECT_TRUE(GroupsWithPrefix(shard, "z/").empty());
  EXPECT_TRUE(GroupsWithPrefix(shard, "a0/").empty());
  EXPECT_TRUE(GroupsWithPrefix(shard, "/").empty());
}

TEST(ShardGroupTest, AGroupLeavesThePrefixIndexWithItsLastMember) {
  Shard shard;
  Join(shard, "x/1", Pid("p"), LocalMember());
  Join(shard, "x/1", Pid("q"), LocalMember());
  Join(shard, "x/y/2", Pid("p"), LocalMember());
  EXPECT_EQ(GroupsWithPrefix(shard, "x/"), (std::vector<std::string>{"x/1", "x/y/2"}));
  ASSERT_TRUE(Leave(shard, "x/1", "p").has_value());  // q is still a member.
  EXPECT_EQ(GroupsWithPrefix(shard, "x/"), (std::vector<std::string>{"x/1", "x/y/2"}));
  ASSERT_TRUE(Leave(shard, "x/1", "q").has_value());
  EXPECT_EQ(GroupsWithPrefix(shard, "x/"), (std::vector<std::string>{"x/y/2"}));
  EXPECT_TRUE(PrefixIndexInStep(shard));
  ASSERT_TRUE(Leave(shard, "x/y/2", "p").has_value());
  EXPECT_TRUE(GroupsWithPrefix(shard, "x/").empty());
  EXPECT_TRUE(shard.prefixes.empty());  // Emptied prefixes are dropped, not kept.
  EXPECT_TRUE(PrefixIndexInStep(shard));
}

TEST(ShardGroupTest, NamesWithoutSlashCostThePrefixIndexNothing) {
  Shard shard;
  for (int i = 0; i < 100; i++) Join(shard, "room:" + std::to_string(i), Pid("p"), LocalMember());
  EXPECT_EQ(shard.groups.size(), 100u);
  EXPECT_TRUE(shard.prefixes.empty());
}

TEST(ShardGroupTest, IsPrefixQueryIsTrueOnlyForNamesEndingInSlash) {
  EXPECT_TRUE(IsPrefixQuery("a/"));
  EXPECT_TRUE(IsPrefixQuery("/"));
  EXPECT_TRUE(IsPrefixQuery("a/b/"));
  EXPECT_FALSE(IsPrefixQuery("a"));
  EXPECT_FALSE(IsPrefixQuery("a/b"));
  EXPECT_FALSE(IsPrefixQuery("/a"));
  EXPECT_FALSE(IsPrefixQuery(""));
}

}  // namespace
}  // namespace groupd
