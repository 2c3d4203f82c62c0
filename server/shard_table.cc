#include "server/shard_table.h"

namespace groupd {

namespace {

void CountNode(Shard& shard, NodeId node, bool added) {
  if (node >= shard.node_entries.size()) shard.node_entries.resize(node + 1);
  if (added) {
    shard.node_entries[node]++;
  } else {
    shard.node_entries[node]--;
  }
}

}  // namespace

RegisterResult Register(Shard& shard, std::string_view key, RegEntry&& entry) {
  if (RegEntry* held = shard.registry.Find(key)) {
    if (held->pid != entry.pid) return {RegisterOutcome::kTaken, {}, held};
    Meta previous = std::move(held->meta);
    held->meta = std::move(entry.meta);
    return {RegisterOutcome::kUpdated, std::move(previous), held};
  }
  NodeId node = entry.node;
  RegEntry* ins = shard.registry.Insert(key, std::move(entry)).first;
  if (node == kLocalNode) shard.local_registrations++;
  CountNode(shard, node, true);
  return {RegisterOutcome::kCreated, {}, ins};
}

std::optional<RegEntry> Unregister(Shard& shard, std::string_view key, std::string_view pid) {
  const RegEntry* held = shard.registry.Find(key);
  if (held == nullptr || held->pid != pid) return std::nullopt;
  return RemoveRegistration(shard, key);
}

std::optional<RegEntry> RemoveRegistration(Shard& shard, std::string_view key) {
  std::optional<RegEntry> removed = shard.registry.Erase(key);
  if (!removed) return std::nullopt;
  if (removed->node == kLocalNode) shard.local_registrations--;
  CountNode(shard, removed->node, false);
  return removed;
}

const RegEntry* Lookup(const Shard& shard, std::string_view key) { return shard.registry.Find(key); }

void AddShadow(Shard& shard, std::string_view key, RegEntry&& claim) {
  auto it = shard.shadows.find(key);
  if (it == shard.shadows.end()) it = shard.shadows.emplace(std::string(key), std::vector<RegEntry>{}).first;
  for (auto& c : it->second) {
    if (c.pid == claim.pid) {
      c = std::move(claim);
      return;
    }
  }
  it->second.push_back(std::move(claim));
}

bool RemoveShadow(Shard& shard, std::string_view key, std::string_view pid) {
  auto it = shard.shadows.find(key);
  if (it == shard.shadows.end()) return false;
  size_t before = it->second.size();
  std::erase_if(it->second, [&](const RegEntry& c) { return c.pid == pid; });
  bool removed = it->second.size() != before;
  if (it->second.empty()) shard.shadows.erase(it);
  return removed;
}

JoinResult Join(Shard& shard, std::string_view group, const Pid& pid, Member&& member) {
  Shard::GroupMap::iterator entry;
  if (auto it = shard.group_index.find(group); it != shard.group_index.end()) {
    entry = it->second;
  } else {
    entry = shard.groups.emplace(std::string(group), Group{}).first;
    shard.group_index.emplace(std::string_view(entry->first), entry);
  }
  const std::string* name = &entry->first;
  Group& g = entry->second;
  auto mit = g.members.find(pid);
  if (mit != g.members.end()) {
    Meta previous = std::move(mit->second.meta);
    mit->second.meta = std::move(member.meta);
    return {false, std::move(previous), &mit->second, name};
  }
  bool local = member.node == kLocalNode;
  CountNode(shard, member.node, true);
  mit = g.members.emplace(pid, std::move(member)).first;
  shard.memberships++;
  if (local) {
    g.local_count++;
    shard.local_memberships++;
  }
  return {true, {}, &mit->second, name};
}

std::optional<Member> Leave(Shard& shard, std::string_view group, std::string_view pid) {
  auto index = shard.group_index.find(group);
  if (index == shard.group_index.end()) return std::nullopt;
  Group& g = index->second->second;
  auto mit = g.members.find(pid);
  if (mit == g.members.end()) return std::nullopt;
  Member removed = std::move(mit->second);
  g.members.erase(mit);
  shard.memberships--;
  CountNode(shard, removed.node, false);
  if (removed.node == kLocalNode) {
    g.local_count--;
    shard.local_memberships--;
  }
  if (g.members.empty()) {
    // The index's key views the name the map erases: drop the index entry first.
    Shard::GroupMap::iterator node = index->second;
    shard.group_index.erase(index);
    shard.groups.erase(node);
  }
  return removed;
}

const Group* FindGroup(const Shard& shard, std::string_view group) {
  auto it = shard.group_index.find(group);
  return it == shard.group_index.end() ? nullptr : &it->second->second;
}

Group* FindGroup(Shard& shard, std::string_view group) {
  auto it = shard.group_index.find(group);
  return it == shard.group_index.end() ? nullptr : &it->second->second;
}

}  // namespace groupd
