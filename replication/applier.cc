#include "replication/applier.h"

#include <algorithm>
#include <vector>

#include "server/log.h"
#include "server/pubsub.h"

namespace groupd::replication {

void Applier::Register(NodeId node, ClusterState& cl, const HashedKey& hk, std::string_view pid,
                       int64_t time_us, Meta meta, bool from_snapshot, uint32_t mark) {
  const std::string_view key = hk.key;
  Shard& shard = cl.ShardFor(hk);
  // A new key (most of a snapshot or a heal) is stored in the one probe that finds it absent.
  RegEntry entry{.pid = Intern(pid), .node = node, .time_us = time_us};
  entry.snapshot_mark = mark;
  auto [found, created] = AddRegistration(shard, hk, std::move(entry), meta);
  if (!created) {
    RegEntry& held = *found;
    if (held.pid == pid) {
      // A peer may change only its own node's processes (a pid names its node; one that does
      // not, such as a local pid in a peer's frame, changes nothing here).
      if (held.node != node) return;
      if (mark != 0) held.snapshot_mark = mark;
      if (from_snapshot && held.meta() == meta) return;  // Already held.
      Meta previous;
      // A remote entry has no owner refs, so it may move.
      RegEntry* now = ReplaceMeta(shard, &held, meta, &previous);
      server_.EmitEntryEvent(EventType::kRegistered, cl, key, pid, node, meta, previous,
                             Reason::kNone, now->time_us);
      return;
    }
    // A claim that was shadowed before competes afresh (its meta may have changed).
    RemoveShadow(shard, key, pid);
    conflicts_++;
    Candidate incoming{pid, server_.NodeName(node), time_us, meta};
    Candidate current{held.pid, server_.NodeName(held.node), held.time_us, held.meta()};
    if (!Wins(policy_, incoming, current)) {
      // The holder stays visible. The claim is kept aside: if the holder turns out to be gone
      // at its own node, the claim becomes visible; if the claim's node sees the holder, it
      // evicts its process and the claim is withdrawn.
      GD_LOG_VERBOSE("registry conflict on '{}': {} keeps it over {}", key, held.pid, pid);
      AddShadow(
          shard, key,
          Registration{std::move(entry), std::move(meta)});  // NOLINT(bugprone-use-after-move)
      return;
    }
    GD_LOG_VERBOSE("registry conflict on '{}': {} wins over {}", key, pid, held.pid);
    if (held.node == kLocalNode) {
      RegEntry loser = held;
      // No promotion while evicting: the incoming claim beats every shadowed one (they lost to
      // the local holder it beats).
      evicting_cl_ = &cl;
      evicting_key_ = key;
      EvictLocalLoser(cl, key, loser, pid, node);
      evicting_cl_ = nullptr;
    } else {
      auto removed = RemoveRegistration(shard, hk);
      server_.EmitEntryEvent(EventType::kUnregistered, cl, key, removed->entry.pid,
                             removed->entry.node, removed->meta, std::nullopt,
                             Reason::kRegistryConflict, removed->entry.time_us);
      AddShadow(shard, key, std::move(*removed));
    }
  }
  // Won a conflict: the holder is gone, and entry, left alone above, goes in now.
  if (!created)
    AddRegistration(shard, hk, std::move(entry), meta);  // NOLINT(bugprone-use-after-move)
  server_.EmitEntryEvent(EventType::kRegistered, cl, key, pid, node, meta, std::nullopt,
                         Reason::kNone, time_us);
}

void Applier::Promote(ClusterState& cl, const HashedKey& hk) {
  const std::string_view key = hk.key;
  if (evicting_cl_ == &cl && evicting_key_ == key) return;
  Shard& shard = cl.ShardFor(hk);
  auto it = shard.shadows.find(key);
  if (it == shard.shadows.end() || Lookup(shard, hk) != nullptr) return;
  std::vector<Registration>& claims = it->second;
  auto candidate = [&](const Registration& c) {
    return Candidate{c.entry.pid, server_.NodeName(c.entry.node), c.entry.time_us, c.meta};
  };
  size_t best = 0;
  for (size_t i = 1; i < claims.size(); i++) {
    if (Wins(policy_, candidate(claims[i]), candidate(claims[best]))) best = i;
  }
  Registration winner = std::move(claims[best]);
  claims.erase(claims.begin() + static_cast<std::ptrdiff_t>(best));
  if (claims.empty()) shard.shadows.erase(it);
  GD_LOG_VERBOSE("registry '{}': shadowed claim of {} becomes visible", key, winner.entry.pid);
  Pid pid = winner.entry.pid;
  NodeId node = winner.entry.node;
  int64_t time_us = winner.entry.time_us;
  groupd::Register(shard, hk, std::move(winner.entry), winner.meta);
  server_.EmitEntryEvent(EventType::kRegistered, cl, key, pid, node, winner.meta, std::nullopt,
                         Reason::kNone, time_us);
}

void Applier::EvictLocalLoser(ClusterState& cl, std::string_view key, const RegEntry& loser,
                              std::string_view winner_pid, NodeId winner_node) {
  local_evictions_++;
  Client* c = server_.FindClient(loser.pid.owner());
  if (c == nullptr) {
    // No live owner (should not happen): drop the entry so the winner can be stored.
    const HashedKey hk(key);
    RemoveRegistration(cl.ShardFor(hk), hk);
    return;
  }
  // Tell the loser before it goes: a push frame on RESP3, and the notice channel for anyone
  // subscribed to it (a RESP2 process's second connection).
  std::string payload = "{\"type\":\"registry_conflict\",\"cluster\":";
  if (cl.name.empty()) {
    payload += "null";
  } else {
    AppendJsonString(cl.name, &payload);
  }
  payload += ",\"key\":";
  AppendJsonString(key, &payload);
  payload += ",\"pid\":";
  AppendJsonString(loser.pid, &payload);
  payload += ",\"winner_pid\":";
  AppendJsonString(winner_pid, &payload);
  payload += ",\"winner_node\":";
  AppendJsonString(server_.NodeName(winner_node), &payload);
  payload += ",\"action\":\"";
  bool kill = server_.config().conflict_action == "kill";
  payload += kill ? "kill" : "unregister";
  payload += "\"}";
  std::string channel = "__gnotice__:";
  channel += loser.pid.view();
  PubSub::ClientSet skip;
  if (c->proto() >= 3) {
    WriteMessageFrame(*c, channel, payload);
    server_.Delivered(*c);
    skip.insert(c);
  }
  server_.pubsub().Publish(channel, payload, server_, &skip);

  server_.UnregisterLocal(c->owner, cl, key, Reason::kRegistryConflict);
  // The notice must reach the loser before its connection closes.
  if (kill) server_.KillClient(*c, Reason::kKilled, /*flush_output=*/true);
}

void Applier::Unregister(NodeId node, ClusterState& cl, const HashedKey& hk, std::string_view pid,
                         Reason reason) {
  const std::string_view key = hk.key;
  Shard& shard = cl.ShardFor(hk);
  auto removed = groupd::Unregister(shard, hk, pid, node);
  if (!removed) {
    RemoveShadow(shard, key, pid);  // A withdrawn claim that was never visible here.
    return;
  }
  server_.EmitEntryEvent(EventType::kUnregistered, cl, key, pid, node, removed->meta, std::nullopt,
                         reason, removed->entry.time_us);
  Promote(cl, hk);
}

void Applier::Join(NodeId node, ClusterState& cl, const HashedKey& hk, std::string_view pid,
                   Meta meta, bool from_snapshot, uint32_t mark) {
  const std::string_view group = hk.key;
  Shard& shard = cl.ShardFor(hk);
  // A member already held needs a look first only while a snapshot is coming in: to mark it,
  // and to skip an unchanged one. A live join goes straight to the table.
  if (mark != 0 || from_snapshot) {
    if (Group* g = FindGroup(shard, hk)) {
      auto it = g->members.find(pid);
      if (it != g->members.end()) {
        Member& held = it->second;
        if (mark != 0 && held.node != kLocalNode) held.snapshot_mark = mark;
        if (from_snapshot && held.meta == meta) return;  // Already held.
      }
    }
  }
  Member member{.node = node, .meta = std::move(meta)};
  member.snapshot_mark = mark;
  JoinResult r = groupd::Join(shard, hk, Intern(pid), std::move(member));
  server_.EmitEntryEvent(EventType::kJoined, cl, group, pid, node, r.member->meta,
                         r.created ? std::nullopt : std::optional<MetaView>(r.previous_meta),
                         Reason::kNone, 0);
}

void Applier::Leave(NodeId node, ClusterState& cl, const HashedKey& hk, std::string_view pid,
                    Reason reason) {
  const std::string_view group = hk.key;
  Shard& shard = cl.ShardFor(hk);
  const Group* g = FindGroup(shard, hk);
  if (g == nullptr) return;
  auto it = g->members.find(pid);
  if (it == g->members.end() || it->second.node != node) return;
  auto removed = groupd::Leave(shard, hk, pid);
  server_.EmitEntryEvent(EventType::kLeft, cl, group, pid, node, removed->meta, std::nullopt,
                         reason, 0);
}

Pid Applier::Intern(std::string_view pid) {
  auto it = pids_.find(pid);
  if (it != pids_.end()) return it->second;
  if (pids_.size() >= pids_sweep_at_) {
    std::erase_if(pids_, [](const auto& kv) { return kv.second.use_count() == 1; });
    pids_sweep_at_ = std::max<size_t>(1024, 2 * pids_.size());
  }
  Pid p(pid);
  pids_.emplace(p.view(), p);
  return p;
}

void Applier::RemoveNode(NodeId node, Reason reason, ClusterState* only) {
  auto remove_in = [&](ClusterState& cl) {
    // Collect first: removal edits the tables being walked.
    std::vector<std::pair<std::string, Pid>> regs, members;
    for (auto& shard : cl.shards) {
      for (auto&& [key, e] : shard.registry) {
        if (e.node == node) regs.emplace_back(key, e.pid);
      }
      for (auto&& [name, g] : shard.groups) {
        for (auto& [pid, m] : g.members) {
          if (m.node == node) members.emplace_back(name, pid);
        }
      }
    }
    // Shadowed claims of the node go silently (they were never visible here).
    for (auto& shard : cl.shards) {
      for (auto it = shard.shadows.begin(); it != shard.shadows.end();) {
        std::erase_if(it->second, [&](const Registration& c) { return c.entry.node == node; });
        it = it->second.empty() ? shard.shadows.erase(it) : std::next(it);
      }
    }
    for (auto& [key, pid] : regs) Unregister(node, cl, key, pid, reason);
    for (auto& [group, pid] : members) Leave(node, cl, group, pid, reason);
  };
  if (only != nullptr) {
    remove_in(*only);
    return;
  }
  for (auto& [name, cl] : server_.clusters()) remove_in(*cl);
}

}  // namespace groupd::replication
