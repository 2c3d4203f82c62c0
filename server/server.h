#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/resp_parser.h"
#include "server/acl.h"
#include "server/client.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/event.h"
#include "server/pubsub.h"
#include "server/shard_table.h"

namespace groupd {

// One named cluster's keyspace as this node sees it ("" is the default cluster).
struct ClusterState {
  ClusterState(std::string name, int shards) : name(std::move(name)), shards(shards) {}

  // The shard of a key. Pass the HashedKey on to the shard's table operations, so that the key
  // is hashed once.
  Shard& ShardFor(const HashedKey& key) { return shards[key.hash % shards.size()]; }
  // Starts loading the slot where a lookup of key in one of its shard's tables begins, for a
  // caller that knows its next key while it works on the current one (see KeyedTable::Prefetch).
  void Prefetch(KeyTable table, const HashedKey& key) {
    Shard& shard = ShardFor(key);
    if (table == KeyTable::kRegistry) shard.registry.Prefetch(key);
    if (table == KeyTable::kGroups) shard.groups.Prefetch(key);
  }
  size_t Registrations() const;
  size_t LocalRegistrations() const;
  size_t Memberships() const;
  size_t LocalMemberships() const;

  std::string name;
  std::vector<Shard> shards;
  int64_t lease_deadline_ms = 0;  // 0: no lease.
};

// Sees every event after it was delivered to local subscribers (replication, future monitors
// with resume). Called on the loop thread, synchronously, in sequence order.
class EventListener {
 public:
  virtual ~EventListener() = default;
  virtual void OnEvent(const Event& event) = 0;
};

struct ServerStats {
  uint64_t total_connections = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_commands = 0;
  uint64_t protocol_errors = 0;
  uint64_t events = 0;
  uint64_t dispatches = 0;
  uint64_t dispatch_deliveries = 0;
  uint64_t dispatch_skipped = 0;
  uint64_t pubsub_messages = 0;
  uint64_t obuf_disconnects_pubsub = 0;
  uint64_t obuf_disconnects_normal = 0;
  uint64_t query_buffer_disconnects = 0;
  uint64_t net_input_bytes = 0;
  uint64_t net_output_bytes = 0;
  uint64_t clusters_expired = 0;
  uint64_t oom_rejections = 0;
  uint64_t key_limit_rejections = 0;
  uint64_t meta_limit_rejections = 0;
};

// The node: configuration, clients, every cluster's tables, pub/sub and the one event path.
// It never touches a socket: the network layer feeds it parsed commands and flushes the clients
// it marks pending. Everything runs on the loop thread.
class Server : public DeliverySink {
 public:
  explicit Server(Config config);
  ~Server() override;

  Config& config() { return config_; }
  const std::string& node_name() const { return node_name_; }
  const std::string& incarnation() const { return incarnation_; }
  // Derives the default node name from the port actually bound (port 0 picks one at listen
  // time). REQUIRES: no client attached yet.
  void SetListeningPort(int port);
  const CommandTable& commands() const { return commands_; }
  ServerStats& stats() { return stats_; }
  PubSub& pubsub() { return pubsub_; }
  int64_t start_ms() const { return start_ms_; }
  uint64_t event_seq() const { return event_seq_; }

  // Parser limits for a client (smaller before authentication).
  protocol::ParserLimits LimitsFor(const Client& c) const;
  bool AuthRequired(const Client& c) const { return !c.authenticated; }

  // --- Users (ACL) ---------------------------------------------------------------------------
  Acl& acl() { return *acl_; }
  // Applies the `user` options and requirepass (the default user's password). Returns an error
  // naming the bad rule, if any.
  std::optional<std::string> ApplyAuthConfig();
  // Logs c in as user if the password matches; false otherwise.
  bool Authenticate(Client& c, std::string_view user, std::string_view password);
  // Back to the default user: authenticated only if it is enabled and needs no password.
  void ResetAuth(Client& c);

  // --- Clients -------------------------------------------------------------------------------
  // Gives the client its pid and adds it. Returns false (and writes the max-clients error into
  // its output) when maxclients is reached; the caller then closes it.
  bool AttachClient(Client* c);
  // Removes everything the client owned (events with c->close_reason) and its subscriptions.
  // REQUIRES: c was attached. The caller frees c afterwards.
  void DetachClient(Client* c);
  uint64_t NextClientId() { return ++last_client_id_; }
  Client* FindClient(uint64_t id);
  Client* FindClientByPid(std::string_view pid);
  const std::map<uint64_t, Client*>& clients() const { return clients_; }
  // Marks c to be closed this loop turn with the given reason, its entries removed at once.
  // With flush_output, what is already in its output buffer (a notice) is written first.
  void KillClient(Client& c, Reason reason, bool flush_output = false);

  // Runs one command for c; the reply goes to c's output buffer.
  void Execute(Client& c, std::span<const std::string_view> args) {
    Execute(c, args, commands_.Find(args[0]));
  }
  // The same with the command already looked up (null when unknown), by LookAhead().
  void Execute(Client& c, std::span<const std::string_view> args, const CommandSpec* spec);
  // EXEC: runs the client's queued commands (REQUIRES: c.multi), replying with an array of
  // their replies, or -EXECABORT when one was refused while queued.
  void ExecTransaction(Client& c);
  // Used memory is over maxmemory (0: no limit).
  bool OverMaxmemory() const;
  // Looks up a command that will run after the current one (the next of a pipelined batch) and,
  // when its key names a shard table, starts loading the key's slot, so that the cache miss
  // overlaps the current command's work. Returns the spec (null when unknown) for Execute().
  const CommandSpec* LookAhead(std::span<const std::string_view> args);

  // --- Clusters ------------------------------------------------------------------------------
  ClusterState& default_cluster() { return *default_cluster_; }
  ClusterState* FindCluster(std::string_view name);
  // Connects to name (no-op if connected); ttl_ms > 0 sets a lease on a new connection.
  // Returns true if newly connected.
  bool ConnectCluster(std::string_view name, int64_t ttl_ms);
  // Removes this node's entries in name with events, then disconnects. False if not connected.
  bool DisconnectCluster(std::string_view name);
  const std::map<std::string, std::unique_ptr<ClusterState>, std::less<>>& clusters() const {
    return clusters_;
  }

  // --- Local entries (owned by processes on this node) ---------------------------------------
  // A buffer for encoding a command's meta (Meta::EncodeArgs) that keeps its capacity.
  std::string* meta_buffer() { return &meta_buffer_; }
  RegisterResult RegisterLocal(Owner& owner, ClusterState& cl, std::string_view key, MetaView meta);
  bool UnregisterLocal(Owner& owner, ClusterState& cl, std::string_view key, Reason reason);
  JoinResult JoinLocal(Owner& owner, ClusterState& cl, std::string_view group, Meta meta);
  bool LeaveLocal(Owner& owner, ClusterState& cl, std::string_view group, Reason reason);
  // Removes everything the owner holds (connection close), with events carrying reason.
  void RemoveOwnerEntries(Owner& owner, Reason reason);
  // Removes an entry's ref from its owner's index, fixing the slot of the ref moved into it.
  void DropOwnedRef(Owner& owner, ClusterState& cl, uint32_t slot);

  // --- Remote nodes ------------------------------------------------------------------------
  // Every (name, incarnation) a node ever saw gets its own NodeId, never reused, so entries of
  // an earlier incarnation can never be mistaken for a later one's.
  NodeId AddNode(std::string_view name);
  std::string_view NodeName(NodeId id) const { return node_names_[id]; }

  // --- Events and delivery -------------------------------------------------------------------
  // The one event path: assigns the next sequence number, publishes to monitors, then tells
  // listeners.
  void Emit(Event& event);
  // Builds and emits the event of one entry change.
  void EmitEntryEvent(EventType type, ClusterState& cl, std::string_view key, std::string_view pid,
                      NodeId node, std::optional<MetaView> meta, std::optional<MetaView> previous,
                      Reason reason, int64_t time_us);
  void AddEventListener(EventListener* l) { listeners_.push_back(l); }
  // PUBLISH: returns the number of receivers on this node; forwards to peers.
  size_t Publish(std::string_view channel, std::string_view payload);
  // GDISPATCH on this node: returns the number of connections reached.
  size_t DispatchLocal(ClusterState& cl, std::string_view group, std::string_view message);

  // DeliverySink: c received a frame outside its own command; flush it and check its limits.
  void Delivered(Client& c) override;
  // Adds c to the list the network layer flushes this loop turn.
  void MarkPending(Client& c);
  std::vector<Client*> TakePending();

  // Closes c (output dropped) when its output passes its class's client-output-buffer-limit, or
  // 17 KiB while c still has to authenticate (as Redis limits unauthenticated clients).
  void CheckOutputLimits(Client& c);

  // Periodic work (leases, soft output limits, table rebuilds); the network layer calls it
  // every ~100 ms.
  void Cron(int64_t now_ms);
  // Moves incremental table rebuilds along (KeyedTable::Rehash) for up to budget_us, so a
  // table that stopped taking writes does not keep two slot arrays (each Cron gives it 1 ms,
  // like Redis's activerehashing). Returns whether some rebuild is still under way.
  bool RehashTables(uint64_t budget_us);
  // Whether the last Cron left a rebuild under way: the network layer then moves it along a
  // little every loop turn until it is done (Network::StepRehash).
  bool rehash_pending() const { return rehash_pending_; }

  // Hooks the network layer sets.
  std::function<void()> on_shutdown;         // SHUTDOWN command.
  std::function<void()> on_loglevel_change;  // loglevel changed at run time.
  // GDISPATCH: forwards the message to the other nodes connected to the cluster.
  std::function<void(ClusterState&, std::string_view group, std::string_view message)>
      on_remote_dispatch;
  // A local process's registration went away (the key may have shadowed remote claims that
  // replication now makes visible).
  std::function<void(ClusterState&, std::string_view key)> on_registry_vacated;
  // GNODES: names of peers that completed the handshake. GCLUSTERNODES: remote nodes in a
  // cluster. Unset (no replication) means none.
  std::function<std::vector<std::string>()> list_peers;
  std::function<std::vector<std::string>(std::string_view cluster)> list_cluster_peers;
  // PUBLISH: forwards the message to every peer (pub/sub is cluster-wide).
  std::function<void(std::string_view channel, std::string_view payload)> on_publish;
  // Extra INFO section "replication" body (lines ending in \r\n), when replication runs.
  std::function<std::string()> info_replication;
  // Called after this node connects to or disconnects from a named cluster.
  std::function<void(std::string_view cluster, bool connected)> on_cluster_change;

  static int64_t NowMs();
  static int64_t NowUs();

 private:
  void Dispatch(Client& c, std::span<const std::string_view> args, const CommandSpec* spec);
  // Adds a command to c's transaction and answers +QUEUED, or closes c when its queue passes
  // the query buffer limit.
  void QueueCommand(Client& c, std::span<const std::string_view> args, const CommandSpec* spec);
  // Writes NOPERM and returns false when c's user may not run this command on these keys.
  bool CheckAcl(Client& c, const CommandSpec& container, const CommandSpec* sub,
                const CommandSpec& spec, std::span<const std::string_view> args);

  // Delivery can push a client past its output limit, and closing it removes its entries,
  // which would edit tables and emit events in the middle of another delivery. So limit checks
  // wait until the outermost delivery (Emit, Publish, DispatchLocal) is over.
  void BeginDelivery() { delivering_++; }
  void EndDelivery();

  int delivering_ = 0;
  std::vector<Client*> limit_checks_;
  Config config_;
  std::string node_name_;
  std::string incarnation_;
  int64_t start_ms_;
  CommandTable commands_;
  std::unique_ptr<Acl> acl_;
  ServerStats stats_;
  PubSub pubsub_;
  uint64_t last_client_id_ = 0;
  uint64_t event_seq_ = 0;
  std::map<uint64_t, Client*> clients_;
  // Keyed by a view of the client's own Owner::pid, which lives as long as the client.
  std::unordered_map<std::string_view, Client*> clients_by_pid_;
  std::map<std::string, std::unique_ptr<ClusterState>, std::less<>> clusters_;
  ClusterState* default_cluster_ = nullptr;  // clusters_[""], which is never removed.
  std::vector<Client*> pending_;
  struct DispatchScratch {
    std::string channel, inbox;
    PubSub::ClientSet reached;
  };
  DispatchScratch dispatch_scratch_;  // See DispatchLocal().
  bool dispatch_scratch_busy_ = false;
  std::vector<EventListener*> listeners_;
  std::vector<std::string> node_names_;  // By NodeId; [0] is this node.
  std::string scratch_;                  // Reused for event payloads and channel names.
  std::string meta_buffer_;              // See meta_buffer().
  bool rehash_pending_ = false;          // See rehash_pending().
  bool executing_transaction_ = false;   // In ExecTransaction().
};

}  // namespace groupd
