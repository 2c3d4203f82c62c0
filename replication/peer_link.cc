#include "replication/peer_link.h"

#include <algorithm>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "replication/replication.h"
#include "server/log.h"

namespace groupd::replication {

using protocol::PeerFrameType;
using protocol::PeerReader;

namespace {

constexpr uint32_t kMaxFrameLength = 64 * 1024 * 1024;
// Before the handshake only HELLO and AUTH (a few hundred bytes) are valid: a small limit keeps
// unauthenticated connections from pinning memory.
constexpr uint32_t kMaxHandshakeFrameLength = 64 * 1024;
// A snapshot chunk holds at most this many entries, and the next chunk waits while this much
// output is still unsent, so a big snapshot neither stalls the loop nor balloons memory.
constexpr size_t kSnapshotChunkEntries = 2048;
constexpr size_t kSnapshotMaxPending = 4 * 1024 * 1024;
constexpr size_t kSnapshotChunkBytes = 256 * 1024;

}  // namespace

PeerLink::PeerLink(Replication& repl, std::unique_ptr<uvw::TcpStream> stream, bool outbound,
                   std::string dial_addr)
    : repl_(repl),
      server_(repl.server()),
      stream_(std::move(stream)),
      outbound_(outbound),
      dial_addr_(std::move(dial_addr)),
      writer_(&out_),
      receiver_(repl.server(), repl.applier(), *this, stats_) {
  created_ms_ = last_rx_ms_ = last_tx_ms_ = Server::NowMs();
}

PeerLink::~PeerLink() = default;

size_t PeerLink::pending_bytes() const {
  return out_.size() + (stream_ ? stream_->pending_bytes() : 0);
}

void PeerLink::Start() {
  stream_->SetNoDelay(true);
  unsigned char nonce[16];
  RAND_bytes(nonce, sizeof(nonce));
  nonce_.assign(reinterpret_cast<char*>(nonce), sizeof(nonce));
  const Config& cfg = server_.config();
  writer_.Begin(PeerFrameType::kHello);
  writer_.Str(server_.node_name());
  writer_.Str(server_.incarnation());
  writer_.U32(static_cast<uint32_t>(cfg.shards));
  writer_.Str(repl_.advertised_address());
  writer_.Str(nonce_);
  writer_.U8(cfg.cluster_secret.empty() ? 0 : 1);
  std::vector<std::string_view> clusters;
  for (const auto& [name, cl] : server_.clusters()) {
    if (!name.empty()) clusters.push_back(name);
  }
  writer_.Var(clusters.size());
  for (auto c : clusters) writer_.Str(c);
  writer_.End();
  stream_->StartRead(
      [this](std::string_view d) { OnData(d); },
      [this](int status) {
        if (status == uvw::kTlsFailed) {
          // A certificate the CA does not vouch for, or a peer that does not
          // speak TLS: worth knowing at the default log level.
          if (!up_) repl_.stats().handshakes_refused++;
          GD_LOG_INFO("peer link {} {}: TLS error: {}", outbound_ ? "to" : "from",
                      outbound_ ? dial_addr_ : stream_->peer_address(), stream_->tls_error());
        } else if (status != 0) {
          GD_LOG_VERBOSE("peer link {} error: {}", peer_name_, uvw::ErrorName(status));
        }
        Close(leaving_ ? Reason::kShutdown : Reason::kNodeDown);
      });
  Flush();
}

std::string PeerLink::Mac(std::string_view nonce, std::string_view name,
                          std::string_view incarnation) const {
  const std::string& secret = server_.config().cluster_secret;
  if (secret.empty()) return "";
  std::string data;
  data.append(nonce).append(name).push_back('\0');
  data.append(incarnation);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

void PeerLink::OnData(std::string_view data) {
  if (dead_) return;
  last_rx_ms_ = Server::NowMs();
  stats_.bytes_received += data.size();
  in_.append(data);
  size_t pos = 0;
  while (!dead_) {
    protocol::PeerFrameHeader h;
    auto res = protocol::DecodePeerHeader(std::string_view(in_).substr(pos),
                                          up_ ? kMaxFrameLength : kMaxHandshakeFrameLength, &h);
    if (res == protocol::HeaderResult::kNeedMore) break;
    if (res != protocol::HeaderResult::kOk) {
      repl_.stats().malformed_frames++;
      const char* why = res == protocol::HeaderResult::kBadVersion ? "peer protocol version mismatch"
                        : res == protocol::HeaderResult::kTooLong  ? "frame too long"
                                                                   : "bad frame magic";
      GD_LOG_INFO("closing peer link {} ({}): {}", peer_name_.empty() ? dial_addr_ : peer_name_,
                  stream_->peer_address(), why);
      Close(Reason::kNodeDown);
      return;
    }
    std::string_view payload(in_.data() + pos + protocol::kPeerHeaderSize, h.length);
    pos += protocol::kPeerHeaderSize + h.length;
    if (!HandleFrame(static_cast<PeerFrameType>(h.type), payload)) {
      if (!dead_) {
        repl_.stats().malformed_frames++;
        GD_LOG_INFO("closing peer link {}: malformed frame of type {}", peer_name_, h.type);
        Close(Reason::kNodeDown);
      }
      return;
    }
  }
  if (!dead_) in_.erase(0, pos);
}

bool PeerLink::HandleFrame(PeerFrameType type, std::string_view payload) {
  if (type == PeerFrameType::kReject) {
    // Only a handshake can be refused; a REJECT on an up link is malformed, and closing it as
    // such (not quietly) removes the peer's entries.
    if (up_) return false;
    PeerReader r(payload);
    std::string_view why = r.Str();
    GD_LOG_INFO("peer {} refused the handshake: {}", peer_name_.empty() ? dial_addr_ : peer_name_,
                why);
    repl_.stats().handshakes_refused++;
    Close(Reason::kNodeDown, true);
    return true;
  }
  if (type == PeerFrameType::kHello) return HandleHello(payload);
  if (type == PeerFrameType::kAuth) return HandleAuth(payload);
  // Nothing else is accepted before the handshake completes.
  if (!up_) return false;
  if (PeerReceiver::Handles(type)) {
    uint64_t snapshots = stats_.snapshots_received;
    bool ok = receiver_.Handle(type, payload);
    repl_.stats().snapshots_received += stats_.snapshots_received - snapshots;
    return ok;
  }
  PeerReader r(payload);
  switch (type) {
    case PeerFrameType::kHeartbeat:
      return true;
    case PeerFrameType::kPeers: {
      std::vector<std::pair<std::string, std::string>> peers;
      uint64_t n = r.Var();
      for (uint64_t i = 0; i < n && r.ok(); i++) {
        std::string name(r.Str());
        std::string addr(r.Str());
        peers.emplace_back(std::move(name), std::move(addr));
      }
      if (!r.ok()) return false;
      repl_.LearnPeers(peers);
      return true;
    }
    case PeerFrameType::kLeaving:
      GD_LOG_INFO("peer {} is shutting down", peer_name_);
      leaving_ = true;
      Close(Reason::kShutdown);
      return true;
    default:
      return false;
  }
}

void PeerLink::Reject(const std::string& why) {
  repl_.stats().handshakes_refused++;
  GD_LOG_INFO("refusing peer {} ({}): {}", peer_name_.empty() ? "?" : peer_name_,
              stream_->peer_address(), why);
  writer_.Begin(PeerFrameType::kReject);
  writer_.Str(why);
  writer_.End();
  Flush();
  Close(Reason::kNodeDown, true);
}

bool PeerLink::HandleHello(std::string_view payload) {
  if (hello_received_) return false;
  hello_received_ = true;
  PeerReader r(payload);
  peer_name_ = std::string(r.Str());
  peer_incarnation_ = std::string(r.Str());
  uint32_t shards = r.U32();
  peer_addr_ = std::string(r.Str());
  peer_nonce_ = std::string(r.Str());
  peer_has_secret_ = r.U8() != 0;
  PeerReceiver::ClusterSet clusters;
  uint64_t n = r.Var();
  for (uint64_t i = 0; i < n && r.ok(); i++) clusters.emplace(r.Str());
  if (!r.ok()) return false;
  receiver_.SetPeerClusters(std::move(clusters));

  if (peer_name_ == server_.node_name() && peer_incarnation_ == server_.incarnation()) {
    // We dialed ourselves (a seed list that includes this node).
    repl_.MarkSelfAddress(dial_addr_);
    Close(Reason::kNodeDown, true);
    return true;
  }
  const Config& cfg = server_.config();
  if (static_cast<int>(shards) != cfg.shards) {
    Reject("shard count mismatch: this node has " + std::to_string(cfg.shards) + ", peer " +
           peer_name_ + " has " + std::to_string(shards));
    return true;
  }
  if (peer_has_secret_ != !cfg.cluster_secret.empty()) {
    Reject("cluster-secret mismatch: only one side has a secret set");
    return true;
  }
  writer_.Begin(PeerFrameType::kAuth);
  writer_.Str(Mac(peer_nonce_, server_.node_name(), server_.incarnation()));
  writer_.End();
  Flush();
  return true;
}

bool PeerLink::HandleAuth(std::string_view payload) {
  if (!hello_received_ || up_) return false;
  PeerReader r(payload);
  std::string_view mac = r.Str();
  if (!r.ok()) return false;
  std::string expected = Mac(nonce_, peer_name_, peer_incarnation_);
  if (mac.size() != expected.size() ||
      CRYPTO_memcmp(mac.data(), expected.data(), expected.size()) != 0) {
    Reject("wrong cluster secret");
    return true;
  }
  BecomeUp();
  return true;
}

void PeerLink::BecomeUp() {
  up_ = true;
  if (!repl_.LinkUp(this)) {
    // A duplicate of a link that is kept: close this one without touching entries.
    Close(Reason::kNodeDown, true);
    return;
  }
  SendClusters();
  SendPeers();
  for (const auto& [name, cl] : server_.clusters()) {
    if (InCluster(name)) StartSnapshot(name);
  }
}

void PeerLink::SendClusters() {
  CloseBatch();
  writer_.Begin(PeerFrameType::kClusters);
  size_t n = server_.clusters().size() - 1;
  writer_.Var(n);
  for (const auto& [name, cl] : server_.clusters()) {
    if (!name.empty()) writer_.Str(name);
  }
  writer_.End();
}

void PeerLink::SendPeers() {
  CloseBatch();
  auto peers = repl_.KnownPeers();
  writer_.Begin(PeerFrameType::kPeers);
  writer_.Var(peers.size());
  for (const auto& [name, addr] : peers) {
    writer_.Str(name);
    writer_.Str(addr);
  }
  writer_.End();
}

void PeerLink::SendDispatch(std::string_view cluster, std::string_view group,
                            std::string_view message) {
  CloseBatch();
  writer_.Begin(PeerFrameType::kDispatch);
  writer_.Str(cluster);
  writer_.Str(group);
  writer_.Str(message);
  writer_.End();
}

void PeerLink::SendPublish(std::string_view channel, std::string_view payload) {
  CloseBatch();
  writer_.Begin(PeerFrameType::kPublish);
  writer_.Str(channel);
  writer_.Str(payload);
  writer_.End();
}

void PeerLink::SendLeaving() {
  CloseBatch();
  writer_.Begin(PeerFrameType::kLeaving);
  writer_.End();
  Flush();
}

void PeerLink::QueueOp(const Event& e) {
  if (!batch_open_) {
    writer_.Begin(PeerFrameType::kBatch);
    batch_open_ = true;
    batch_ops_ = 0;
  }
  uint8_t op = e.type == EventType::kRegistered     ? kOpRegister
               : e.type == EventType::kUnregistered ? kOpUnregister
               : e.type == EventType::kJoined       ? kOpJoin
                                                    : kOpLeave;
  writer_.U8(op);
  writer_.Str(e.cluster);
  writer_.Str(e.key);
  writer_.Str(e.pid);
  writer_.I64(e.time_us);
  writer_.U8(static_cast<uint8_t>(e.reason));
  if (op == kOpRegister || op == kOpJoin) {
    WriteMeta(writer_, e.meta.value_or(MetaView()));
  }
  stats_.ops_sent++;
  if (++batch_ops_ >= static_cast<size_t>(server_.config().replicated_sender_buffer_size)) {
    CloseBatch();
  }
}

void PeerLink::CloseBatch() {
  if (!batch_open_) return;
  writer_.End();
  batch_open_ = false;
  stats_.batches_sent++;
}

bool PeerLink::Flush() {
  if (dead_) return true;
  CloseBatch();
  if (out_.empty()) return true;
  stats_.bytes_sent += out_.size();
  last_tx_ms_ = Server::NowMs();
  stream_->Write(out_);
  out_.clear();
  if (dead_) return false;
  if (static_cast<int64_t>(stream_->pending_bytes()) > server_.config().peer_output_buffer_limit) {
    GD_LOG_INFO("peer {} is not keeping up ({} bytes queued): disconnecting (busy)", peer_name_,
                stream_->pending_bytes());
    repl_.stats().busy_disconnects++;
    busy_closed_ = true;
    Close(Reason::kNodeDown);
    return false;
  }
  return true;
}

void PeerLink::StartSnapshot(const std::string& cluster) {
  for (const auto& s : snapshots_) {
    if (s.cluster == cluster && !s.began) return;  // One is already queued.
  }
  snapshots_.push_back(SnapshotSend{cluster});
  repl_.SchedulePump();
}

PeerLink::Pump PeerLink::PumpSnapshot() {
  if (dead_ || !up_ || snapshots_.empty()) return Pump::kIdle;
  // Chunks stay well under peer-output-buffer-limit, so a snapshot is never itself "busy".
  const size_t limit = static_cast<size_t>(server_.config().peer_output_buffer_limit);
  const size_t max_pending = std::min(kSnapshotMaxPending, limit / 2);
  const size_t chunk_bytes = std::min(kSnapshotChunkBytes, limit / 4);
  if (stream_->pending_bytes() > max_pending) {
    // Resume as soon as the socket has taken what is queued.
    if (!drain_wait_) {
      drain_wait_ = true;
      stream_->OnDrained([this] {
        drain_wait_ = false;
        repl_.SchedulePump();
      });
    }
    return Pump::kBlocked;
  }
  SnapshotSend& s = snapshots_.front();
  ClusterState* cl = server_.FindCluster(s.cluster);
  if (cl == nullptr || !InCluster(s.cluster)) {
    snapshots_.pop_front();
    return snapshots_.empty() ? Pump::kIdle : Pump::kMore;
  }
  CloseBatch();
  if (!s.began) {
    writer_.Begin(PeerFrameType::kSnapshotBegin);
    writer_.Str(s.cluster);
    writer_.Var(cl->LocalRegistrations());  // How many registrations follow (a sizing hint).
    writer_.End();
    s.began = true;
  }
  size_t budget = kSnapshotChunkEntries;
  writer_.Begin(PeerFrameType::kSnapshotChunk);
  const size_t chunk_start = out_.size();
  // Ends the chunk once it holds chunk_bytes (at least one entry always fits).
  auto spend = [&] {
    if (budget > 0) budget--;
    if (out_.size() - chunk_start >= chunk_bytes) budget = 0;
  };
  writer_.Str(s.cluster);
  while (budget > 0 && s.shard < cl->shards.size()) {
    Shard& shard = cl->shards[s.shard];
    // Empty slots and other nodes' entries cost a little too: at most a few homes per entry of
    // budget.
    if (!s.registry.done) {
      shard.registry.Scan(s.registry, 8 * budget + 64, [&](const RegEntry& e) {
        if (budget == 0) return false;  // Sent by the next chunk.
        if (e.node != kLocalNode) return true;
        writer_.U8('r');
        writer_.Str(RegistryTable::KeyOf(e));
        writer_.Str(e.pid);
        writer_.I64(e.time_us);
        WriteMeta(writer_, e.meta());
        spend();
        return true;
      });
      if (!s.registry.done) break;  // Budget or scan spent inside the registry part.
    }
    // Inside the group the walk stopped at, members (ordered by pid) resume from the member
    // cursor.
    shard.groups.Scan(s.groups, 8 * budget + 64, [&](const Group& g) {
      if (g.local_count == 0) return true;
      std::string_view name = GroupTable::KeyOf(g);
      auto mit =
          s.groups.at == name ? g.members.lower_bound(s.member_cursor) : g.members.begin();
      for (; mit != g.members.end(); ++mit) {
        if (budget == 0) {  // The next chunk resumes at this member.
          s.member_cursor = mit->first;
          return false;
        }
        if (mit->second.node != kLocalNode) continue;
        writer_.U8('g');
        writer_.Str(name);
        writer_.Str(mit->first);
        writer_.I64(0);  // Members carry no time.
        WriteMeta(writer_, mit->second.meta);
        spend();
      }
      return true;
    });
    if (!s.groups.done) break;  // Budget or scan spent inside the groups part.
    s.shard++;
    s.registry = {};
    s.groups = {};
  }
  writer_.End();
  if (s.shard >= cl->shards.size()) {
    writer_.Begin(PeerFrameType::kSnapshotEnd);
    writer_.Str(s.cluster);
    writer_.End();
    stats_.snapshots_sent++;
    repl_.stats().snapshots_sent++;
    GD_LOG_VERBOSE("snapshot of cluster '{}' sent to {}", s.cluster, peer_name_);
    snapshots_.pop_front();
  }
  Flush();
  return snapshots_.empty() ? Pump::kIdle : Pump::kMore;
}

void PeerLink::Tick(int64_t now_ms) {
  if (dead_) return;
  const Config& cfg = server_.config();
  if (!up_) {
    if (now_ms - created_ms_ > cfg.peer_timeout_ms) {
      GD_LOG_INFO("peer link {} handshake timed out", dial_addr_.empty() ? peer_name_ : dial_addr_);
      Close(Reason::kNodeDown, true);
    }
    return;
  }
  if (now_ms - last_rx_ms_ > cfg.peer_timeout_ms) {
    GD_LOG_INFO("peer {} silent for {} ms: down", peer_name_, now_ms - last_rx_ms_);
    Close(Reason::kNodeDown);
    return;
  }
  if (now_ms - last_tx_ms_ >= cfg.heartbeat_interval_ms) {
    CloseBatch();
    writer_.Begin(PeerFrameType::kHeartbeat);
    writer_.End();
    Flush();
  }
}

void PeerLink::Close(Reason reason, bool quiet) {
  if (dead_) return;
  dead_ = true;
  repl_.LinkClosed(this, quiet ? Reason::kNone : reason);
  // Destroying the stream closes the socket; safe inside its own callbacks.
  stream_.reset();
}

}  // namespace groupd::replication
