// The registry family: one owner per key, with meta.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "server/commands.h"
#include "server/errors.h"
#include "server/gcommand_util.h"

namespace groupd {

namespace {

void GPidCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.client.owner.pid); }

// GREG key [CLUSTER c] [META f v ...]
void GRegCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 2, kOptCluster | kOptMeta, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  std::string_view key = ctx.args[1];
  if (!ValidateKey(ctx, key, false) || !ValidateMeta(ctx, opts.meta)) return;
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  MetaView meta = Meta::EncodeArgs(opts.meta, ctx.server.meta_buffer());
  RegisterResult r = ctx.server.RegisterLocal(ctx.client.owner, *cl, key, meta);
  if (r.outcome == RegisterOutcome::kTaken) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kTakenFmt), key, r.entry->pid));
    return;
  }
  ctx.reply.Ok();
}

// GUNREG key [CLUSTER c]
void GUnregCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 2, kOptCluster, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  std::string_view key = ctx.args[1];
  if (!ctx.server.UnregisterLocal(ctx.client.owner, *cl, key, Reason::kUnregister)) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kNotOwnerFmt), key));
    return;
  }
  ctx.reply.Ok();
}

// GLOOKUP key [CLUSTER c] [FIELDS f ...]
void GLookupCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 2, kOptCluster | kOptFields, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  std::string_view key = ctx.args[1];
  const HashedKey hk(key);
  const RegEntry* e = Lookup(cl->ShardFor(hk), hk);
  if (e == nullptr) {
    ctx.reply.NullArray();
    return;
  }
  std::vector<std::string_view> storage;
  ctx.reply.Array(2);
  ctx.reply.Bulk(e->pid);
  WriteMeta(ctx.reply, e->meta(), ReadFields(ctx, opts, &storage));
}

// GREGCOUNT [CLUSTER c] / GLOCALREGCOUNT [CLUSTER c]
template <bool kLocal>
void GRegCountCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 1, kOptCluster, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  ctx.reply.Integer(static_cast<int64_t>(kLocal ? cl->LocalRegistrations() : cl->Registrations()));
}

// GLOCALENTRIES: [registry|pg, cluster, key, pid, meta] for every locally owned entry.
void GLocalEntriesCommand(CommandContext& ctx) {
  auto& w = ctx.reply;
  size_t n = 0;
  for (const auto& [name, cl] : ctx.server.clusters()) {
    if (ctx.client.acl_user != nullptr && !Acl::ClusterAllowed(*ctx.client.acl_user, name)) {
      continue;
    }
    n += cl->LocalRegistrations() + cl->LocalMemberships();
  }
  w.Array(n);
  for (const auto& entry : ctx.server.clusters()) {
    const std::string& name = entry.first;
    const ClusterState* cl = entry.second.get();
    if (ctx.client.acl_user != nullptr && !Acl::ClusterAllowed(*ctx.client.acl_user, name)) {
      continue;
    }
    auto header = [&](const char* kind, std::string_view key, std::string_view pid) {
      w.Array(5);
      w.Bulk(kind);
      if (name.empty()) {
        w.Null();
      } else {
        w.Bulk(name);
      }
      w.Bulk(key);
      w.Bulk(pid);
    };
    for (const auto& shard : cl->shards) {
      for (const auto& [key, e] : shard.registry) {
        if (e.node != kLocalNode) continue;
        header("registry", key, e.pid);
        WriteMeta(w, e.meta(), {});
      }
      for (const auto& [group, g] : shard.groups) {
        if (g.local_count == 0) continue;
        for (const auto& [pid, m] : g.members) {
          if (m.node != kLocalNode) continue;
          header("pg", group, pid);
          WriteMeta(w, m.meta, {});
        }
      }
    }
  }
}

// GENTRIES [CLUSTER c]: this node's whole view of a cluster, sorted, as
// [registry|pg, key, pid, node, meta]. Meant for debugging and convergence checks.
void GEntriesCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 1, kOptCluster, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  struct Row {
    std::string_view kind;
    std::string_view key, pid;
    NodeId node;
    MetaView meta;
  };
  std::vector<Row> rows;
  for (const auto& shard : cl->shards) {
    for (const auto& [key, e] : shard.registry)
      rows.push_back({"registry", key, e.pid, e.node, e.meta()});
    for (const auto& [group, g] : shard.groups) {
      for (const auto& [pid, m] : g.members) rows.push_back({"pg", group, pid, m.node, m.meta});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::tie(a.kind, a.key, a.pid) < std::tie(b.kind, b.key, b.pid);
  });
  auto& w = ctx.reply;
  w.Array(rows.size());
  for (const auto& r : rows) {
    w.Array(5);
    w.Bulk(r.kind);
    w.Bulk(r.key);
    w.Bulk(r.pid);
    w.Bulk(ctx.server.NodeName(r.node));
    WriteMeta(w, r.meta, {});
  }
}

}  // namespace

void RegisterRegistryCommands(CommandTable& table) {
  table.Add({.name = "gpid",
             .arity = 1,
             .flags = kCmdReadonly | kCmdFast,
             .handler = GPidCommand,
             .summary = "Returns the calling process's pid.",
             .syntax = ""});
  table.Add({.name = "greg",
             .arity = -2,
             .flags = kCmdWrite | kCmdFast | kCmdDenyOom,
             .handler = GRegCommand,
             .summary = "Registers the calling process under a key, with meta.",
             .syntax = "key [CLUSTER cluster] [META field value ...]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kRegistry});
  table.Add({.name = "gunreg",
             .arity = -2,
             .flags = kCmdWrite | kCmdFast,
             .handler = GUnregCommand,
             .summary = "Removes the calling process's registration of a key.",
             .syntax = "key [CLUSTER cluster]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kRegistry});
  table.Add({.name = "glookup",
             .arity = -2,
             .flags = kCmdReadonly | kCmdFast,
             .handler = GLookupCommand,
             .summary = "Returns the pid and meta registered under a key.",
             .syntax = "key [CLUSTER cluster] [FIELDS field ...]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kRegistry});
  table.Add({.name = "gregcount",
             .arity = -1,
             .flags = kCmdReadonly | kCmdFast,
             .handler = GRegCountCommand<false>,
             .summary = "Counts registrations in this node's view.",
             .syntax = "[CLUSTER cluster]"});
  table.Add({.name = "glocalregcount",
             .arity = -1,
             .flags = kCmdReadonly | kCmdFast,
             .handler = GRegCountCommand<true>,
             .summary = "Counts registrations owned by processes on this node.",
             .syntax = "[CLUSTER cluster]"});
  table.Add({.name = "gentries",
             .arity = -1,
             .flags = kCmdReadonly,
             .handler = GEntriesCommand,
             .summary = "Lists this node's whole view of a cluster (debugging, convergence).",
             .syntax = "[CLUSTER cluster]"});
  table.Add({.name = "glocalentries",
             .arity = 1,
             .flags = kCmdReadonly,
             .handler = GLocalEntriesCommand,
             .summary = "Lists every registration and membership owned by this node.",
             .syntax = ""});
}

}  // namespace groupd
