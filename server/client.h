#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "protocol/resp_writer.h"
#include "server/event.h"
#include "server/pid.h"
#include "server/shard_table.h"

namespace groupd {

class Client;
struct AclUser;
struct CommandSpec;

// The commands a connection queued between MULTI and EXEC. Their arguments are copied, back to
// back in one buffer, since the input they were parsed from is reused.
struct Transaction {
  struct Queued {
    const CommandSpec* spec;  // As looked up by name (a container, for CLIENT ...).
    size_t first_arg;         // Index into arg_ends.
    size_t argc;
  };
  std::string bytes;             // Every queued argument.
  std::vector<size_t> arg_ends;  // Where each argument ends in bytes.
  std::vector<Queued> commands;
  bool dirty = false;  // A command was refused while queued: EXEC answers -EXECABORT.

  void Add(const CommandSpec* spec, std::span<const std::string_view> args) {
    commands.push_back(Queued{spec, arg_ends.size(), args.size()});
    for (std::string_view a : args) {
      bytes.append(a);
      arg_ends.push_back(bytes.size());
    }
  }
  // What the queue holds, for the query buffer limit and CLIENT LIST's multi-mem.
  size_t memory() const {
    return bytes.capacity() + arg_ends.capacity() * sizeof(size_t) +
           commands.capacity() * sizeof(Queued);
  }
};

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

// A vector that grows in fixed chunks once past the first: what it spends beyond its elements
// is at most one chunk, where a vector that doubles spends up to its size again. Elements do
// not move when it grows. Indexing is a branch and a shift.
template <typename T, size_t kChunk = 512>
class ChunkedVector {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return i < kChunk ? head_[i] : tail_[i / kChunk - 1][i % kChunk]; }
  const T& operator[](size_t i) const {
    return i < kChunk ? head_[i] : tail_[i / kChunk - 1][i % kChunk];
  }
  T& back() { return (*this)[size_ - 1]; }

  void push_back(const T& v) {
    if (size_ < kChunk) {
      // The first chunk grows like a vector, so a small owner holds a small array.
      if (head_.size() == head_.capacity()) {
        head_.reserve(std::min(kChunk, std::max<size_t>(4, 2 * head_.capacity())));
      }
      head_.push_back(v);
    } else {
      size_t chunk = size_ / kChunk - 1;
      if (chunk == tail_.size()) tail_.push_back(std::make_unique_for_overwrite<T[]>(kChunk));
      tail_[chunk][size_ % kChunk] = v;
    }
    size_++;
  }
  void pop_back() {
    size_--;
    if (size_ < kChunk) {
      head_.pop_back();
      if (head_.capacity() > 64 && head_.size() < head_.capacity() / 4) head_.shrink_to_fit();
    } else if (size_ % kChunk == 0) {
      tail_.pop_back();  // The last chunk held only the element just removed.
    }
  }

 private:
  std::vector<T> head_;                     // Elements [0, kChunk).
  std::vector<std::unique_ptr<T[]>> tail_;  // Chunk i holds [(i + 1) kChunk, (i + 2) kChunk).
  size_t size_ = 0;
};

// What an owner holds, so that dropping the owner is O(owned) and adding or removing one entry
// is O(1) with no allocation per command (but one per chunk of 512). Refs are kept per cluster
// (an owner rarely uses more than one or two), so a ref is one tagged pointer: to a registry
// entry (whose key is RegistryTable::KeyOf), or to a group (GroupTable::KeyOf); table nodes do
// not move. The entry keeps its slot in its cluster's list (RegEntry/Member::
// owned_slot), so removal is a swap with the last ref.
class OwnedIndex {
 public:
  class Ref {
   public:
    static Ref Registry(RegEntry* entry) { return Ref(reinterpret_cast<uintptr_t>(entry)); }
    static Ref Group(groupd::Group* group) { return Ref(reinterpret_cast<uintptr_t>(group) | 1); }
    EntryKind kind() const { return (target_ & 1) ? EntryKind::kGroup : EntryKind::kRegistry; }
    RegEntry* entry() const { return reinterpret_cast<RegEntry*>(target_); }  // kRegistry.
    groupd::Group* group() const {                                           // kGroup.
      return reinterpret_cast<groupd::Group*>(target_ & ~uintptr_t{1});
    }
    std::string_view key() const {
      return kind() == EntryKind::kRegistry ? RegistryTable::KeyOf(*entry())
                                            : GroupTable::KeyOf(*group());
    }

    Ref() = default;  // For storage; holds nothing.

   private:
    explicit Ref(uintptr_t target) : target_(target) {}
    uintptr_t target_ = 0;
  };

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Adds a ref to an entry of cluster and returns its slot in the cluster's list.
  uint32_t Add(ClusterState* cluster, Ref ref) {
    List* list = Find(cluster);
    if (list == nullptr) list = &lists_.emplace_back(List{cluster, {}});
    list->refs.push_back(ref);
    size_++;
    return static_cast<uint32_t>(list->refs.size() - 1);
  }
  // Points slot of cluster's list at ref (an entry that moved).
  void Set(ClusterState* cluster, uint32_t slot, Ref ref) { Find(cluster)->refs[slot] = ref; }
  // Removes the ref in slot of cluster's list. If another ref moved into the slot, returns it:
  // the caller points that entry's owned_slot at `slot`.
  const Ref* Remove(ClusterState* cluster, uint32_t slot) {
    List* list = Find(cluster);
    bool moved = slot + 1 < list->refs.size();
    if (moved) list->refs[slot] = list->refs.back();
    list->refs.pop_back();
    size_--;
    if (list->refs.empty()) {
      if (list != &lists_.back()) *list = std::move(lists_.back());
      lists_.pop_back();
      return nullptr;  // Nothing moved into the slot of an emptied list.
    }
    return moved ? &list->refs[slot] : nullptr;
  }
  // The last ref of some cluster, and its slot: taking refs from here moves nothing.
  // REQUIRES: !empty().
  std::pair<ClusterState*, Ref> Last(uint32_t* slot) const {
    const List& list = lists_.back();
    *slot = static_cast<uint32_t>(list.refs.size() - 1);
    return {list.cluster, list.refs[*slot]};
  }
  // Linear; for tests and invariant checks.
  bool Contains(EntryKind kind, std::string_view cluster, std::string_view key) const;

 private:
  struct List {
    ClusterState* cluster;
    ChunkedVector<Ref> refs;  // Never empty while listed.
  };
  List* Find(ClusterState* cluster) {
    for (List& l : lists_) {
      if (l.cluster == cluster) return &l;
    }
    return nullptr;
  }

  std::vector<List> lists_;
  size_t size_ = 0;
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
  // frame_start in out. While this client runs a command, push frames sent to it are held aside
  // and follow the command's reply (ReleasePushFrames()), as Redis 7.2 orders them: so they never
  // land inside EXEC's array of replies, and survive a reply that CLIENT REPLY OFF/SKIP drops
  // (Redis delivers pushes whatever the reply mode: its CLIENT_PUSHING flag).
  void KeepPushFrame(size_t frame_start) {
    if (!holding_pushes_ || frame_start > out.size()) return;
    held_pushes_.append(out, frame_start);
    out.resize(frame_start);
  }
  // Server::Execute() holds push frames while a command runs, then releases them: appends them
  // to out and stops holding.
  void HoldPushFrames() { holding_pushes_ = true; }
  void ReleasePushFrames() {
    holding_pushes_ = false;
    if (held_pushes_.empty()) return;
    out.append(held_pushes_);
    held_pushes_.clear();
    if (held_pushes_.capacity() > kMaxIdleHeldPushes) held_pushes_.shrink_to_fit();
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
  uint64_t commands_processed = 0;
  size_t query_buffer_bytes = 0;  // Unparsed input, reported by CLIENT LIST.
  size_t inflight_bytes = 0;      // Output handed to the socket, not yet written.

  std::unordered_set<std::string, StringHash, std::equal_to<>> channels;
  std::unordered_set<std::string, StringHash, std::equal_to<>> patterns;

  // Between MULTI and EXEC or DISCARD; null otherwise.
  std::unique_ptr<Transaction> multi;

  // Closing: close_after_reply flushes pending output first (QUIT, protocol errors); close_asap
  // drops it (CLIENT KILL, output buffer limits). close_reason becomes the reason of the events
  // for the entries the connection held.
  bool close_after_reply = false;
  bool close_asap = false;
  Reason close_reason = Reason::kDisconnect;
  bool pending = false;           // On the server's pending list this loop turn.
  uint64_t input_turn = 0;        // The network's loop turn in which it last sent bytes.
  int64_t obuf_soft_since_ms = 0;  // When the soft output limit was first passed; 0 if under it.

 private:
  static constexpr size_t kMaxIdleHeldPushes = 64 * 1024;
  bool holding_pushes_ = false;  // See KeepPushFrame().
  std::string held_pushes_;
};

}  // namespace groupd
