// The process-group family: many members per group, with meta.
#include <absl/container/inlined_vector.h>
#include <fmt/format.h>

#include <algorithm>

#include "server/commands.h"
#include "server/errors.h"
#include "server/gcommand_util.h"

namespace groupd {

namespace {

// GJOIN group [CLUSTER c] [META f v ...]
void GJoinCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 2, kOptCluster | kOptMeta, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  std::string_view group = ctx.args[1];
  if (!ValidateKey(ctx, group, false) || !ValidateMeta(ctx, opts.meta)) return;
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  ctx.server.JoinLocal(ctx.client.owner, *cl, group, MetaFromArgs(opts.meta));
  ctx.reply.Ok();
}

// GLEAVE group [CLUSTER c]
void GLeaveCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 2, kOptCluster, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  std::string_view group = ctx.args[1];
  if (!ctx.server.LeaveLocal(ctx.client.owner, *cl, group, Reason::kLeave)) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kNotInGroupFmt), group));
    return;
  }
  ctx.reply.Ok();
}

// The groups a group argument names: the one group, or for a prefix every group starting with
// it, in name order across shards.
// Inline room for one: a query names one group far more often than a prefix.
using SelectedGroups = absl::InlinedVector<std::pair<std::string_view, const Group*>, 1>;
SelectedGroups SelectGroups(ClusterState& cl, std::string_view group) {
  SelectedGroups out;
  if (!IsPrefixQuery(group)) {
    const HashedKey hk(group);
    if (const Group* g = FindGroup(cl.ShardFor(hk), hk)) out.emplace_back(group, g);
    return out;
  }
  for (const auto& shard : cl.shards) {
    ForEachGroupWithPrefix(
        shard, group, [&](std::string_view name, const Group& g) { out.emplace_back(name, &g); });
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

// GMEMBERS group [CLUSTER c] [WITHKEYS] [FIELDS f ...]
void GMembersCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err =
          ParseGOptions(ctx.args, 2, kOptCluster | kOptWithKeys | kOptFields, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  auto groups = SelectGroups(*cl, ctx.args[1]);
  size_t n = 0;
  for (const auto& [name, g] : groups) n += g->members.size();
  std::vector<std::string_view> storage;
  auto fields = ReadFields(ctx, opts, &storage);
  auto& w = ctx.reply;
  w.Array(n);
  if (!fields.empty()) {
    for (const auto& [name, g] : groups) {
      for (const auto& [pid, m] : g->members) {
        w.Array(opts.withkeys ? 3 : 2);
        if (opts.withkeys) w.Bulk(name);
        w.Bulk(pid);
        WriteMeta(w, m.meta, fields);
      }
    }
    return;
  }
  // Whole members, framed straight into the buffer: one resize per run of members instead of
  // a dozen appends per member.
  const bool resp3 = w.resp3();
  for (const auto& selected : groups) {
    // Not a structured binding: the lambdas capture the name, which clang before 16 refuses
    // for a binding (make fuzz builds with Debian 12's clang 14).
    const std::string_view name = selected.first;
    const Group* g = selected.second;
    const size_t name_room = opts.withkeys ? name.size() + protocol::kMaxFrameOverhead : 0;
    w.PutEach(
        g->members.begin(), g->members.end(),
        [&](const auto& member) {
          return protocol::kMaxFrameOverhead + name_room + member.first.size() +
                 protocol::kMaxFrameOverhead + member.second.meta.RespBound();
        },
        [&](char* p, const auto& member) {
          p = protocol::PutHeader(p, '*', opts.withkeys ? 3 : 2);
          if (opts.withkeys) p = protocol::PutBulk(p, name);
          p = protocol::PutBulk(p, member.first.view());
          return member.second.meta.PutResp(p, resp3);
        });
  }
}

// GCOUNT group [CLUSTER c] / GLOCALCOUNT group [CLUSTER c]
template <bool kLocal>
void GCountCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 2, kOptCluster, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  int64_t n = 0;
  for (const auto& [name, g] : SelectGroups(*cl, ctx.args[1])) {
    n += static_cast<int64_t>(kLocal ? g->local_count : g->members.size());
  }
  ctx.reply.Integer(n);
}

}  // namespace

void RegisterGroupCommands(CommandTable& table) {
  table.Add({.name = "gjoin",
             .arity = -2,
             .flags = kCmdWrite | kCmdFast | kCmdDenyOom,
             .handler = GJoinCommand,
             .summary = "Joins the calling process to a group, with meta.",
             .syntax = "group [CLUSTER cluster] [META field value ...]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kGroups});
  table.Add({.name = "gleave",
             .arity = -2,
             .flags = kCmdWrite | kCmdFast,
             .handler = GLeaveCommand,
             .summary = "Removes the calling process from a group.",
             .syntax = "group [CLUSTER cluster]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kGroups});
  table.Add({.name = "gmembers",
             .arity = -2,
             .flags = kCmdReadonly,
             .handler = GMembersCommand,
             .summary = "Lists a group's members (or every group's under a prefix ending in '/').",
             .syntax = "group [CLUSTER cluster] [WITHKEYS] [FIELDS field ...]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kGroups});
  table.Add({.name = "gcount",
             .arity = -2,
             .flags = kCmdReadonly | kCmdFast,
             .handler = GCountCommand<false>,
             .summary = "Counts a group's members in this node's view.",
             .syntax = "group [CLUSTER cluster]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kGroups});
  table.Add({.name = "glocalcount",
             .arity = -2,
             .flags = kCmdReadonly | kCmdFast,
             .handler = GCountCommand<true>,
             .summary = "Counts a group's members owned by processes on this node.",
             .syntax = "group [CLUSTER cluster]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kGroups});
}

}  // namespace groupd
