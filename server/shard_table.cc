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

// Removes the registration under key if remove(entry) says so; returns it, its meta copied out
// of the node before the node goes.
template <typename Pred>
std::optional<Registration> RemoveRegistrationIf(Shard& shard, const HashedKey& key,
                                                 Pred&& remove) {
  std::optional<Registration> removed;
  shard.registry.EraseIf(key, [&](RegEntry& e) {
    if (!remove(e)) return false;
    Meta meta(e.meta());
    removed.emplace(Registration{std::move(e), std::move(meta)});
    return true;
  });
  if (removed) {
    if (removed->entry.node == kLocalNode) shard.local_registrations--;
    CountNode(shard, removed->entry.node, false);
  }
  return removed;
}

// Calls fn with each prefix of name that ends in '/' ("a/" and "a/b/" of "a/b/c").
template <typename Fn>
void ForEachPrefix(std::string_view name, Fn&& fn) {
  for (size_t i = name.find('/'); i != std::string_view::npos; i = name.find('/', i + 1)) {
    fn(name.substr(0, i + 1));
  }
}

}  // namespace

std::pair<RegEntry*, bool> AddRegistration(Shard& shard, const HashedKey& key, RegEntry&& entry,
                                           MetaView meta) {
  const NodeId node = entry.node;
  auto added = shard.registry.Insert(key, std::move(entry), meta.Encoded());
  if (added.second) {
    if (node == kLocalNode) shard.local_registrations++;
    CountNode(shard, node, true);
  }
  return added;
}

RegisterResult Register(Shard& shard, const HashedKey& key, RegEntry&& entry, MetaView meta) {
  // AddRegistration leaves entry alone when the key is held, so it is still ours to compare.
  auto [held, created] = AddRegistration(shard, key, std::move(entry), meta);
  if (created) return {RegisterOutcome::kCreated, {}, held};
  if (held->pid != entry.pid)
    return {RegisterOutcome::kTaken, {}, held};  // NOLINT(bugprone-use-after-move)
  Meta previous;
  held = ReplaceMeta(shard, held, meta, &previous);
  return {RegisterOutcome::kUpdated, std::move(previous), held};
}

RegEntry* ReplaceMeta(Shard& shard, RegEntry* entry, MetaView meta, Meta* previous) {
  MetaView old = entry->meta();
  *previous = Meta(old);
  return shard.registry.ReplaceTail(entry, old.Encoded().size(), meta.Encoded());
}

std::optional<Registration> Unregister(Shard& shard, const HashedKey& key, std::string_view pid,
                                       NodeId node) {
  return RemoveRegistrationIf(shard, key,
                              [&](const RegEntry& e) { return e.pid == pid && e.node == node; });
}

std::optional<Registration> RemoveRegistration(Shard& shard, const HashedKey& key) {
  return RemoveRegistrationIf(shard, key, [](const RegEntry&) { return true; });
}

const RegEntry* Lookup(const Shard& shard, const HashedKey& key) {
  return shard.registry.Find(key);
}

void AddShadow(Shard& shard, std::string_view key, Registration&& claim) {
  auto it = shard.shadows.find(key);
  if (it == shard.shadows.end())
    it = shard.shadows.emplace(std::string(key), std::vector<Registration>{}).first;
  for (auto& c : it->second) {
    if (c.entry.pid == claim.entry.pid) {
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
  std::erase_if(it->second, [&](const Registration& c) { return c.entry.pid == pid; });
  bool removed = it->second.size() != before;
  if (it->second.empty()) shard.shadows.erase(it);
  return removed;
}

JoinResult Join(Shard& shard, const HashedKey& group, const Pid& pid, Member&& member) {
  // Not a structured binding: the lambda below captures the group, which clang before 16
  // refuses for a binding (make fuzz builds with Debian 12's clang 14).
  std::pair<Group*, bool> inserted = shard.groups.Insert(group, Group{});
  Group* g = inserted.first;
  if (inserted.second) {
    ForEachPrefix(group.key, [&](std::string_view prefix) {
      auto it = shard.prefixes.find(prefix);
      if (it == shard.prefixes.end()) it = shard.prefixes.try_emplace(std::string(prefix)).first;
      it->second.insert(g);
    });
  }
  auto mit = g->members.find(pid);
  if (mit != g->members.end()) {
    Meta previous = std::move(mit->second.meta);
    mit->second.meta = std::move(member.meta);
    return {false, std::move(previous), &mit->second, g};
  }
  bool local = member.node == kLocalNode;
  CountNode(shard, member.node, true);
  mit = g->members.emplace(pid, std::move(member)).first;
  shard.memberships++;
  if (local) {
    g->local_count++;
    shard.local_memberships++;
  }
  return {true, {}, &mit->second, g};
}

std::optional<Member> Leave(Shard& shard, const HashedKey& group, std::string_view pid) {
  std::optional<Member> removed;
  // One probe: the group is erased from inside the walk when its last member leaves.
  shard.groups.EraseIf(group, [&](Group& g) {
    auto mit = g.members.find(pid);
    if (mit == g.members.end()) return false;
    removed.emplace(std::move(mit->second));
    g.members.erase(mit);
    shard.memberships--;
    CountNode(shard, removed->node, false);
    if (removed->node == kLocalNode) {
      g.local_count--;
      shard.local_memberships--;
    }
    if (!g.members.empty()) return false;
    ForEachPrefix(group.key, [&](std::string_view prefix) {
      auto it = shard.prefixes.find(prefix);
      it->second.erase(&g);
      if (it->second.empty()) shard.prefixes.erase(it);
    });
    return true;
  });
  return removed;
}

const Group* FindGroup(const Shard& shard, const HashedKey& group) {
  return shard.groups.Find(group);
}

Group* FindGroup(Shard& shard, const HashedKey& group) { return shard.groups.Find(group); }

bool PrefixIndexInStep(const Shard& shard) {
  size_t listed = 0;
  for (const auto& [prefix, groups] : shard.prefixes) {
    if (groups.empty()) return false;
    listed += groups.size();
  }
  size_t expected = 0;
  for (auto&& entry : shard.groups) {
    const Group* g = &entry.second;  // Not a binding: captured below (see Join).
    bool ok = true;
    ForEachPrefix(entry.first, [&](std::string_view prefix) {
      auto it = shard.prefixes.find(prefix);
      ok = ok && it != shard.prefixes.end() && it->second.contains(g);
      expected++;
    });
    if (!ok) return false;
  }
  return listed == expected;
}

}  // namespace groupd
