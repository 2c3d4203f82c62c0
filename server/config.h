#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace groupd {

// Output buffer limits of one client class, as in Redis's client-output-buffer-limit.
struct OutputLimit {
  uint64_t hard = 0;          // Bytes; 0 = none.
  uint64_t soft = 0;          // Bytes; 0 = none.
  int64_t soft_seconds = 0;   // How long the soft limit may be passed.
};

// Every option groupd has, with its default. docs/CONFIG.md documents each one; the option table
// in config.cc is the single source of names, defaults and which options CONFIG SET may change.
struct Config {
  std::string bind = "127.0.0.1";
  int port = 6380;
  int peer_port = -1;  // -1: port + 10000 (0 picks an ephemeral port).
  std::string node_name;  // Empty: "<hostname>:<port>".
  int shards = 8;
  std::string loglevel = "info";
  std::string logfile;  // Empty: standard output.
  std::string requirepass;
  // ACL users, one rule list per user as in redis.conf's "user" lines ("alice on >pw ~app:*
  // +@all %tenant-a"). The option may be given many times; each adds (or redefines) one user.
  std::vector<std::string> users;
  int64_t maxclients = 10000;
  // After reading a request the loop polls without sleeping for this long (0: never), so busy
  // clients' next requests cost no sleep and wake-up.
  int64_t busy_poll_us = 50;
  // While clients keep sending, output that holds only pushes (pub/sub messages, dispatches,
  // events) to clients that sent nothing this loop turn waits up to this long (0: never), so
  // a subscriber gets one write per stretch rather than one per turn.
  int64_t push_coalesce_us = 100;
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t proto_max_multibulk_len = 1024 * 1024;
  int64_t proto_inline_max_size = 64 * 1024;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  OutputLimit obuf_normal{0, 0, 0};
  OutputLimit obuf_pubsub{32 * 1024 * 1024, 8 * 1024 * 1024, 60};
  // The replica class: groupd has no Redis replicas, so it only keeps and reports what was set
  // (CONFIG GET shows it as Redis 7 does, under the name "slave").
  OutputLimit obuf_replica{0, 0, 0};
  std::vector<std::string> extract_meta;  // Empty: reads return every field.
  int64_t maxmemory = 0;  // Bytes; 0: no limit. Over it, commands that add data get -OOM.
  int64_t max_key_len = 4096;
  int64_t max_meta_fields = 64;
  int64_t max_meta_bytes = 64 * 1024;
  // If set, "<port> <peer-port>\n" is written there once listening ("<port> <peer-port>
  // <tls-port>\n" when tls-port is set).
  std::string ports_file;
  // TLS (server/tls.h). tls-port: 0 = no TLS client port, -1 = a free port (see ports-file).
  int tls_port = 0;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_cert_file;
  std::string tls_auth_clients = "yes";  // "yes", "no" or "optional".
  bool tls_replication = false;          // Peer port and dialed peer links speak TLS.
  // Replication (see replication/).
  std::string seeds;
  std::string peer_announce;  // host:port peers should dial to reach this node; empty: bind:peer-port.
  std::string cluster_secret;
  int64_t peer_timeout_ms = 5000;
  int64_t heartbeat_interval_ms = 500;
  int64_t seed_resolve_interval_ms = 5000;
  int64_t replicated_sender_buffer_size = 64;
  int64_t replicated_sender_flush_interval_ms = 5;
  int64_t replicated_pg_receiver_buffer_size = 64;
  int64_t replicated_pg_receiver_flush_interval_ms = 5;
  int64_t replicated_registry_receiver_buffer_size = 64;
  int64_t replicated_registry_receiver_flush_interval_ms = 5;
  int64_t replicated_pg_receiver_local_request_quota = 8;
  int64_t busy_dist_retry_attempts = 300;
  int64_t busy_dist_retry_interval_ms = 1000;
  int64_t peer_output_buffer_limit = 256LL * 1024 * 1024;
  std::string resolve_registry_conflict = "oldest";
  std::string conflict_action = "kill";

  int EffectivePeerPort() const {
    if (peer_port >= 0) return peer_port;
    return port == 0 ? 0 : port + 10000;  // An ephemeral client port gets an ephemeral peer port.
  }
};

// Result of setting an option: empty on success, else Redis-style error text (without "ERR ").
using ConfigError = std::optional<std::string>;

struct OptionInfo {
  std::string_view name;
  bool runtime;  // CONFIG SET may change it.
};

// Sets option `name` from its textual value(s). `at_runtime` rejects options that cannot change
// while running. Names are case-insensitive; values as in redis.conf (memory units kb/mb/gb).
ConfigError SetOption(Config& config, std::string_view name, std::string_view value,
                      bool at_runtime);

// Current value of an option as text, or nullopt for an unknown name.
std::optional<std::string> GetOption(const Config& config, std::string_view name);

const std::vector<OptionInfo>& AllOptions();

// Parses a redis.conf-style file ("name value ..." per line, '#' comments, quotes allowed).
// Returns an error naming the line on failure.
ConfigError LoadConfigFile(Config& config, const std::string& path);

// Applies argv: "--option value" pairs, a leading config-file path, and "--port N" style
// shorthands. Returns an error message on failure.
ConfigError ParseCommandLine(Config& config, int argc, char** argv);

// Parses "512mb"-style sizes as redis.conf does.
std::optional<int64_t> ParseMemory(std::string_view s);

// Splits a config line into words with redis.conf quoting rules; nullopt on unbalanced quotes.
std::optional<std::vector<std::string>> SplitConfigLine(std::string_view line);

}  // namespace groupd
