#include "replication/replication.h"

#include <fmt/format.h>

#include <algorithm>

#include "replication/peer_link.h"
#include "server/log.h"

namespace groupd::replication {

namespace {

// Splits "host:port" (or "[v6]:port"); false if malformed.
bool SplitHostPort(const std::string& addr, std::string* host, int* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = addr.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  try {
    *port = std::stoi(addr.substr(colon + 1));
  } catch (...) {
    return false;
  }
  return *port > 0 && *port < 65536;
}

bool IsNumericHost(const std::string& host) {
  return host.find_first_not_of("0123456789.") == std::string::npos ||
         host.find(':') != std::string::npos;
}

ConflictPolicy PolicyFrom(const Config& cfg) {
  return ConflictPolicy::Parse(cfg.resolve_registry_conflict).value_or(ConflictPolicy{});
}

}  // namespace

Replication::Replication(Server& server, uvw::Loop& loop)
    : server_(server), loop_(loop), applier_(server, PolicyFrom(server.config())) {}

Replication::~Replication() = default;

bool Replication::Start() {
  const Config& cfg = server_.config();
  if (cfg.tls_replication) {
    std::string error;
    tls_ = MakeTlsContext(cfg, true, &error);
    if (!tls_) {
      GD_LOG_WARN("cannot set up TLS for replication: {}", error);
      return false;
    }
  }
  int status = 0;
  listener_ = uvw::TcpListener::Listen(
      loop_, cfg.bind, cfg.EffectivePeerPort(),
      [this](std::unique_ptr<uvw::TcpStream> s) { Accept(std::move(s)); }, &status, tls_.get());
  if (!listener_) {
    GD_LOG_WARN("cannot listen on peer port {}:{}: {}", cfg.bind, cfg.EffectivePeerPort(),
                uvw::ErrorName(status));
    return false;
  }
  std::string host = cfg.bind;
  if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  advertised_ = host.find(':') != std::string::npos
                    ? fmt::format("[{}]:{}", host, listener_->port())
                    : fmt::format("{}:{}", host, listener_->port());
  // Behind a proxy or NAT, peers must dial another address than the one bound.
  if (!cfg.peer_announce.empty()) advertised_ = cfg.peer_announce;

  server_.AddEventListener(this);
  server_.on_remote_dispatch = [this](ClusterState& cl, std::string_view group,
                                      std::string_view message) {
    for (PeerLink* l : UpLinks()) {
      if (l->InCluster(cl.name)) l->SendDispatch(cl.name, group, message);
    }
  };
  server_.on_publish = [this](std::string_view channel, std::string_view payload) {
    for (PeerLink* l : UpLinks()) l->SendPublish(channel, payload);
  };
  server_.list_peers = [this] {
    std::vector<std::string> names;
    for (const auto& [name, l] : up_) names.push_back(name);
    return names;
  };
  server_.list_cluster_peers = [this](std::string_view cluster) {
    std::vector<std::string> names;
    for (const auto& [name, l] : up_) {
      if (l->InCluster(cluster)) names.push_back(name);
    }
    return names;
  };
  server_.on_cluster_change = [this](std::string_view, bool) {
    for (PeerLink* l : UpLinks()) l->SendClusters();
  };
  server_.info_replication = [this] { return InfoSection(); };
  server_.on_registry_vacated = [this](ClusterState& cl, std::string_view key) {
    applier_.Promote(cl, key);
  };

  // Seeds: numeric addresses are dialed as they are; names are resolved now and again every
  // seed-resolve-interval, so a headless service's changing addresses are followed.
  std::string seeds = cfg.seeds;
  std::replace(seeds.begin(), seeds.end(), ' ', ',');
  size_t start = 0;
  while (start <= seeds.size()) {
    size_t comma = seeds.find(',', start);
    std::string s = seeds.substr(start, comma == std::string::npos ? std::string::npos
                                                                    : comma - start);
    start = comma == std::string::npos ? seeds.size() + 1 : comma + 1;
    if (s.empty()) continue;
    std::string host;
    int port;
    if (!SplitHostPort(s, &host, &port)) {
      GD_LOG_WARN("ignoring malformed seed '{}' (expected host:port)", s);
      continue;
    }
    if (IsNumericHost(host)) {
      AddTarget(s);
    } else {
      dns_seeds_.push_back(s);
    }
  }
  ResolveSeeds();

  tick_ = std::make_unique<uvw::Timer>(loop_);
  tick_->Start(50, 50, [this] { Tick(); });
  pump_ = std::make_unique<uvw::Timer>(loop_);
  prepare_ = std::make_unique<uvw::Prepare>(loop_);
  prepare_->Start([this] { FlushAll(); });
  GD_LOG_INFO("peer port listening on {} (advertised as {}{})", listener_->port(), advertised_,
              tls_ ? ", TLS" : "");
  return true;
}

int Replication::peer_port() const { return listener_ ? listener_->port() : 0; }

void Replication::AddTarget(const std::string& addr) {
  if (addr == advertised_ || targets_.count(addr)) return;
  Target t;
  t.addr = addr;
  targets_.emplace(addr, t);
  GD_LOG_INFO("discovered peer address {}", addr);
}

void Replication::MarkSelfAddress(const std::string& addr) {
  auto it = targets_.find(addr);
  if (it != targets_.end()) it->second.self = true;
}

void Replication::ResolveSeeds() {
  next_resolve_ms_ = Server::NowMs() + server_.config().seed_resolve_interval_ms;
  for (const auto& seed : dns_seeds_) {
    std::string host;
    int port;
    SplitHostPort(seed, &host, &port);
    uvw::Resolve(loop_, host, [this, seed, port](std::vector<std::string> addrs, int status) {
      if (status != 0) {
        GD_LOG_VERBOSE("cannot resolve seed {}: {}", seed, uvw::ErrorName(status));
        return;
      }
      for (const auto& a : addrs) {
        AddTarget(a.find(':') != std::string::npos ? fmt::format("[{}]:{}", a, port)
                                                   : fmt::format("{}:{}", a, port));
      }
    });
  }
}

void Replication::Accept(std::unique_ptr<uvw::TcpStream> stream) {
  if (shutting_down_) return;
  auto link = std::make_unique<PeerLink>(*this, std::move(stream), false, "");
  PeerLink* raw = link.get();
  links_.push_back(std::move(link));
  raw->Start();
}

void Replication::Dial(Target& t) {
  std::string host;
  int port;
  if (!SplitHostPort(t.addr, &host, &port)) return;
  t.connecting = true;
  std::string addr = t.addr;
  uvw::TcpStream::Connect(
      loop_, host, port,
      [this, addr](std::unique_ptr<uvw::TcpStream> s, int status) {
        auto it = targets_.find(addr);
        if (it == targets_.end()) return;
        Target& t = it->second;
        t.connecting = false;
        if (status != 0 || shutting_down_) {
          t.next_attempt_ms = Server::NowMs() + t.backoff_ms;
          t.backoff_ms = std::min<int64_t>(t.backoff_ms * 2, 5000);
          return;
        }
        auto link = std::make_unique<PeerLink>(*this, std::move(s), true, addr);
        PeerLink* raw = link.get();
        links_.push_back(std::move(link));
        raw->Start();
      },
      tls_.get());
}

bool Replication::LinkUp(PeerLink* link) {
  const std::string& name = link->peer_name();
  auto it = up_.find(name);
  if (it != up_.end()) {
    PeerLink* existing = it->second;
    if (existing->peer_incarnation() != link->peer_incarnation()) {
      // The node restarted: its old incarnation is gone, with everything it owned.
      GD_LOG_INFO("peer {} restarted (incarnation {} -> {})", name, existing->peer_incarnation(),
                  link->peer_incarnation());
      existing->Close(Reason::kNodeDown);
    } else {
      // Two links to one node (both dialed at once): keep the one dialed by the node whose
      // name sorts first, a choice both ends make alike.
      const std::string& self = server_.node_name();
      auto dialer = [&](PeerLink* l) { return l->outbound() ? self : name; };
      const std::string& keeper = std::min(self, name);
      if (dialer(link) != keeper) return false;
      link->set_node(existing->node());
      up_[name] = link;
      existing->Close(Reason::kNodeDown, true);
      return true;
    }
  }
  link->set_node(server_.AddNode(name));
  up_[name] = link;
  stats_.links_up++;
  if (!link->peer_addr().empty()) AddTarget(link->peer_addr());
  for (auto& [addr, t] : targets_) {
    if (addr == link->dial_addr() || addr == link->peer_addr()) {
      t.backoff_ms = 100;
      t.busy_retries_left = -1;
    }
  }
  GD_LOG_INFO("peer {} up ({}, {})", name, link->peer_addr(),
              link->outbound() ? "outbound" : "inbound");
  // Tell the others about the newcomer, so every node connects to every other.
  for (PeerLink* l : UpLinks()) {
    if (l != link) l->SendPeers();
  }
  return true;
}

void Replication::LinkClosed(PeerLink* link, Reason reason) {
  if (!link->up()) return;
  auto it = up_.find(link->peer_name());
  if (it == up_.end() || it->second != link) return;
  up_.erase(it);
  stats_.links_down++;
  GD_LOG_INFO("peer {} down ({})", link->peer_name(),
              reason == Reason::kShutdown ? "shutdown" : "link lost");
  for (auto& [addr, t] : targets_) {
    if (addr != link->dial_addr() && addr != link->peer_addr()) continue;
    t.next_attempt_ms = Server::NowMs() + t.backoff_ms;
    if (link->busy_closed()) {
      t.busy_retries_left = static_cast<int>(server_.config().busy_dist_retry_attempts);
      t.next_attempt_ms = Server::NowMs() + server_.config().busy_dist_retry_interval_ms;
    }
  }
  if (reason != Reason::kNone && !shutting_down_) applier_.RemoveNode(link->node(), reason);
}

void Replication::LearnPeers(const std::vector<std::pair<std::string, std::string>>& peers) {
  for (const auto& [name, addr] : peers) {
    if (name == server_.node_name() || addr.empty()) continue;
    AddTarget(addr);
  }
}

std::vector<std::pair<std::string, std::string>> Replication::KnownPeers() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back(server_.node_name(), advertised_);
  for (const auto& [name, l] : up_) out.emplace_back(name, l->peer_addr());
  return out;
}

std::vector<PeerLink*> Replication::UpLinks() const {
  std::vector<PeerLink*> out;
  out.reserve(up_.size());
  for (const auto& [name, l] : up_) out.push_back(l);
  return out;
}

void Replication::OnEvent(const Event& event) {
  if (event.origin != kLocalNode || shutting_down_) return;
  for (const auto& [name, l] : up_) {
    if (l->InCluster(event.cluster)) l->QueueOp(event);
  }
}

void Replication::SchedulePump() {
  if (pump_scheduled_ || !pump_) return;
  pump_scheduled_ = true;
  pump_->Start(0, 0, [this] { pump_scheduled_ = false; });
}

void Replication::FlushAll() {
  // One snapshot chunk per link per loop turn: big snapshots interleave with client traffic.
  bool more = false;
  for (PeerLink* l : UpLinks()) {
    if (l->PumpSnapshot() == PeerLink::Pump::kMore) more = true;
  }
  for (PeerLink* l : UpLinks()) l->Flush();
  if (more) SchedulePump();
}

void Replication::Tick() {
  int64_t now = Server::NowMs();
  for (auto& l : links_) l->Tick(now);
  // Free dead links here, outside their own callbacks.
  links_.erase(std::remove_if(links_.begin(), links_.end(),
                              [](const std::unique_ptr<PeerLink>& l) { return l->dead(); }),
               links_.end());
  if (shutting_down_) return;
  for (auto& [addr, t] : targets_) {
    if (t.self || t.connecting || now < t.next_attempt_ms) continue;
    bool linked = false;
    for (auto& l : links_) {
      if (l->dial_addr() == addr || (l->up() && l->peer_addr() == addr)) linked = true;
    }
    if (linked) continue;
    if (t.busy_retries_left == 0) continue;  // Gave up after a busy disconnect.
    if (t.busy_retries_left > 0) {
      t.busy_retries_left--;
      t.next_attempt_ms = now + server_.config().busy_dist_retry_interval_ms;
    } else {
      t.next_attempt_ms = now + t.backoff_ms;
      t.backoff_ms = std::min<int64_t>(t.backoff_ms * 2, 5000);
    }
    Dial(t);
  }
  if (!dns_seeds_.empty() && now >= next_resolve_ms_) ResolveSeeds();
}

void Replication::Shutdown() {
  if (shutting_down_) return;
  for (PeerLink* l : UpLinks()) l->SendLeaving();
  shutting_down_ = true;
  listener_.reset();
}

std::string Replication::InfoSection() const {
  std::string s;
  s += fmt::format("peer_port:{}\r\nadvertised:{}\r\ntls_replication:{}\r\n", peer_port(),
                   advertised_, tls_ ? "yes" : "no");
  s += fmt::format("peers:{}\r\nlinks_up:{}\r\nlinks_down:{}\r\nhandshakes_refused:{}\r\n",
                   up_.size(), stats_.links_up, stats_.links_down, stats_.handshakes_refused);
  s += fmt::format("snapshots_sent:{}\r\nsnapshots_received:{}\r\nbusy_disconnects:{}\r\n",
                   stats_.snapshots_sent, stats_.snapshots_received, stats_.busy_disconnects);
  s += fmt::format("conflicts:{}\r\nconflict_local_evictions:{}\r\nmalformed_frames:{}\r\n",
                   applier_.conflicts(), applier_.local_evictions(), stats_.malformed_frames);
  int i = 0;
  for (const auto& [name, l] : up_) {
    const LinkStats& st = l->stats();
    s += fmt::format(
        "peer{}:name={},addr={},state=up,bytes_sent={},bytes_received={},ops_sent={},"
        "ops_received={},batches_sent={},batches_received={},snapshots_sent={},"
        "snapshots_received={},pending={}\r\n",
        i++, name, l->peer_addr(), st.bytes_sent, st.bytes_received, st.ops_sent,
        st.ops_received, st.batches_sent, st.batches_received, st.snapshots_sent,
        st.snapshots_received, l->pending_bytes());
  }
  return s;
}

}  // namespace groupd::replication
