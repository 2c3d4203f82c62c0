// Named clusters: isolated keyspaces a node joins and leaves at run time.
#include <fmt/format.h>

#include "server/commands.h"
#include "server/errors.h"
#include "server/gcommand_util.h"

namespace groupd {

namespace {

// GCONNECT c [TTL ms]
void GConnectCommand(CommandContext& ctx) {
  std::string_view name = ctx.args[1];
  if (!CheckClusterAccess(ctx, name)) return;
  if (!IsValidClusterName(name)) {
    ctx.reply.Error(errors::kInvalidClusterName);
    return;
  }
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 2, kOptTtl, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  ctx.server.ConnectCluster(name, opts.ttl_ms);
  ctx.reply.Ok();
}

// GDISCONNECT c [c ...]
void GDisconnectCommand(CommandContext& ctx) {
  int64_t n = 0;
  for (auto name : ctx.args.subspan(1)) {
    if (!CheckClusterAccess(ctx, name)) return;
  }
  for (auto name : ctx.args.subspan(1)) {
    if (name.empty()) continue;  // The default cluster cannot be left.
    n += ctx.server.DisconnectCluster(name);
  }
  ctx.reply.Integer(n);
}

// GCONNECTED c
void GConnectedCommand(CommandContext& ctx) {
  std::string_view name = ctx.args[1];
  if (!CheckClusterAccess(ctx, name)) return;
  ctx.reply.Integer(!name.empty() && ctx.server.FindCluster(name) != nullptr);
}

void WriteNames(CommandContext& ctx, const std::vector<std::string>& names, bool with_self) {
  ctx.reply.Array(names.size() + with_self);
  if (with_self) ctx.reply.Bulk(ctx.server.node_name());
  for (const auto& n : names) ctx.reply.Bulk(n);
}

// GNODES
void GNodesCommand(CommandContext& ctx) {
  WriteNames(ctx, ctx.server.list_peers ? ctx.server.list_peers() : std::vector<std::string>{},
             false);
}

// GCLUSTERNODES c
void GClusterNodesCommand(CommandContext& ctx) {
  std::string_view name = ctx.args[1];
  if (!CheckClusterAccess(ctx, name)) return;
  bool self = ctx.server.FindCluster(name) != nullptr;
  WriteNames(ctx,
             ctx.server.list_cluster_peers ? ctx.server.list_cluster_peers(name)
                                           : std::vector<std::string>{},
             self);
}

}  // namespace

void RegisterClusterCommands(CommandTable& table) {
  table.Add({.name = "gconnect",
             .arity = -2,
             .flags = kCmdWrite | kCmdDenyOom,
             .handler = GConnectCommand,
             .summary = "Connects this node to a named cluster, optionally with a lease.",
             .syntax = "cluster [TTL milliseconds]"});
  table.Add({.name = "gdisconnect",
             .arity = -2,
             .flags = kCmdWrite,
             .handler = GDisconnectCommand,
             .summary = "Removes this node's entries in named clusters and disconnects.",
             .syntax = "cluster [cluster ...]"});
  table.Add({.name = "gconnected",
             .arity = 2,
             .flags = kCmdReadonly | kCmdFast,
             .handler = GConnectedCommand,
             .summary = "Tells whether this node is connected to a named cluster.",
             .syntax = "cluster"});
  table.Add({.name = "gnodes",
             .arity = 1,
             .flags = kCmdReadonly,
             .handler = GNodesCommand,
             .summary = "Lists the peers that completed the handshake.",
             .syntax = ""});
  table.Add({.name = "gclusternodes",
             .arity = 2,
             .flags = kCmdReadonly,
             .handler = GClusterNodesCommand,
             .summary = "Lists the nodes connected to a named cluster.",
             .syntax = "cluster"});
}

}  // namespace groupd
