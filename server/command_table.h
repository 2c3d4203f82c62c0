#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/resp_writer.h"
#include "server/shard_table.h"

namespace groupd {

class Server;
class Client;

enum CommandFlag : uint32_t {
  kCmdWrite = 1 << 0,
  kCmdReadonly = 1 << 1,
  kCmdPubSub = 1 << 2,
  kCmdAdmin = 1 << 3,
  kCmdAllowedWhenSubscribed = 1 << 4,  // Allowed on a RESP2 connection in subscribed mode.
  kCmdNoAuth = 1 << 5,                 // Allowed before authentication.
  kCmdFast = 1 << 6,
  kCmdLoading = 1 << 7,
  kCmdStale = 1 << 8,
  kCmdDenyOom = 1 << 9,       // Adds data: refused with -OOM while used memory is over maxmemory.
  kCmdNoMulti = 1 << 10,      // Refused inside MULTI (Redis's no_multi).
  kCmdTransaction = 1 << 11,  // Runs at once inside MULTI instead of being queued.
};

// Everything a handler may use. args[0] is the command name as the client sent it.
struct CommandContext {
  Server& server;
  Client& client;
  std::span<const std::string_view> args;
  protocol::ReplyWriter& reply;
};

using CommandHandler = void (*)(CommandContext& ctx);

// One entry of the declarative command table. The documentation fields feed COMMAND INFO and
// COMMAND DOCS, which redis-cli uses for its hints.
struct CommandSpec {
  std::string name;  // Lower case.
  int arity;         // Negative: at least -arity arguments, as in Redis.
  uint32_t flags;
  CommandHandler handler;  // Null for a container whose subcommands do the work.
  std::string summary;
  std::string syntax;  // Argument synopsis shown by redis-cli hints, e.g. "key [CLUSTER c]".
  std::string group = "groupd";  // Redis command group ("connection", "server", "pubsub"...).
  std::string since = "0.1.0";
  int first_key = 0, last_key = 0, key_step = 0;
  // The shard table args[first_key] names, if any: a pipelined batch starts loading its slot for
  // the next command while the current one runs (Server::LookAhead).
  KeyTable key_table = KeyTable::kNone;
  std::vector<CommandSpec> subcommands;
};

// Commands by lower-case name. Families add themselves through RegisterXCommands(), called from
// RegisterAllCommands() in one place.
class CommandTable {
 public:
  void Add(CommandSpec spec);
  // Case-insensitive.
  const CommandSpec* Find(std::string_view name) const;
  const std::vector<CommandSpec>& all() const { return specs_; }

  // ASCII case-insensitive hashing and equality, so a command or subcommand is found without
  // lower-casing a copy of its name.
  struct FoldHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const;
  };
  struct FoldEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };

 private:
  // Names of up to 16 bytes (every command's) are found in an open-addressed table keyed by the
  // name's bytes with A-Z folded to lower case, eight at a time: a lookup is two loads, a few
  // word operations and one compare instead of a byte-wise hash and compare.
  static constexpr size_t kShortName = 16;
  static constexpr size_t kFastSlots = 256;  // Power of two, well above the command count.
  struct FastSlot {
    uint64_t w0 = 0, w1 = 0;
    uint32_t len = 0;
    uint32_t index = UINT32_MAX;  // UINT32_MAX: empty.
  };
  static void FoldWords(std::string_view name, uint64_t* w0, uint64_t* w1);
  static size_t FastHash(uint64_t w0, uint64_t w1, size_t len);

  std::vector<CommandSpec> specs_;
  std::unordered_map<std::string, size_t, FoldHash, FoldEqual> index_;  // Longer names.
  std::array<FastSlot, kFastSlots> fast_{};
  size_t fast_used_ = 0;
};

// Finds a subcommand of container by name (case-insensitive).
const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view name);

// Registers every command family.
void RegisterAllCommands(CommandTable& table);

}  // namespace groupd
