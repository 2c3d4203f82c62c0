// Pub/sub with Redis's semantics, and groupd's monitors and dispatch built on it.
#include <fmt/format.h>

#include "server/commands.h"
#include "server/errors.h"
#include "server/gcommand_util.h"
#include "server/glob.h"

namespace groupd {

namespace {

void WriteSubscriptionFrame(Client& c, std::string_view kind, std::string_view name,
                            bool null_name = false) {
  const size_t start = c.out.size();
  c.writer.Push(3);
  c.writer.Bulk(kind);
  if (null_name) {
    c.writer.Null();
  } else {
    c.writer.Bulk(name);
  }
  c.writer.Integer(static_cast<int64_t>(c.subscription_count()));
  // Confirmations are push frames in Redis too: CLIENT REPLY OFF does not silence them.
  c.KeepPushFrame(start);
}

// NOPERM (and false) unless the client's user may use every channel.
template <typename Channels>
bool CheckChannels(CommandContext& ctx, const Channels& channels) {
  const auto& u = ctx.client.acl_user;
  if (u == nullptr) return true;
  for (std::string_view ch : channels) {
    if (!Acl::ChannelAllowed(*u, ch)) {
      ctx.reply.Error(errors::kNoPermChannel);
      return false;
    }
  }
  return true;
}

void SubscribeAll(CommandContext& ctx, std::span<const std::string_view> channels) {
  if (!CheckChannels(ctx, channels)) return;
  for (auto ch : channels) {
    ctx.server.pubsub().Subscribe(&ctx.client, ch);
    WriteSubscriptionFrame(ctx.client, "subscribe", ch);
  }
}

// Unsubscribes from `channels`, or when empty from every channel accepted by `filter`.
template <typename Filter>
void UnsubscribeAll(CommandContext& ctx, std::span<const std::string_view> channels,
                    Filter&& filter) {
  Client& c = ctx.client;
  if (!channels.empty()) {
    for (auto ch : channels) {
      ctx.server.pubsub().Unsubscribe(&c, ch);
      WriteSubscriptionFrame(c, "unsubscribe", ch);
    }
    return;
  }
  std::vector<std::string> mine;
  for (const auto& ch : c.channels) {
    if (filter(ch)) mine.push_back(ch);
  }
  if (mine.empty()) {
    WriteSubscriptionFrame(c, "unsubscribe", "", true);
    return;
  }
  for (const auto& ch : mine) {
    ctx.server.pubsub().Unsubscribe(&c, ch);
    WriteSubscriptionFrame(c, "unsubscribe", ch);
  }
}

void SubscribeCommand(CommandContext& ctx) { SubscribeAll(ctx, ctx.args.subspan(1)); }

void UnsubscribeCommand(CommandContext& ctx) {
  UnsubscribeAll(ctx, ctx.args.subspan(1), [](std::string_view) { return true; });
}

void PSubscribeCommand(CommandContext& ctx) {
  if (const auto& u = ctx.client.acl_user) {
    for (auto p : ctx.args.subspan(1)) {
      if (!Acl::PatternAllowed(*u, p)) {
        ctx.reply.Error(errors::kNoPermChannel);
        return;
      }
    }
  }
  for (auto p : ctx.args.subspan(1)) {
    ctx.server.pubsub().PSubscribe(&ctx.client, p);
    WriteSubscriptionFrame(ctx.client, "psubscribe", p);
  }
}

void PUnsubscribeCommand(CommandContext& ctx) {
  Client& c = ctx.client;
  auto patterns = ctx.args.subspan(1);
  if (!patterns.empty()) {
    for (auto p : patterns) {
      ctx.server.pubsub().PUnsubscribe(&c, p);
      WriteSubscriptionFrame(c, "punsubscribe", p);
    }
    return;
  }
  if (c.patterns.empty()) {
    WriteSubscriptionFrame(c, "punsubscribe", "", true);
    return;
  }
  std::vector<std::string> mine(c.patterns.begin(), c.patterns.end());
  for (const auto& p : mine) {
    ctx.server.pubsub().PUnsubscribe(&c, p);
    WriteSubscriptionFrame(c, "punsubscribe", p);
  }
}

void PublishCommand(CommandContext& ctx) {
  if (!CheckChannels(ctx, ctx.args.subspan(1, 1))) return;
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.Publish(ctx.args[1], ctx.args[2])));
}

void PubSubChannelsCommand(CommandContext& ctx) {
  std::string_view pattern = ctx.args.size() > 2 ? ctx.args[2] : "*";
  std::vector<std::string_view> names;
  ctx.server.pubsub().ForEachChannel([&](std::string_view name, size_t) {
    if (GlobMatch(pattern, name)) names.push_back(name);
  });
  ctx.reply.Array(names.size());
  for (auto n : names) ctx.reply.Bulk(n);
}

void PubSubNumSubCommand(CommandContext& ctx) {
  auto channels = ctx.args.subspan(2);
  // A flat array in RESP3 too, as Redis answers (clients slice it as a list).
  ctx.reply.Array(channels.size() * 2);
  for (auto ch : channels) {
    const auto* subs = ctx.server.pubsub().Subscribers(ch);
    ctx.reply.Bulk(ch);
    ctx.reply.Integer(subs == nullptr ? 0 : static_cast<int64_t>(subs->size()));
  }
}

void PubSubNumPatCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().NumPatterns()));
}

void PubSubHelpCommand(CommandContext& ctx) {
  static const char* kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.Array(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

// "__gevent__:" or "__gevent__@c:".
std::string MonitorChannelPrefix(std::string_view cluster) {
  return cluster.empty() ? std::string("__gevent__:") : fmt::format("__gevent__@{}:", cluster);
}

// Splits "pattern ... [CLUSTER c]" into patterns and cluster.
std::span<const std::string_view> MonitorPatterns(std::span<const std::string_view> args,
                                                  std::string_view* cluster) {
  *cluster = "";
  if (args.size() >= 2 && EqualsIgnoreCase(args[args.size() - 2], "cluster")) {
    *cluster = args.back();
    return args.first(args.size() - 2);
  }
  return args;
}

// GMONITOR pattern [pattern ...] [CLUSTER c]
void GMonitorCommand(CommandContext& ctx) {
  std::string_view cluster;
  auto patterns = MonitorPatterns(ctx.args.subspan(1), &cluster);
  if (patterns.empty()) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  if (!CheckClusterAccess(ctx, cluster)) return;
  if (ctx.server.FindCluster(cluster) == nullptr) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kNoClusterFmt), cluster));
    return;
  }
  std::string prefix = MonitorChannelPrefix(cluster);
  std::vector<std::string> channels;
  for (auto p : patterns) channels.push_back(prefix + std::string(p));
  std::vector<std::string_view> views(channels.begin(), channels.end());
  SubscribeAll(ctx, views);
}

// GDEMONITOR [pattern ...] [CLUSTER c]
void GDemonitorCommand(CommandContext& ctx) {
  std::string_view cluster;
  auto patterns = MonitorPatterns(ctx.args.subspan(1), &cluster);
  std::string prefix = MonitorChannelPrefix(cluster);
  std::vector<std::string> channels;
  for (auto p : patterns) channels.push_back(prefix + std::string(p));
  std::vector<std::string_view> views(channels.begin(), channels.end());
  UnsubscribeAll(ctx, views,
                 [&](std::string_view ch) { return ch.substr(0, prefix.size()) == prefix; });
}

// GDISPATCH group message [CLUSTER c] / GLOCALDISPATCH group message [CLUSTER c]
template <bool kLocalOnly>
void GDispatchCommand(CommandContext& ctx) {
  GOptions opts;
  if (const char* err = ParseGOptions(ctx.args, 3, kOptCluster, &opts)) {
    ctx.reply.Error(err);
    return;
  }
  std::string_view group = ctx.args[1];
  if (!ValidateKey(ctx, group, true)) return;
  ClusterState* cl = ResolveCluster(ctx, opts);
  if (cl == nullptr) return;
  size_t n = ctx.server.DispatchLocal(*cl, group, ctx.args[2]);
  if (!kLocalOnly && ctx.server.on_remote_dispatch) {
    ctx.server.on_remote_dispatch(*cl, group, ctx.args[2]);
    // Processes on other nodes get it asynchronously there: count those this node knows of.
    const HashedKey hk(group);
    Shard& shard = cl->ShardFor(hk);
    const Group* g = FindGroup(shard, hk);
    if (g != nullptr) n += g->members.size() - g->local_count;
    if (const RegEntry* e = Lookup(shard, hk);
        e != nullptr && e->node != kLocalNode && (g == nullptr || !g->members.contains(e->pid))) {
      n++;
    }
  }
  ctx.reply.Integer(static_cast<int64_t>(n));
}

// Refused inside MULTI: one of these writes a frame per channel, which cannot be one element of
// EXEC's array of replies.
constexpr uint32_t kSubscribeFlags =
    kCmdPubSub | kCmdAllowedWhenSubscribed | kCmdLoading | kCmdStale | kCmdNoMulti;

}  // namespace

void RegisterPubSubCommands(CommandTable& table) {
  table.Add({.name = "subscribe",
             .arity = -2,
             .flags = kSubscribeFlags,
             .handler = SubscribeCommand,
             .summary = "Listens for messages published to channels.",
             .syntax = "channel [channel ...]",
             .group = "pubsub",
             .since = "2.0.0"});
  table.Add({.name = "unsubscribe",
             .arity = -1,
             .flags = kSubscribeFlags,
             .handler = UnsubscribeCommand,
             .summary = "Stops listening to messages posted to channels.",
             .syntax = "[channel [channel ...]]",
             .group = "pubsub",
             .since = "2.0.0"});
  table.Add({.name = "psubscribe",
             .arity = -2,
             .flags = kSubscribeFlags,
             .handler = PSubscribeCommand,
             .summary = "Listens for messages published to channels that match patterns.",
             .syntax = "pattern [pattern ...]",
             .group = "pubsub",
             .since = "2.0.0"});
  table.Add({.name = "punsubscribe",
             .arity = -1,
             .flags = kSubscribeFlags,
             .handler = PUnsubscribeCommand,
             .summary = "Stops listening to messages published to channels that match patterns.",
             .syntax = "[pattern [pattern ...]]",
             .group = "pubsub",
             .since = "2.0.0"});
  table.Add({.name = "publish",
             .arity = 3,
             .flags = kCmdPubSub | kCmdFast | kCmdLoading | kCmdStale,
             .handler = PublishCommand,
             .summary = "Posts a message to a channel.",
             .syntax = "channel message",
             .group = "pubsub",
             .since = "2.0.0"});
  CommandSpec pubsub{.name = "pubsub",
                     .arity = -2,
                     .flags = 0,
                     .handler = nullptr,
                     .summary = "A container for Pub/Sub commands.",
                     .syntax = "",
                     .group = "pubsub",
                     .since = "2.8.0"};
  pubsub.subcommands = {
      {.name = "channels",
       .arity = -2,
       .flags = kCmdPubSub | kCmdLoading | kCmdStale,
       .handler = PubSubChannelsCommand,
       .summary = "Returns the active channels.",
       .syntax = "[pattern]",
       .group = "pubsub"},
      {.name = "numsub",
       .arity = -2,
       .flags = kCmdPubSub | kCmdLoading | kCmdStale,
       .handler = PubSubNumSubCommand,
       .summary = "Returns a count of subscribers to channels.",
       .syntax = "[channel [channel ...]]",
       .group = "pubsub"},
      {.name = "numpat",
       .arity = 2,
       .flags = kCmdPubSub | kCmdLoading | kCmdStale,
       .handler = PubSubNumPatCommand,
       .summary = "Returns a count of unique pattern subscriptions.",
       .syntax = "",
       .group = "pubsub"},
      {.name = "help",
       .arity = 2,
       .flags = kCmdLoading | kCmdStale,
       .handler = PubSubHelpCommand,
       .summary = "Returns helpful text about the different subcommands.",
       .syntax = "",
       .group = "pubsub"},
  };
  table.Add(std::move(pubsub));
  table.Add({.name = "gmonitor",
             .arity = -2,
             .flags = kSubscribeFlags,
             .handler = GMonitorCommand,
             .summary = "Subscribes to lifecycle events of keys (exact, prefix/ or *).",
             .syntax = "pattern [pattern ...] [CLUSTER cluster]"});
  table.Add({.name = "gdemonitor",
             .arity = -1,
             .flags = kSubscribeFlags,
             .handler = GDemonitorCommand,
             .summary = "Unsubscribes from lifecycle events.",
             .syntax = "[pattern [pattern ...]] [CLUSTER cluster]"});
  table.Add({.name = "gdispatch",
             .arity = -3,
             .flags = kCmdPubSub | kCmdFast,
             .handler = GDispatchCommand<false>,
             .summary = "Delivers a message to every member of a group, cluster-wide.",
             .syntax = "group message [CLUSTER cluster]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kGroups});
  table.Add({.name = "glocaldispatch",
             .arity = -3,
             .flags = kCmdPubSub | kCmdFast,
             .handler = GDispatchCommand<true>,
             .summary = "Delivers a message to the members of a group on this node.",
             .syntax = "group message [CLUSTER cluster]",
             .first_key = 1,
             .last_key = 1,
             .key_step = 1,
             .key_table = KeyTable::kGroups});
}

}  // namespace groupd
