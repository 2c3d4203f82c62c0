#include "server/command_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "server/arg_parser.h"
#include "server/errors.h"
#include "server/log.h"
#include "server/memory.h"
#include "server/server.h"

namespace groupd {

void CommandTable::FoldWords(std::string_view name, uint64_t* w0, uint64_t* w1) {
  uint64_t w[2] = {0, 0};
  if (!name.empty()) std::memcpy(w, name.data(), name.size());  // REQUIRES: size <= kShortName.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  for (uint64_t& x : w) {
    // Per byte, without carries between bytes: the high bit says "in 'A'..'Z'" (bytes with the
    // high bit set are never letters), and shifted down to 0x20 it lower-cases exactly those.
    uint64_t low7 = x & ~kHigh;
    uint64_t ge_a = low7 + (0x80 - 'A') * kOnes;
    uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * kOnes;
    uint64_t upper = ge_a & ~gt_z & ~x & kHigh;
    x |= upper >> 2;
  }
  *w0 = w[0];
  *w1 = w[1];
}

size_t CommandTable::FastHash(uint64_t w0, uint64_t w1, size_t len) {
  uint64_t h = (w0 ^ (w1 * 0xC2B2AE3D27D4EB4FULL) ^ len) * 0x9E3779B97F4A7C15ULL;
  return static_cast<size_t>(h >> 56) & (kFastSlots - 1);
}

void CommandTable::Add(CommandSpec spec) {
  std::string name = spec.name;
  size_t index = specs_.size();
  specs_.push_back(std::move(spec));
  if (name.size() > kShortName) {
    index_[name] = index;
    return;
  }
  if (++fast_used_ > kFastSlots / 2) throw std::logic_error("CommandTable: raise kFastSlots");
  uint64_t w0, w1;
  FoldWords(name, &w0, &w1);
  for (size_t i = FastHash(w0, w1, name.size());; i = (i + 1) & (kFastSlots - 1)) {
    FastSlot& slot = fast_[i];
    if (slot.index == UINT32_MAX || (slot.w0 == w0 && slot.w1 == w1 && slot.len == name.size())) {
      slot = FastSlot{w0, w1, static_cast<uint32_t>(name.size()), static_cast<uint32_t>(index)};
      return;
    }
  }
}

size_t CommandTable::FoldHash::operator()(std::string_view s) const {
  // FNV-1a over ASCII-lower-cased bytes.
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<unsigned char>(ch + 32);
    h = (h ^ ch) * 1099511628211ULL;
  }
  return static_cast<size_t>(h);
}

bool CommandTable::FoldEqual::operator()(std::string_view a, std::string_view b) const {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  if (name.size() <= kShortName) {
    uint64_t w0, w1;
    FoldWords(name, &w0, &w1);
    for (size_t i = FastHash(w0, w1, name.size());; i = (i + 1) & (kFastSlots - 1)) {
      const FastSlot& slot = fast_[i];
      if (slot.index == UINT32_MAX) return nullptr;
      if (slot.w0 == w0 && slot.w1 == w1 && slot.len == name.size()) return &specs_[slot.index];
    }
  }
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &specs_[it->second];
}

const CommandSpec* FindSubcommand(const CommandSpec& container, std::string_view name) {
  for (const auto& sub : container.subcommands) {
    if (CommandTable::FoldEqual{}(sub.name, name)) return &sub;
  }
  return nullptr;
}

namespace {

bool ArityOk(int arity, size_t argc) {
  return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

std::string UnknownCommandError(std::span<const std::string_view> args) {
  // Redis quotes the first arguments, up to about 128 bytes of them.
  std::string quoted;
  for (size_t i = 1; i < args.size() && quoted.size() < 128; i++) {
    size_t room = 128 - quoted.size();
    quoted += fmt::format("'{}' ", args[i].substr(0, room));
  }
  return fmt::format(fmt::runtime(errors::kUnknownCommandFmt), args[0].substr(0, 128), quoted);
}

}  // namespace

bool Server::CheckAcl(Client& c, const CommandSpec& container, const CommandSpec* sub,
                      const CommandSpec& spec, std::span<const std::string_view> args) {
  const AclUser& u = *c.acl_user;
  if (!Acl::CommandAllowed(u, container, sub)) {
    std::string name = sub != nullptr ? container.name + "|" + sub->name : container.name;
    c.writer.Error(fmt::format(fmt::runtime(errors::kNoPermCommandFmt), u.name, name));
    return false;
  }
  if (spec.first_key > 0 && !u.all_keys) {
    int last = spec.last_key < 0 ? static_cast<int>(args.size()) + spec.last_key : spec.last_key;
    int step = spec.key_step > 0 ? spec.key_step : 1;
    for (int i = spec.first_key; i <= last && i < static_cast<int>(args.size()); i += step) {
      if (!Acl::KeyAllowed(u, args[i])) {
        c.writer.Error(errors::kNoPermKey);
        return false;
      }
    }
  }
  return true;
}

const CommandSpec* Server::LookAhead(std::span<const std::string_view> args) {
  const CommandSpec* spec = commands_.Find(args[0]);
  if (spec == nullptr || spec->key_table == KeyTable::kNone ||
      args.size() <= static_cast<size_t>(spec->first_key)) {
    return spec;
  }
  // The cluster a CLUSTER option names, else the default. A guess is harmless: the command
  // parses its options itself (and reports their errors), and a wrong guess only loads a slot
  // it does not use.
  GOptions opts;
  (void)ParseGOptions(args, spec->first_key + 1, kOptCluster | kOptMeta | kOptFields | kOptWithKeys,
                      &opts);
  if (ClusterState* cl = FindCluster(opts.cluster.value_or(""))) {
    cl->Prefetch(spec->key_table, args[spec->first_key]);
  }
  return spec;
}

void Server::Execute(Client& c, std::span<const std::string_view> args, const CommandSpec* spec) {
  // Push frames the command sends to this client (a PUBLISH to a channel it subscribes to, events
  // of its own changes) are held aside and follow the reply, as in Redis 7.2; with CLIENT REPLY
  // OFF / SKIP they survive the reply being dropped (Client::KeepPushFrame()).
  const size_t mark = c.out.size();
  c.HoldPushFrames();
  Dispatch(c, args, spec);
  // An output limit may have emptied out during the command.
  auto drop = [&] {
    if (c.out.size() > mark) c.out.resize(mark);
  };
  switch (c.reply_mode) {
    case Client::ReplyMode::kOn:
      break;
    case Client::ReplyMode::kOff:
      drop();
      break;
    case Client::ReplyMode::kSkipNext:
      c.reply_mode = Client::ReplyMode::kSkipThis;
      break;
    case Client::ReplyMode::kSkipThis:
      drop();
      c.reply_mode = Client::ReplyMode::kOn;
      break;
  }
  c.ReleasePushFrames();
}

void Server::Dispatch(Client& c, std::span<const std::string_view> args, const CommandSpec* spec) {
  CommandContext ctx{*this, c, args, c.writer};
  const CommandSpec* const named = spec;  // What a transaction queues: looked up again at EXEC.
  // A refused command also makes the transaction it was sent in fail at EXEC, as in Redis.
  auto refuse = [&c](std::string_view error) {
    c.writer.Error(error);
    if (c.multi != nullptr) c.multi->dirty = true;
  };

  if (spec == nullptr) {
    refuse(UnknownCommandError(args));
    return;
  }
  if (!ArityOk(spec->arity, args.size())) {
    refuse(fmt::format(fmt::runtime(errors::kWrongArityFmt), spec->name));
    return;
  }
  std::string fullname;
  const CommandSpec* container = spec;
  const CommandSpec* subcommand = nullptr;
  // A container called bare runs its own handler when it has one (COMMAND lists everything).
  if (!spec->subcommands.empty() && !(args.size() == 1 && spec->handler != nullptr)) {
    const CommandSpec* sub = FindSubcommand(*spec, args[1]);
    if (sub == nullptr) {
      std::string upper = spec->name;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      refuse(
          fmt::format(fmt::runtime(errors::kUnknownSubcommandFmt), args[1].substr(0, 128), upper));
      return;
    }
    fullname = spec->name + "|" + sub->name;
    subcommand = sub;
    if (!ArityOk(sub->arity, args.size())) {
      refuse(fmt::format(fmt::runtime(errors::kWrongArityFmt), fullname));
      return;
    }
    spec = sub;
  }
  if (AuthRequired(c) && !(spec->flags & kCmdNoAuth)) {
    refuse(errors::kNoAuth);
    return;
  }
  if (!(spec->flags & kCmdNoAuth) && c.acl_user != nullptr &&
      !CheckAcl(c, *container, subcommand, *spec, args)) {
    if (c.multi != nullptr) c.multi->dirty = true;
    return;
  }
  if (c.proto() == 2 && c.subscription_count() > 0 && !(spec->flags & kCmdAllowedWhenSubscribed)) {
    refuse(fmt::format(fmt::runtime(errors::kSubscribedContextFmt),
                       fullname.empty() ? spec->name : fullname));
    return;
  }
  if (c.multi != nullptr) [[unlikely]] {
    if (!(spec->flags & kCmdTransaction)) {
      // Over maxmemory, queueing anything is refused: a transaction could otherwise grow
      // without bound.
      if (spec->flags & kCmdNoMulti) {
        refuse(errors::kNotInTransaction);
      } else if (OverMaxmemory()) {
        stats_.oom_rejections++;
        refuse(errors::kOom);
      } else {
        QueueCommand(c, args, named);
      }
      return;
    }
  } else if ((spec->flags & kCmdDenyOom) && !executing_transaction_ && OverMaxmemory()) {
    // Commands an EXEC runs were checked when it started (ExecTransaction).
    stats_.oom_rejections++;
    refuse(errors::kOom);
    return;
  }
  // Counted as Redis counts calls: refused and queued commands are not.
  stats_.total_commands++;
  c.commands_processed++;
  c.last_command = fullname.empty() ? spec->name : fullname;
  spec->handler(ctx);
}

bool Server::OverMaxmemory() const {
  return config_.maxmemory > 0 && UsedMemoryFast() > static_cast<uint64_t>(config_.maxmemory);
}

// --- Transactions (MULTI / EXEC) -----------------------------------------------------------------

void Server::QueueCommand(Client& c, std::span<const std::string_view> args,
                          const CommandSpec* spec) {
  Transaction& tx = *c.multi;
  tx.Add(spec, args);
  // Queued commands are input not yet run: they count against the query buffer limit.
  const size_t held = tx.memory() + c.query_buffer_bytes;
  if (static_cast<int64_t>(held) > config_.client_query_buffer_limit) {
    stats_.query_buffer_disconnects++;
    GD_LOG_INFO(
        "closing client id={} addr={} that reached max query buffer length ({} bytes, with its "
        "queued transaction)",
        c.id, c.addr, held);
    c.multi.reset();
    KillClient(c, Reason::kDisconnect);
    return;
  }
  c.writer.SimpleString("QUEUED");
}

void Server::ExecTransaction(Client& c) {
  // The transaction leaves the client before anything runs, so the commands run as they would
  // outside one.
  std::unique_ptr<Transaction> tx = std::move(c.multi);
  if (tx->dirty) {
    c.writer.Error(errors::kExecAbort);
    return;
  }
  if (OverMaxmemory()) {
    for (const Transaction::Queued& q : tx->commands) {
      if (q.spec->flags & kCmdDenyOom) {
        stats_.oom_rejections++;
        c.writer.Error(fmt::format("EXECABORT Transaction discarded because of: {}", errors::kOom));
        return;
      }
    }
  }
  std::vector<std::string_view> args;
  args.reserve(tx->arg_ends.size());
  size_t begin = 0;
  for (size_t end : tx->arg_ends) {
    args.emplace_back(tx->bytes.data() + begin, end - begin);
    begin = end;
  }
  // Events and messages this client gets from its own commands are held until the whole array
  // is written (Execute()), so they never land inside it.
  c.writer.Array(tx->commands.size());
  executing_transaction_ = true;
  // A transaction runs completely, as in Redis, even when its connection is closed meanwhile
  // (CLIENT KILL of itself, or its output limit, checked when one of its events arrives): what
  // it registers after that goes when the connection closes, at the end of this loop turn.
  for (const Transaction::Queued& q : tx->commands) {
    Dispatch(c, std::span(args).subspan(q.first_arg, q.argc), q.spec);
  }
  executing_transaction_ = false;
}

}  // namespace groupd
