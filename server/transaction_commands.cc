// MULTI / EXEC / DISCARD: Redis's transactions. Queued commands run back to back at EXEC, with
// nothing else in between (the server has one loop), and their replies come as one array.
// WATCH is not offered: groupd has no Redis keys to watch.
#include "server/commands.h"
#include "server/errors.h"
#include "server/server.h"

namespace groupd {

namespace {

void MultiCommand(CommandContext& ctx) {
  if (ctx.client.multi != nullptr) {
    ctx.reply.Error(errors::kMultiNested);
    return;
  }
  ctx.client.multi = std::make_unique<Transaction>();
  ctx.reply.Ok();
}

void ExecCommand(CommandContext& ctx) {
  if (ctx.client.multi == nullptr) {
    ctx.reply.Error(errors::kExecWithoutMulti);
    return;
  }
  ctx.server.ExecTransaction(ctx.client);
}

void DiscardCommand(CommandContext& ctx) {
  if (ctx.client.multi == nullptr) {
    ctx.reply.Error(errors::kDiscardWithoutMulti);
    return;
  }
  ctx.client.multi.reset();
  ctx.reply.Ok();
}

constexpr uint32_t kTransactionFlags = kCmdLoading | kCmdStale | kCmdTransaction;

}  // namespace

void RegisterTransactionCommands(CommandTable& table) {
  table.Add({.name = "multi",
             .arity = 1,
             .flags = kTransactionFlags | kCmdFast,
             .handler = MultiCommand,
             .summary = "Starts a transaction.",
             .syntax = "",
             .group = "transactions",
             .since = "1.2.0"});
  table.Add({.name = "exec",
             .arity = 1,
             .flags = kTransactionFlags,
             .handler = ExecCommand,
             .summary = "Executes all commands in a transaction.",
             .syntax = "",
             .group = "transactions",
             .since = "1.2.0"});
  table.Add({.name = "discard",
             .arity = 1,
             .flags = kTransactionFlags | kCmdFast,
             .handler = DiscardCommand,
             .summary = "Discards a transaction.",
             .syntax = "",
             .group = "transactions",
             .since = "2.0.0"});
}

}  // namespace groupd
