#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <memory>

#include "protocol/resp_writer.h"
#include "server/event.h"
#include "server/pid.h"
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

struct ClusterState;

enum class EntryKind : char { kRegistry = 'r', kGroup = 'g' };

// What an owner holds, so that dropping the owner is O(owned) and adding or removing one entry
// is O(1) with no allocation per command. A ref points at the key string inside the shard table
// (registry key or group name; table nodes do not move) and at its cluster; the entry keeps its
// slot here (RegEntry/Member::owned_slot) so removal is a swap with the last ref.
class OwnedIndex {
 public:
  // A registry entry (whose key is RegistryTable::KeyOf) or a group name, tagged in the low
  // bit of one pointer so a ref is 16 bytes.
  class Ref {
   public:
    static Ref Registry(ClusterState* cluster, RegEntry* entry) {
      return Ref(cluster, reinterpret_cast<uintptr_t>(entry));
    }
    static Ref Group(ClusterState* cluster, const std::string* name) {
      return Ref(cluster, reinterpret_cast<uintptr_t>(name) | 1);
    }
    ClusterState* cluster() const { return cluster_; }
    EntryKind kind() const { return (target_ & 1) ? EntryKind::kGroup : EntryKind::kRegistry; }
    RegEntry* entry() const { return reinterpret_cast<RegEntry*>(target_); }  // kRegistry.
    const std::string* group() const {                                       // kGroup.
      return reinterpret_cast<const std::string*>(target_ & ~uintptr_t{1});
    }
    std::string_view key() const {
      return kind() == EntryKind::kRegistry ? RegistryTable::KeyOf(*entry())
                                            : std::string_view(*group());
    }

   private:
    Ref(ClusterState* cluster, uintptr_t target) : cluster_(cluster), target_(target) {}
    ClusterState* cluster_;
    uintptr_t target_;
  };

  size_t size() const { return refs_.size(); }
  bool empty() const { return refs_.empty(); }
  const Ref& operator[](uint32_t slot) const { return refs_[slot]; }

  // Adds a ref and returns its slot.
  uint32_t Add(const Ref& ref) {
    refs_.push_back(ref);
    return static_cast<uint32_t>(refs_.size() - 1);
  }
  // Removes the ref in slot. If another ref moved into the slot, returns it: the caller points
  // that entry's owned_slot at `slot`.
  const Ref* Remove(uint32_t slot) {
    bool moved = slot + 1 < refs_.size();
    if (moved) refs_[slot] = refs_.back();
    refs_.pop_back();
    if (refs_.capacity() > 64 && refs_.size() < refs_.capacity() / 4) refs_.shrink_to_fit();
    return moved ? &refs_[slot] : nullptr;
  }
  // Empties the index, returning what it held.
  std::vector<Ref> TakeAll() { return std::exchange(refs_, {}); }
  // Linear; for tests and invariant checks.
  bool Contains(EntryKind kind, std::string_view cluster, std::string_view key) const;

 private:
  std::vector<Ref> refs_;
};

// The owner of entries. Today every connection is exactly one owner; the design lets a session
// that outlives a connection become an owner later, so entries reference OwnerId, never Client*.
struct Owner {
  OwnerId id = 0;
  Pid pid;
  OwnedIndex owned;
};

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

  // Call after appending a push frame (a pub/sub confirmation or message) that began at
  // frame_start in out. While this client runs a command whose reply CLIENT REPLY OFF/SKIP drops,
  // the frame is moved in front of that reply so that it survives the drop: Redis delivers push
  // frames whatever the reply mode (its CLIENT_PUSHING flag).
  void KeepPushFrame(size_t frame_start) {
    if (dropped_reply_from == std::string::npos || frame_start < dropped_reply_from ||
        frame_start > out.size()) {
      return;
    }
    std::rotate(out.begin() + static_cast<std::ptrdiff_t>(dropped_reply_from),
                out.begin() + static_cast<std::ptrdiff_t>(frame_start), out.end());
    dropped_reply_from += out.size() - frame_start;
  }

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
  // Where in out the reply of the running command starts when CLIENT REPLY may drop it; npos
  // otherwise. See KeepPushFrame().
  size_t dropped_reply_from = std::string::npos;
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
