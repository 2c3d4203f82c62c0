#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>

#include <memory>

#include "protocol/resp_writer.h"
#include "server/event.h"
#include "server/shard_table.h"

namespace groupd {

class Client;
struct AclUser;

// What the network layer does for a client; the core never touches a socket. In-process tests
// leave Client::transport null and read Client::out directly.
class ClientTransport {
 public:
  virtual ~ClientTransport() = default;
  // Called once per loop turn for clients with pending output or a close request.
  virtual void Flush(Client& client) = 0;
};

// The owner of entries. Today every connection is exactly one owner; the design lets a session
// that outlives a connection become an owner later, so entries reference OwnerId, never Client*.
struct Owner {
  OwnerId id = 0;
  std::string pid;
  // What this owner holds, so that dropping it is O(owned). Each element is an owned-entry key
  // made by OwnedKey(): kind byte, cluster, '\0', key.
  std::unordered_set<std::string, StringHash, std::equal_to<>> owned;
};

enum class EntryKind : char { kRegistry = 'r', kGroup = 'g' };

std::string OwnedKey(EntryKind kind, std::string_view cluster, std::string_view key);
// Splits an OwnedKey() string back into its parts.
void SplitOwnedKey(std::string_view owned, EntryKind* kind, std::string_view* cluster,
                   std::string_view* key);

// One client connection's state, owned by the network layer (or a test) and registered with the
// Server for its lifetime. Used only on the loop thread.
class Client {
 public:
  explicit Client(uint64_t id) : id(id), writer(&out) {}
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  int proto() const { return writer.proto(); }
  size_t subscription_count() const { return channels.size() + patterns.size(); }
  // True when a pub/sub or dispatch frame may be written to this connection without confusing
  // its client library: RESP3 connections, or RESP2 connections in subscribed mode.
  bool can_take_frames() const { return proto() >= 3 || subscription_count() > 0; }
  size_t output_bytes() const { return out.size() + inflight_bytes; }

  const uint64_t id;
  Owner owner;
  std::string out;  // Reply bytes not yet handed to the socket.
  protocol::ReplyWriter writer;
  ClientTransport* transport = nullptr;

  // Identity and bookkeeping for CLIENT LIST / INFO.
  std::string name, lib_name, lib_ver, user = "default";
  std::string addr, laddr;
  int fd = -1;
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  std::string last_command;
  bool authenticated = false;
  std::shared_ptr<const AclUser> acl_user;  // Whose permissions apply; set when attached.
  // CLIENT REPLY: kSkipNext is set by SKIP and turns into kSkipThis for the following command.
  enum class ReplyMode { kOn, kOff, kSkipNext, kSkipThis };
  ReplyMode reply_mode = ReplyMode::kOn;
  uint64_t commands_processed = 0;
  size_t query_buffer_bytes = 0;  // Unparsed input, reported by CLIENT LIST.
  size_t inflight_bytes = 0;      // Output handed to the socket, not yet written.

  std::unordered_set<std::string, StringHash, std::equal_to<>> channels;
  std::unordered_set<std::string, StringHash, std::equal_to<>> patterns;

  // Closing: close_after_reply flushes pending output first (QUIT, protocol errors); close_asap
  // drops it (CLIENT KILL, output buffer limits). close_reason becomes the reason of the events
  // for the entries the connection held.
  bool close_after_reply = false;
  bool close_asap = false;
  Reason close_reason = Reason::kDisconnect;
  bool pending = false;           // On the server's pending list this loop turn.
  int64_t obuf_soft_since_ms = 0;  // When the soft output limit was first passed; 0 if under it.
};

}  // namespace groupd
