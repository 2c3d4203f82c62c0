#include "server/server.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

#include "server/errors.h"
#include "server/log.h"

namespace groupd {

namespace {

// Output a client that has not authenticated yet may have queued: Redis's 16 KiB static reply
// buffer plus the 1 KiB it lets such a client add to its reply list, so that a client that
// sends commands without AUTH and never reads cannot make the server hold its replies.
constexpr size_t kUnauthenticatedOutputLimit = 16 * 1024 + 1024;

std::string Base36(uint64_t v) {
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[v % 36]);
    v /= 36;
  } while (v != 0);
  return s;
}

std::string DefaultNodeName(int port) {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    snprintf(host, sizeof(host), "localhost");
  }
  return fmt::format("{}:{}", host, port);
}

}  // namespace

size_t ClusterState::Registrations() const {
  size_t n = 0;
  for (const auto& s : shards) n += s.registry.size();
  return n;
}
size_t ClusterState::LocalRegistrations() const {
  size_t n = 0;
  for (const auto& s : shards) n += s.local_registrations;
  return n;
}
size_t ClusterState::Memberships() const {
  size_t n = 0;
  for (const auto& s : shards) n += s.memberships;
  return n;
}
size_t ClusterState::LocalMemberships() const {
  size_t n = 0;
  for (const auto& s : shards) n += s.local_memberships;
  return n;
}

int64_t Server::NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t Server::NowUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

Server::Server(Config config) : config_(std::move(config)), start_ms_(NowMs()) {
  node_name_ = config_.node_name.empty() ? DefaultNodeName(config_.port) : config_.node_name;
  // The incarnation is the start time in microseconds: a restarted node always gets a larger
  // one, so pids of an earlier run are never issued again.
  incarnation_ = Base36(static_cast<uint64_t>(NowUs()));
  default_cluster_ =
      clusters_.emplace("", std::make_unique<ClusterState>("", config_.shards)).first->second.get();
  node_names_.push_back(node_name_);
  RegisterAllCommands(commands_);
  acl_ = std::make_unique<Acl>(&commands_);
  if (auto err = ApplyAuthConfig()) GD_LOG_WARN("{}", *err);
}

Server::~Server() = default;

void Server::SetListeningPort(int port) {
  // Keep an ephemeral client port's peer port ephemeral too, then report the real port.
  if (config_.peer_port < 0 && config_.port == 0) config_.peer_port = 0;
  config_.port = port;
  if (config_.node_name.empty()) node_name_ = DefaultNodeName(port);
  node_names_[0] = node_name_;
}

std::optional<std::string> Server::ApplyAuthConfig() {
  for (const auto& line : config_.users) {
    auto words = SplitConfigLine(line);
    if (!words || words->empty()) return "bad user line '" + line + "'";
    std::vector<std::string_view> rules(words->begin() + 1, words->end());
    if (auto err = acl_->SetUser((*words)[0], rules)) return "user " + (*words)[0] + ": " + *err;
  }
  // requirepass is the default user's password, as in Redis.
  std::string pass = ">" + config_.requirepass;
  std::vector<std::string_view> rules = {"resetpass"};
  rules.push_back(config_.requirepass.empty() ? std::string_view("nopass") : pass);
  return acl_->SetUser("default", rules);
}

bool Server::Authenticate(Client& c, std::string_view user, std::string_view password) {
  auto u = acl_->Authenticate(user, password);
  if (!u) return false;
  c.acl_user = std::move(u);
  c.user = std::string(user);
  c.authenticated = true;
  return true;
}

void Server::ResetAuth(Client& c) {
  c.acl_user = acl_->Find("default");
  c.user = "default";
  c.authenticated = c.acl_user && c.acl_user->enabled && c.acl_user->nopass;
}

NodeId Server::AddNode(std::string_view name) {
  node_names_.emplace_back(name);
  return static_cast<NodeId>(node_names_.size() - 1);
}

protocol::ParserLimits Server::LimitsFor(const Client& c) const {
  protocol::ParserLimits limits;
  limits.max_bulk_len = config_.proto_max_bulk_len;
  limits.max_multibulk_len = config_.proto_max_multibulk_len;
  limits.max_inline_len = static_cast<size_t>(config_.proto_inline_max_size);
  limits.unauthenticated = AuthRequired(c);
  return limits;
}

// --- Clients ------------------------------------------------------------------------------------

bool Server::AttachClient(Client* c) {
  stats_.total_connections++;
  c->created_ms = c->last_interaction_ms = NowMs();
  c->owner.id = c->id;
  // As in Redis: with no password set, a client is the default user from the start.
  ResetAuth(*c);
  c->owner.pid = Pid(fmt::format("{}.{}@{}", c->id, incarnation_, node_name_), c->owner.id);
  if (static_cast<int64_t>(clients_.size()) >= config_.maxclients) {
    stats_.rejected_connections++;
    c->writer.Error(errors::kMaxClients);
    c->close_after_reply = true;
    return false;
  }
  clients_.emplace(c->id, c);
  clients_by_pid_.emplace(c->owner.pid.view(), c);
  return true;
}

void Server::DetachClient(Client* c) {
  if (clients_.erase(c->id) == 0) return;
  clients_by_pid_.erase(c->owner.pid.view());
  RemoveOwnerEntries(c->owner, c->close_reason);
  pubsub_.RemoveClient(c);
  // Drop it from the pending list: the caller frees it after this returns.
  if (c->pending) {
    std::erase(pending_, c);
    c->pending = false;
  }
}

Client* Server::FindClient(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second;
}

Client* Server::FindClientByPid(std::string_view pid) {
  auto it = clients_by_pid_.find(pid);
  return it == clients_by_pid_.end() ? nullptr : it->second;
}

void Server::KillClient(Client& c, Reason reason, bool flush_output) {
  if (c.close_asap) return;
  c.close_reason = reason;
  if (flush_output) {
    c.close_after_reply = true;
  } else {
    c.close_asap = true;
  }
  // Entries go at once, so that the events precede anything else this loop turn does.
  RemoveOwnerEntries(c.owner, reason);
  MarkPending(c);
}

// --- Clusters -----------------------------------------------------------------------------------

ClusterState* Server::FindCluster(std::string_view name) {
  if (name.empty()) return default_cluster_;  // Most commands name no cluster.
  auto it = clusters_.find(name);
  return it == clusters_.end() ? nullptr : it->second.get();
}

bool Server::ConnectCluster(std::string_view name, int64_t ttl_ms) {
  if (FindCluster(name) != nullptr) return false;
  auto cl = std::make_unique<ClusterState>(std::string(name), config_.shards);
  if (ttl_ms > 0) {
    int64_t now = NowMs();
    cl->lease_deadline_ms = ttl_ms > INT64_MAX - now ? INT64_MAX : now + ttl_ms;
  }
  clusters_.emplace(std::string(name), std::move(cl));
  GD_LOG_INFO("connected to cluster '{}'", name);
  if (on_cluster_change) on_cluster_change(name, true);
  return true;
}

bool Server::DisconnectCluster(std::string_view name_arg) {
  // Copy: the caller's view may point into the cluster state this function erases.
  const std::string name(name_arg);
  ClusterState* cl = FindCluster(name);
  if (cl == nullptr || name.empty()) return false;
  // Remove local owners' entries with events; collect first since removal edits the tables.
  struct Local {
    EntryKind kind;
    std::string key;
    OwnerId owner;
  };
  std::vector<Local> locals;
  for (auto& shard : cl->shards) {
    for (auto&& [key, e] : shard.registry) {
      if (e.node == kLocalNode) {
        locals.push_back({EntryKind::kRegistry, std::string(key), e.pid.owner()});
      }
    }
    for (auto&& [gname, g] : shard.groups) {
      for (auto& [pid, m] : g.members) {
        if (m.node == kLocalNode)
          locals.push_back({EntryKind::kGroup, std::string(gname), pid.owner()});
      }
    }
  }
  for (const auto& l : locals) {
    Client* c = FindClient(l.owner);
    if (c == nullptr) continue;
    if (l.kind == EntryKind::kRegistry) {
      UnregisterLocal(c->owner, *cl, l.key, Reason::kClusterDisconnect);
    } else {
      LeaveLocal(c->owner, *cl, l.key, Reason::kClusterDisconnect);
    }
  }
  // Remote entries are dropped silently: this node no longer follows the cluster.
  clusters_.erase(clusters_.find(name));
  GD_LOG_INFO("disconnected from cluster '{}'", name);
  if (on_cluster_change) on_cluster_change(name, false);
  return true;
}

// --- Local entries -------------------------------------------------------------------------------

RegisterResult Server::RegisterLocal(Owner& owner, ClusterState& cl, std::string_view key,
                                     MetaView meta) {
  int64_t now = NowUs();
  RegEntry entry{.pid = owner.pid, .node = kLocalNode, .time_us = now};
  const HashedKey hk(key);
  RegisterResult r = Register(cl.ShardFor(hk), hk, std::move(entry), meta);
  if (r.outcome == RegisterOutcome::kTaken) return r;
  std::optional<MetaView> prev;
  if (r.outcome == RegisterOutcome::kCreated) {
    r.entry->owned_slot = owner.owned.Add(&cl, OwnedIndex::Ref::Registry(r.entry));
  } else {
    // A longer meta may have moved the entry.
    owner.owned.Set(&cl, r.entry->owned_slot, OwnedIndex::Ref::Registry(r.entry));
    prev = r.previous_meta;
  }
  // The entry holds meta now (read from the argument: the node's copy has no length).
  EmitEntryEvent(EventType::kRegistered, cl, key, owner.pid, kLocalNode, meta, prev, Reason::kNone,
                 r.entry->time_us);
  return r;
}

void Server::DropOwnedRef(Owner& owner, ClusterState& cl, uint32_t slot) {
  const OwnedIndex::Ref* moved = owner.owned.Remove(&cl, slot);
  if (moved == nullptr) return;
  if (moved->kind() == EntryKind::kRegistry) {
    moved->entry()->owned_slot = slot;
  } else {
    moved->group()->members.find(owner.pid)->second.owned_slot = slot;
  }
}

bool Server::UnregisterLocal(Owner& owner, ClusterState& cl, std::string_view key, Reason reason) {
  const HashedKey hk(key);
  auto removed = Unregister(cl.ShardFor(hk), hk, owner.pid, kLocalNode);
  if (!removed) return false;
  DropOwnedRef(owner, cl, removed->entry.owned_slot);
  EmitEntryEvent(EventType::kUnregistered, cl, key, owner.pid, kLocalNode, removed->meta,
                 std::nullopt, reason, removed->entry.time_us);
  if (on_registry_vacated) on_registry_vacated(cl, key);
  return true;
}

JoinResult Server::JoinLocal(Owner& owner, ClusterState& cl, std::string_view group, Meta meta) {
  const HashedKey hk(group);
  JoinResult r =
      Join(cl.ShardFor(hk), hk, owner.pid, Member{.node = kLocalNode, .meta = std::move(meta)});
  if (r.created) r.member->owned_slot = owner.owned.Add(&cl, OwnedIndex::Ref::Group(r.group));
  EmitEntryEvent(EventType::kJoined, cl, group, owner.pid, kLocalNode, r.member->meta,
                 r.created ? std::nullopt : std::optional<MetaView>(r.previous_meta), Reason::kNone,
                 0);
  return r;
}

bool Server::LeaveLocal(Owner& owner, ClusterState& cl, std::string_view group, Reason reason) {
  const HashedKey hk(group);
  auto removed = Leave(cl.ShardFor(hk), hk, owner.pid);
  if (!removed) return false;
  DropOwnedRef(owner, cl, removed->owned_slot);
  EmitEntryEvent(EventType::kLeft, cl, group, owner.pid, kLocalNode, removed->meta, std::nullopt,
                 reason, 0);
  return true;
}

void Server::RemoveOwnerEntries(Owner& owner, Reason reason) {
  // From the back, so each removal takes the last ref and nothing moves in the index. The ref's
  // key points into the table, so it is copied before its entry (and maybe the string) goes.
  std::string key;
  while (!owner.owned.empty()) {
    uint32_t last;
    auto [cl, ref] = owner.owned.Last(&last);
    key = ref.key();
    bool removed = ref.kind() == EntryKind::kRegistry ? UnregisterLocal(owner, *cl, key, reason)
                                                      : LeaveLocal(owner, *cl, key, reason);
    if (!removed) owner.owned.Remove(cl, last);  // Never expected: the index and table disagree.
  }
}

// --- Events --------------------------------------------------------------------------------------

void Server::EmitEntryEvent(EventType type, ClusterState& cl, std::string_view key,
                            std::string_view pid, NodeId node, std::optional<MetaView> meta,
                            std::optional<MetaView> previous, Reason reason, int64_t time_us) {
  Event e{type, cl.name, key, pid, node_names_[node], meta, previous, reason};
  e.origin = node;
  e.time_us = time_us;
  Emit(e);
}

void Server::Emit(Event& event) {
  BeginDelivery();
  event.seq = ++event_seq_;
  stats_.events++;
  if (pubsub_.NumMonitorChannels() == 0 && !pubsub_.HasPatterns()) {
    // Nobody monitors: skip building channel names; listeners still see every event.
    for (EventListener* l : listeners_) l->OnEvent(event);
    EndDelivery();
    return;
  }
  // Monitors are subscribers of __gevent__[@c]:<pattern> channels. The patterns that can match a
  // key are the key itself, each of its prefixes ending in '/', and '*', so delivery costs a few
  // hash lookups however many monitors exist.
  std::string channel = "__gevent__";
  if (!event.cluster.empty()) {
    channel.push_back('@');
    channel.append(event.cluster);
  }
  channel.push_back(':');
  const size_t base = channel.size();
  std::string payload;
  // PSUBSCRIBE patterns are matched against the key's own channel only, so a pattern subscriber
  // gets each event once.
  auto publish = [&](std::string_view pattern, bool match_patterns) {
    channel.resize(base);
    channel.append(pattern);
    if (!pubsub_.WouldDeliver(channel, match_patterns)) return;
    if (payload.empty()) AppendEventJson(event, &payload);
    pubsub_.Publish(channel, payload, *this, nullptr, match_patterns);
  };
  publish(event.key, true);
  for (size_t i = 0; i + 1 < event.key.size(); i++) {
    if (event.key[i] == '/') publish(event.key.substr(0, i + 1), false);
  }
  publish("*", false);
  for (EventListener* l : listeners_) l->OnEvent(event);
  EndDelivery();
}

void Server::EndDelivery() {
  if (--delivering_ > 0) return;
  // Checks may close clients, whose removal emits events that queue further checks.
  while (!limit_checks_.empty()) {
    std::vector<Client*> batch;
    batch.swap(limit_checks_);
    for (Client* c : batch) {
      if (clients_.count(c->id)) CheckOutputLimits(*c);
    }
  }
}

size_t Server::Publish(std::string_view channel, std::string_view payload) {
  stats_.pubsub_messages++;
  if (on_publish) on_publish(channel, payload);
  BeginDelivery();
  size_t n = pubsub_.Publish(channel, payload, *this);
  EndDelivery();
  return n;
}

size_t Server::DispatchLocal(ClusterState& cl, std::string_view group, std::string_view message) {
  BeginDelivery();
  stats_.dispatches++;
  // The channel names and the set of connections reached live in scratch members that keep
  // their capacity between dispatches (no allocation per dispatch); a nested dispatch, which
  // nothing does today, would get its own.
  DispatchScratch local;
  DispatchScratch& scratch = dispatch_scratch_busy_ ? local : dispatch_scratch_;
  bool owns_scratch = !dispatch_scratch_busy_;
  dispatch_scratch_busy_ = true;
  std::string& channel = scratch.channel;
  channel.assign("__gdispatch__");
  if (!cl.name.empty()) {
    channel.push_back('@');
    channel.append(cl.name);
  }
  channel.push_back(':');
  channel.append(group);

  PubSub::ClientSet& reached = scratch.reached;
  reached.clear();
  std::string& inbox = scratch.inbox;
  // A process receives on its own connection when that can take frames, else on connections
  // subscribed to its inbox channel.
  auto deliver_to_pid = [&](std::string_view pid, OwnerId owner) {
    Client* c = FindClient(owner);
    bool delivered = false;
    if (c != nullptr && c->can_take_frames()) {
      if (reached.insert(c).second) {
        WriteMessageFrame(*c, channel, message);
        Delivered(*c);
      }
      delivered = true;
    }
    inbox.assign("__ginbox__:");
    inbox.append(pid);
    if (const auto* subs = pubsub_.Subscribers(inbox)) {
      for (Client* s : *subs) {
        if (reached.insert(s).second) {
          WriteMessageFrame(*s, inbox, message);
          Delivered(*s);
        }
        delivered = true;
      }
    }
    if (!delivered) stats_.dispatch_skipped++;
  };

  const HashedKey hk(group);
  Shard& shard = cl.ShardFor(hk);
  const Group* g = FindGroup(shard, hk);
  if (g != nullptr) {
    for (const auto& [pid, m] : g->members) {
      if (m.node == kLocalNode) deliver_to_pid(pid, pid.owner());
    }
  }
  // The process registered under the key, unless it is also a member (it got it already).
  if (const RegEntry* e = Lookup(shard, hk);
      e != nullptr && e->node == kLocalNode && (g == nullptr || !g->members.contains(e->pid))) {
    deliver_to_pid(e->pid, e->pid.owner());
  }
  // Subscribers of the dispatch channel (and matching patterns), skipping connections reached.
  size_t n = reached.size() + pubsub_.Publish(channel, message, *this, &reached);
  stats_.dispatch_deliveries += n;
  if (owns_scratch) {
    dispatch_scratch_busy_ = false;
    // A dispatch that reached many connections leaves a big bucket array behind: drop it.
    if (reached.bucket_count() > 1024) PubSub::ClientSet().swap(reached);
  }
  EndDelivery();
  return n;
}

// --- Output --------------------------------------------------------------------------------------

void Server::Delivered(Client& c) {
  MarkPending(c);
  if (delivering_ > 0) {
    limit_checks_.push_back(&c);
  } else {
    CheckOutputLimits(c);
  }
}

void Server::MarkPending(Client& c) {
  if (c.pending) return;
  c.pending = true;
  pending_.push_back(&c);
}

std::vector<Client*> Server::TakePending() {
  std::vector<Client*> out;
  out.swap(pending_);
  for (Client* c : out) c->pending = false;
  return out;
}

void Server::CheckOutputLimits(Client& c) {
  if (c.close_asap) return;
  bool pubsub_class = c.subscription_count() > 0;
  const OutputLimit& lim = pubsub_class ? config_.obuf_pubsub : config_.obuf_normal;
  size_t used = c.output_bytes();
  bool over = false;
  if (AuthRequired(c) && used > kUnauthenticatedOutputLimit) {
    over = true;
  } else if (lim.hard > 0 && used >= lim.hard) {
    over = true;
  } else if (lim.soft > 0 && used >= lim.soft) {
    int64_t now = NowMs();
    if (c.obuf_soft_since_ms == 0) {
      c.obuf_soft_since_ms = now;
    } else if (lim.soft_seconds <= INT64_MAX / 1000 &&
               now - c.obuf_soft_since_ms > lim.soft_seconds * 1000) {
      // Strictly more than soft_seconds, as Redis ("elapsed <= soft seconds" is still fine). A
      // soft_seconds too large to count in milliseconds is never reached.
      over = true;
    }
  } else {
    c.obuf_soft_since_ms = 0;
  }
  if (!over) return;
  (pubsub_class ? stats_.obuf_disconnects_pubsub : stats_.obuf_disconnects_normal)++;
  GD_LOG_INFO("client id={} addr={} closed for overcoming of output buffer limits ({} bytes)", c.id,
              c.addr, used);
  c.out.clear();
  KillClient(c, Reason::kDisconnect);
}

void Server::Cron(int64_t now_ms) {
  // Leases: a cluster whose lease expired disconnects when nothing local uses it any more.
  std::vector<std::string> expired;
  for (auto& [name, cl] : clusters_) {
    if (cl->lease_deadline_ms == 0 || now_ms < cl->lease_deadline_ms) continue;
    if (cl->LocalRegistrations() > 0 || cl->LocalMemberships() > 0) continue;
    bool monitored = false;
    std::string prefix = "__gevent__@" + name + ":";
    for (const auto& [id, c] : clients_) {
      for (const auto& ch : c->channels) {
        if (ch.compare(0, prefix.size(), prefix) == 0) {
          monitored = true;
          break;
        }
      }
      if (monitored) break;
    }
    if (!monitored) expired.push_back(name);
  }
  for (const auto& name : expired) {
    stats_.clusters_expired++;
    GD_LOG_INFO("lease of cluster '{}' expired", name);
    DisconnectCluster(name);
  }
  // Soft output limits are time based: re-check clients that are over one.
  for (const auto& [id, c] : clients_) {
    if (c->obuf_soft_since_ms != 0) CheckOutputLimits(*c);
  }
  rehash_pending_ = RehashTables(1000);
}

bool Server::RehashTables(uint64_t budget_us) {
  // In steps of kSlots slots, checking the clock between steps.
  constexpr size_t kSlots = 1024;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(budget_us);
  for (auto& [name, cl] : clusters_) {
    for (Shard& shard : cl->shards) {
      while (shard.registry.Rehash(kSlots) || shard.groups.Rehash(kSlots)) {
        if (std::chrono::steady_clock::now() >= deadline) return true;
      }
    }
  }
  return false;
}

}  // namespace groupd
