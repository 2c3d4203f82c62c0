// Server administration with Redis 7's reply shapes: INFO, CONFIG, COMMAND (which redis-cli and
// client libraries read at start-up), TIME, DBSIZE, SHUTDOWN, and groupd's GLOGLEVEL.
#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "server/acl.h"
#include "server/arg_parser.h"
#include "server/commands.h"
#include "server/errors.h"
#include "server/glob.h"
#include "server/log.h"
#include "server/memory.h"
#include "server/server.h"

namespace groupd {

namespace {

// Error texts of this family that errors.h does not hold yet (Redis 7's wording).
constexpr const char* kInvalidCommandSpecified = "ERR Invalid command specified";
constexpr const char* kInvalidGetKeysArity =
    "ERR Invalid number of arguments specified for command";
constexpr const char* kNoKeyArguments = "ERR The command has no key arguments";
constexpr const char* kShutdownAbortFailed = "ERR Errors trying to abort SHUTDOWN. Check logs.";
constexpr const char* kConfigDuplicateParameter = "duplicate parameter";
constexpr const char* kConfigImmutable = "can't set immutable config";

// The version client libraries see: 7.2 makes redis-py, ioredis and node-redis enable their
// RESP3 and CLIENT SETINFO paths.
constexpr const char* kRedisVersion = "7.2.0";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::toupper);
  return out;
}

// Redis's addReplyHelp: a title line, the help lines, then HELP itself, as status strings.
void WriteHelp(CommandContext& ctx, std::initializer_list<std::string_view> lines) {
  ctx.reply.Array(lines.size() + 3);
  ctx.reply.SimpleString(fmt::format("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                                     Upper(ctx.args[0])));
  for (auto line : lines) ctx.reply.SimpleString(line);
  ctx.reply.SimpleString("HELP");
  ctx.reply.SimpleString("    Print this help.");
}

// 40 random hex characters, chosen once per process like Redis's run_id.
std::string RandomHex(size_t n) {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  static const char kHex[] = "0123456789abcdef";
  std::string s(n, '0');
  for (auto& ch : s) ch = kHex[gen() % 16];
  return s;
}

const std::string& RunId() {
  static const std::string id = RandomHex(40);
  return id;
}
// Chosen at start-up rather than on the first INFO, as Redis does.
[[maybe_unused]] const std::string& kRunIdAtStart = RunId();

// =================================================================================================
// COMMAND: the table as Redis 7 describes its own.

// Looks up "name" or "container|sub" (case-insensitive).
const CommandSpec* LookupCommand(const CommandTable& table, std::string_view name) {
  std::string lower = Lower(name);
  size_t bar = lower.find('|');
  if (bar == std::string::npos) return table.Find(lower);
  const CommandSpec* container = table.Find(std::string_view(lower).substr(0, bar));
  if (container == nullptr) return nullptr;
  return FindSubcommand(*container, std::string_view(lower).substr(bar + 1));
}

bool IsContainer(const CommandSpec& spec) { return !spec.subcommands.empty(); }

std::vector<std::string_view> FlagNames(const CommandSpec& spec) {
  std::vector<std::string_view> names;
  if (spec.flags & kCmdWrite) names.push_back("write");
  if (spec.flags & kCmdDenyOom) names.push_back("denyoom");
  if (spec.flags & kCmdReadonly) names.push_back("readonly");
  if (spec.flags & kCmdAdmin) names.push_back("admin");
  if (spec.flags & kCmdPubSub) names.push_back("pubsub");
  if (spec.flags & kCmdLoading) names.push_back("loading");
  if (spec.flags & kCmdStale) names.push_back("stale");
  if (spec.flags & kCmdFast) names.push_back("fast");
  if (spec.flags & kCmdNoAuth) names.push_back("no_auth");
  if (spec.flags & kCmdNoMulti) names.push_back("no_multi");
  return names;
}

void WriteStatusSet(protocol::ReplyWriter& w, const std::vector<std::string_view>& items) {
  w.Set(items.size());
  for (auto s : items) w.SimpleString(s);
}

// The one key spec equivalent to the legacy (first, last, step) triple, as Redis derives it.
void WriteKeySpec(protocol::ReplyWriter& w, const CommandSpec& spec) {
  w.Map(3);
  w.Bulk("flags");
  if (spec.flags & kCmdWrite) {
    WriteStatusSet(w, {"RW", "update"});
  } else {
    WriteStatusSet(w, {"RO", "access"});
  }
  w.Bulk("begin_search");
  w.Map(2);
  w.Bulk("type");
  w.Bulk("index");
  w.Bulk("spec");
  w.Map(1);
  w.Bulk("index");
  w.Integer(spec.first_key);
  w.Bulk("find_keys");
  w.Map(2);
  w.Bulk("type");
  w.Bulk("range");
  w.Bulk("spec");
  w.Map(3);
  w.Bulk("lastkey");
  w.Integer(spec.last_key < 0 ? spec.last_key : spec.last_key - spec.first_key);
  w.Bulk("keystep");
  w.Integer(spec.key_step);
  w.Bulk("limit");
  w.Integer(0);
}

// One COMMAND INFO entry: [name, arity, flags, first, last, step, acl categories, tips,
// key specs, subcommands]. Empty collections are sets and tips/key specs are sets, exactly as
// Redis 7.0 writes them in RESP3.
void WriteCommandInfo(protocol::ReplyWriter& w, const CommandSpec& spec,
                      std::string_view fullname) {
  const bool container = IsContainer(spec);
  w.Array(10);
  w.Bulk(fullname);
  w.Integer(spec.arity);
  WriteStatusSet(w, container ? std::vector<std::string_view>{} : FlagNames(spec));
  w.Integer(spec.first_key);
  w.Integer(spec.last_key);
  w.Integer(spec.key_step);
  WriteStatusSet(w, AclCategories(spec, container));
  w.Set(0);  // Tips.
  if (spec.first_key > 0) {
    w.Set(1);
    WriteKeySpec(w, spec);
  } else {
    w.Set(0);
  }
  if (!container) {
    w.Set(0);
    return;
  }
  w.Array(spec.subcommands.size());
  for (const auto& sub : spec.subcommands) {
    WriteCommandInfo(w, sub, fmt::format("{}|{}", spec.name, sub.name));
  }
}

// --- COMMAND DOCS arguments from the syntax strings --------------------------------------------

// One argument as COMMAND DOCS describes it (the subset groupd's syntax strings need).
struct DocArg {
  std::string name = {};
  std::string type = {};  // string, pure-token, oneof, block.
  std::string token = {};
  bool optional = false;
  bool multiple = false;
  std::vector<DocArg> args = {};  // For oneof and block.
};

// A syntax string as a tree: words and bracketed groups.
struct SyntaxNode {
  std::string word;  // Empty for a group.
  std::vector<SyntaxNode> group;
  bool is_group = false;
};

// Parses "key [CLUSTER c] [META f v ...]" into nodes; a missing ']' closes at the end.
std::vector<SyntaxNode> ParseSyntaxNodes(std::string_view s, size_t* pos) {
  std::vector<SyntaxNode> nodes;
  while (*pos < s.size()) {
    char ch = s[*pos];
    if (ch == ' ' || ch == '\t') {
      ++*pos;
    } else if (ch == '[') {
      ++*pos;
      SyntaxNode g;
      g.is_group = true;
      g.group = ParseSyntaxNodes(s, pos);
      nodes.push_back(std::move(g));
    } else if (ch == ']') {
      ++*pos;
      return nodes;
    } else {
      size_t start = *pos;
      while (*pos < s.size() && s[*pos] != ' ' && s[*pos] != '\t' && s[*pos] != '[' &&
             s[*pos] != ']') {
        ++*pos;
      }
      std::string w(s.substr(start, *pos - start));
      // "value..." is "value ...".
      if (w.size() > 3 && w.ends_with("...")) {
        nodes.push_back({w.substr(0, w.size() - 3), {}, false});
        w = "...";
      }
      nodes.push_back({std::move(w), {}, false});
    }
  }
  return nodes;
}

// A keyword written in capitals (CLUSTER, LIB-NAME, ON): a token, not a value placeholder.
bool IsTokenWord(std::string_view w) {
  bool upper = false;
  for (char ch : w) {
    if (ch >= 'a' && ch <= 'z') return false;
    if (ch == '|') return false;
    if (ch >= 'A' && ch <= 'Z') upper = true;
  }
  return upper;
}

DocArg PureToken(std::string_view w) {
  return DocArg{.name = Lower(w), .type = "pure-token", .token = std::string(w)};
}

DocArg WordArg(std::string_view w) {
  if (w.find('|') != std::string_view::npos) {
    // "ON|OFF": one of several tokens.
    DocArg a{.name = Lower(w), .type = "oneof"};
    std::replace(a.name.begin(), a.name.end(), '|', '_');
    size_t start = 0;
    while (start <= w.size()) {
      size_t bar = w.find('|', start);
      if (bar == std::string_view::npos) bar = w.size();
      if (bar > start) a.args.push_back(PureToken(w.substr(start, bar - start)));
      start = bar + 1;
    }
    return a;
  }
  if (IsTokenWord(w)) return PureToken(w);
  return DocArg{.name = std::string(w), .type = "string"};
}

std::optional<DocArg> ConvertGroup(const std::vector<SyntaxNode>& g);

std::vector<DocArg> ConvertSeq(const std::vector<SyntaxNode>& nodes) {
  std::vector<DocArg> out;
  for (const auto& n : nodes) {
    if (!n.is_group) {
      if (n.word == "...") {
        if (!out.empty()) out.back().multiple = true;
      } else {
        out.push_back(WordArg(n.word));
      }
      continue;
    }
    // "channel [channel ...]": the group repeats the argument before it.
    if (n.group.size() == 2 && !n.group[0].is_group && !n.group[1].is_group &&
        n.group[1].word == "..." && !out.empty() && out.back().type == "string" &&
        out.back().token.empty() && out.back().name == n.group[0].word) {
      out.back().multiple = true;
      continue;
    }
    if (auto a = ConvertGroup(n.group)) {
      a->optional = true;
      out.push_back(std::move(*a));
    }
  }
  return out;
}

std::optional<DocArg> ConvertGroup(const std::vector<SyntaxNode>& g) {
  if (g.empty()) return std::nullopt;
  if (!g[0].is_group && IsTokenWord(g[0].word) && g.size() > 1) {
    // "[TOKEN value ...]": the values follow the token, and a trailing "..." repeats them all.
    std::vector<SyntaxNode> rest(g.begin() + 1, g.end());
    bool multiple = false;
    if (!rest.back().is_group && rest.back().word == "...") {
      multiple = true;
      rest.pop_back();
    }
    std::vector<DocArg> args = ConvertSeq(rest);
    if (args.empty()) return PureToken(g[0].word);
    if (args.size() == 1 && args[0].token.empty()) {
      DocArg a = std::move(args[0]);
      a.token = g[0].word;
      a.multiple = a.multiple || multiple;
      return a;
    }
    return DocArg{.name = Lower(g[0].word),
                  .type = "block",
                  .token = g[0].word,
                  .multiple = multiple,
                  .args = std::move(args)};
  }
  std::vector<DocArg> args = ConvertSeq(g);
  if (args.empty()) return std::nullopt;
  if (args.size() == 1) return std::move(args[0]);
  std::string name = args[0].name;
  return DocArg{.name = std::move(name), .type = "block", .args = std::move(args)};
}

std::vector<DocArg> SyntaxToDocArgs(std::string_view syntax) {
  size_t pos = 0;
  std::vector<SyntaxNode> nodes;
  // A stray ']' ends ParseSyntaxNodes early; keep going so no argument is lost.
  while (pos < syntax.size()) {
    auto more = ParseSyntaxNodes(syntax, &pos);
    nodes.insert(nodes.end(), std::make_move_iterator(more.begin()),
                 std::make_move_iterator(more.end()));
  }
  return ConvertSeq(nodes);
}

// One argument map in Redis 7's key order: name, type, token, flags, arguments.
void WriteDocArg(protocol::ReplyWriter& w, const DocArg& a) {
  const bool has_flags = a.optional || a.multiple;
  const bool has_args = !a.args.empty();
  w.Map(2 + !a.token.empty() + has_flags + has_args);
  w.Bulk("name");
  w.Bulk(a.name);
  w.Bulk("type");
  w.Bulk(a.type);
  if (!a.token.empty()) {
    w.Bulk("token");
    w.Bulk(a.token);
  }
  if (has_flags) {
    w.Bulk("flags");
    std::vector<std::string_view> flags;
    if (a.optional) flags.push_back("optional");
    if (a.multiple) flags.push_back("multiple");
    WriteStatusSet(w, flags);
  }
  if (has_args) {
    w.Bulk("arguments");
    w.Array(a.args.size());
    for (const auto& sub : a.args) WriteDocArg(w, sub);
  }
}

// One COMMAND DOCS value: {summary, since, group, arguments?, subcommands?}.
void WriteCommandDocs(protocol::ReplyWriter& w, const CommandSpec& spec) {
  std::vector<DocArg> args = SyntaxToDocArgs(spec.syntax);
  const bool container = IsContainer(spec);
  w.Map(3 + !args.empty() + container);
  w.Bulk("summary");
  w.Bulk(spec.summary);
  w.Bulk("since");
  w.Bulk(spec.since);
  w.Bulk("group");
  w.Bulk(spec.group);
  if (!args.empty()) {
    w.Bulk("arguments");
    w.Array(args.size());
    for (const auto& a : args) WriteDocArg(w, a);
  }
  if (container) {
    w.Bulk("subcommands");
    w.Map(spec.subcommands.size());
    for (const auto& sub : spec.subcommands) {
      w.Bulk(fmt::format("{}|{}", spec.name, sub.name));
      WriteCommandDocs(w, sub);
    }
  }
}

std::string FullName(const CommandSpec* container, const CommandSpec& spec) {
  return container == nullptr ? spec.name : fmt::format("{}|{}", container->name, spec.name);
}

// --- COMMAND handlers --------------------------------------------------------------------------

void CommandAllCommand(CommandContext& ctx) {
  const auto& all = ctx.server.commands().all();
  ctx.reply.Array(all.size());
  for (const auto& spec : all) WriteCommandInfo(ctx.reply, spec, spec.name);
}

void CommandCountCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.commands().all().size()));
}

void CommandInfoCommand(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    CommandAllCommand(ctx);
    return;
  }
  ctx.reply.Array(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    const CommandSpec* spec = LookupCommand(ctx.server.commands(), ctx.args[i]);
    if (spec == nullptr) {
      ctx.reply.NullArray();
    } else {
      WriteCommandInfo(ctx.reply, *spec, Lower(ctx.args[i]));
    }
  }
}

void CommandDocsCommand(CommandContext& ctx) {
  const auto& table = ctx.server.commands();
  if (ctx.args.size() == 2) {
    ctx.reply.Map(table.all().size());
    for (const auto& spec : table.all()) {
      ctx.reply.Bulk(spec.name);
      WriteCommandDocs(ctx.reply, spec);
    }
    return;
  }
  // Unknown names are left out, as in Redis.
  std::vector<std::pair<std::string, const CommandSpec*>> found;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    if (const CommandSpec* spec = LookupCommand(table, ctx.args[i])) {
      found.emplace_back(Lower(ctx.args[i]), spec);
    }
  }
  ctx.reply.Map(found.size());
  for (const auto& [name, spec] : found) {
    ctx.reply.Bulk(name);
    WriteCommandDocs(ctx.reply, *spec);
  }
}

void CommandListCommand(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern } filter = Filter::kNone;
  std::string arg;
  if (ctx.args.size() == 5 && EqualsIgnoreCase(ctx.args[2], "filterby")) {
    std::string_view by = ctx.args[3];
    arg = std::string(ctx.args[4]);
    if (EqualsIgnoreCase(by, "module")) {
      filter = Filter::kModule;
    } else if (EqualsIgnoreCase(by, "aclcat")) {
      filter = Filter::kAclCat;
      arg = "@" + Lower(arg);
    } else if (EqualsIgnoreCase(by, "pattern")) {
      filter = Filter::kPattern;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  } else if (ctx.args.size() != 2) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  std::vector<std::string> names;
  auto consider = [&](const CommandSpec* container, const CommandSpec& spec) {
    std::string name = FullName(container, spec);
    switch (filter) {
      case Filter::kNone:
        break;
      case Filter::kModule:
        return;  // groupd loads no modules.
      case Filter::kAclCat: {
        auto cats = AclCategories(spec, IsContainer(spec));
        if (std::find(cats.begin(), cats.end(), arg) == cats.end()) return;
        break;
      }
      case Filter::kPattern:
        if (!GlobMatch(Lower(arg), name)) return;
        break;
    }
    names.push_back(std::move(name));
  };
  for (const auto& spec : ctx.server.commands().all()) {
    consider(nullptr, spec);
    for (const auto& sub : spec.subcommands) consider(&spec, sub);
  }
  ctx.reply.Array(names.size());
  for (const auto& n : names) ctx.reply.Bulk(n);
}

void CommandGetKeysCommand(CommandContext& ctx) {
  auto cmd = ctx.args.subspan(2);
  const CommandSpec* spec = ctx.server.commands().Find(Lower(cmd[0]));
  if (spec != nullptr && IsContainer(*spec)) {
    spec = cmd.size() >= 2 ? FindSubcommand(*spec, Lower(cmd[1])) : nullptr;
  }
  if (spec == nullptr) {
    ctx.reply.Error(kInvalidCommandSpecified);
    return;
  }
  const int argc = static_cast<int>(cmd.size());
  if ((spec->arity > 0 && argc != spec->arity) || (spec->arity < 0 && argc < -spec->arity)) {
    ctx.reply.Error(kInvalidGetKeysArity);
    return;
  }
  if (spec->first_key <= 0) {
    ctx.reply.Error(kNoKeyArguments);
    return;
  }
  int last = spec->last_key < 0 ? argc + spec->last_key : spec->last_key;
  int step = spec->key_step > 0 ? spec->key_step : 1;
  std::vector<std::string_view> keys;
  for (int i = spec->first_key; i <= last && i < argc; i += step) keys.push_back(cmd[i]);
  ctx.reply.Array(keys.size());
  for (auto k : keys) ctx.reply.Bulk(k);
}

void CommandHelpCommand(CommandContext& ctx) {
  WriteHelp(ctx, {
                     "(no subcommand)",
                     "    Return details about all commands (needs a dispatcher that runs a "
                     "container's own handler; COMMAND INFO without names does the same).",
                     "COUNT",
                     "    Return the total number of commands in this server.",
                     "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
                     "    Return a list of all commands in this server.",
                     "INFO [<command-name> ...]",
                     "    Return details about multiple commands.",
                     "    If no command names are given, documentation details for all",
                     "    commands are returned.",
                     "DOCS [<command-name> ...]",
                     "    Return documentation details about multiple commands.",
                     "    If no command names are given, documentation details for all",
                     "    commands are returned.",
                     "GETKEYS <full-command>",
                     "    Return the keys from a full command.",
                 });
}

// =================================================================================================
// INFO

// Redis's bytesToHuman.
std::string BytesToHuman(uint64_t n) {
  const double d = static_cast<double>(n);
  if (n < 1024) return fmt::format("{}B", n);
  if (n < 1024ULL * 1024) return fmt::format("{:.2f}K", d / 1024);
  if (n < 1024ULL * 1024 * 1024) return fmt::format("{:.2f}M", d / (1024.0 * 1024));
  if (n < 1024ULL * 1024 * 1024 * 1024) return fmt::format("{:.2f}G", d / (1024.0 * 1024 * 1024));
  return fmt::format("{:.2f}T", d / (1024.0 * 1024 * 1024 * 1024));
}


std::string OsName() {
  struct utsname u;
  if (uname(&u) != 0) return "unknown";
  return fmt::format("{} {} {}", u.sysname, u.release, u.machine);
}

using Out = std::back_insert_iterator<std::string>;

void InfoServer(Server& s, Out out) {
  const int64_t now = Server::NowMs();
  const int64_t uptime = (now - s.start_ms()) / 1000;
  fmt::format_to(out,
                 "# Server\r\n"
                 "redis_version:{}\r\n"
                 "groupd_version:{}\r\n"
                 "redis_git_sha1:00000000\r\n"
                 "redis_git_dirty:0\r\n"
                 "redis_mode:standalone\r\n"
                 "os:{}\r\n"
                 "arch_bits:{}\r\n"
                 "multiplexing_api:epoll\r\n"
                 "process_id:{}\r\n"
                 "run_id:{}\r\n"
                 "tcp_port:{}\r\n"
                 "tls_port:{}\r\n"
                 "server_time_usec:{}\r\n"
                 "uptime_in_seconds:{}\r\n"
                 "uptime_in_days:{}\r\n"
                 "hz:10\r\n"
                 "node_name:{}\r\n"
                 "incarnation:{}\r\n",
                 kRedisVersion, GROUPD_VERSION, OsName(), sizeof(void*) * 8, getpid(), RunId(),
                 s.config().port, s.config().tls_port, Server::NowUs(), uptime, uptime / 86400,
                 s.node_name(), s.incarnation());
}

void InfoClients(Server& s, Out out) {
  size_t pubsub_clients = 0;
  for (const auto& [id, c] : s.clients()) pubsub_clients += c->subscription_count() > 0;
  fmt::format_to(out,
                 "# Clients\r\n"
                 "connected_clients:{}\r\n"
                 "maxclients:{}\r\n"
                 "pubsub_clients:{}\r\n"
                 "blocked_clients:0\r\n"
                 "tracking_clients:0\r\n",
                 s.clients().size(), s.config().maxclients, pubsub_clients);
}

void InfoMemory(Server& s, Out out) {
  const uint64_t used = UsedMemory();
  const uint64_t rss = ResidentMemory();
  fmt::format_to(out,
                 "# Memory\r\n"
                 "used_memory:{}\r\n"
                 "used_memory_human:{}\r\n"
                 "used_memory_rss:{}\r\n"
                 "used_memory_rss_human:{}\r\n"
                 "maxmemory:{}\r\n"
                 "maxmemory_human:{}\r\n"
                 "maxmemory_policy:noeviction\r\n"
                 "mem_allocator:{}\r\n"
                 "mem_allocator_thp:{}\r\n",
                 used, BytesToHuman(used), rss, BytesToHuman(rss), s.config().maxmemory,
                 BytesToHuman(static_cast<uint64_t>(s.config().maxmemory)), MemAllocator(),
                 AllocatorThp());
}

void InfoPersistence(Server& s, Out out) {
  // loading:0 always: groupd keeps nothing on disk, and ioredis waits while it reads 1.
  fmt::format_to(out,
                 "# Persistence\r\n"
                 "loading:0\r\n"
                 "async_loading:0\r\n"
                 "rdb_changes_since_last_save:0\r\n"
                 "rdb_bgsave_in_progress:0\r\n"
                 "rdb_last_bgsave_status:ok\r\n"
                 "aof_enabled:0\r\n"
                 "aof_rewrite_in_progress:0\r\n");
}

void InfoStats(Server& s, Out out) {
  const ServerStats& st = s.stats();
  fmt::format_to(out,
                 "# Stats\r\n"
                 "total_connections_received:{}\r\n"
                 "total_commands_processed:{}\r\n"
                 "instantaneous_ops_per_sec:0\r\n"
                 "total_net_input_bytes:{}\r\n"
                 "total_net_output_bytes:{}\r\n"
                 "rejected_connections:{}\r\n"
                 "expired_keys:0\r\n"
                 "evicted_keys:0\r\n"
                 "keyspace_hits:0\r\n"
                 "keyspace_misses:0\r\n"
                 "pubsub_channels:{}\r\n"
                 "pubsub_patterns:{}\r\n"
                 "pubsub_messages:{}\r\n"
                 "client_query_buffer_limit_disconnections:{}\r\n"
                 "client_output_buffer_limit_disconnections:{}\r\n"
                 "client_output_buffer_limit_disconnections_pubsub:{}\r\n"
                 "client_output_buffer_limit_disconnections_normal:{}\r\n"
                 "protocol_errors:{}\r\n"
                 "oom_rejections:{}\r\n"
                 "key_limit_rejections:{}\r\n"
                 "meta_limit_rejections:{}\r\n",
                 st.total_connections, st.total_commands, st.net_input_bytes, st.net_output_bytes,
                 st.rejected_connections, s.pubsub().NumChannels(), s.pubsub().NumPatterns(),
                 st.pubsub_messages, st.query_buffer_disconnects,
                 st.obuf_disconnects_pubsub + st.obuf_disconnects_normal,
                 st.obuf_disconnects_pubsub, st.obuf_disconnects_normal, st.protocol_errors,
                 st.oom_rejections, st.key_limit_rejections, st.meta_limit_rejections);
}

void InfoReplication(Server& s, Out out) {
  fmt::format_to(out,
                 "# Replication\r\n"
                 "role:master\r\n"
                 "connected_slaves:0\r\n"
                 "master_failover_state:no-failover\r\n"
                 "master_replid:{}\r\n"
                 "master_replid2:0000000000000000000000000000000000000000\r\n"
                 "master_repl_offset:0\r\n"
                 "second_repl_offset:-1\r\n"
                 "repl_backlog_active:0\r\n",
                 RunId());
  // groupd's own peer replication: peers, links, per-peer traffic, snapshots, conflicts.
  if (s.info_replication) {
    std::string extra = s.info_replication();
    out = std::copy(extra.begin(), extra.end(), out);
  }
}

void InfoGroup(Server& s, Out out) {
  size_t regs = 0, local_regs = 0, members = 0, local_members = 0, groups = 0;
  for (const auto& [name, cl] : s.clusters()) {
    regs += cl->Registrations();
    local_regs += cl->LocalRegistrations();
    members += cl->Memberships();
    local_members += cl->LocalMemberships();
    for (const auto& shard : cl->shards) groups += shard.groups.size();
  }
  // Monitors are subscriptions to event channels (__gevent__:<p> and __gevent__@<c>:<p>).
  size_t monitors = 0;
  s.pubsub().ForEachChannel([&](const std::string& channel, size_t subscribers) {
    if (channel.starts_with("__gevent__")) monitors += subscribers;
  });
  const ServerStats& st = s.stats();
  fmt::format_to(out,
                 "# Group\r\n"
                 "registrations:{}\r\n"
                 "local_registrations:{}\r\n"
                 "memberships:{}\r\n"
                 "local_memberships:{}\r\n"
                 "groups:{}\r\n"
                 "clusters:{}\r\n"
                 "monitors:{}\r\n"
                 "events_emitted:{}\r\n"
                 "event_seq:{}\r\n"
                 "dispatches:{}\r\n"
                 "dispatch_deliveries:{}\r\n"
                 "dispatch_skipped:{}\r\n"
                 "clusters_expired:{}\r\n",
                 regs, local_regs, members, local_members, groups,
                 s.clusters().size() - 1,  // Named clusters; the default one is always there.
                 monitors, st.events, s.event_seq(), st.dispatches, st.dispatch_deliveries,
                 st.dispatch_skipped, st.clusters_expired);
}

void InfoKeyspace(Server& s, Out out) { fmt::format_to(out, "# Keyspace\r\n"); }

struct InfoSection {
  std::string_view name;
  void (*write)(Server&, Out);
};

// In output order; every section is part of the default set.
constexpr InfoSection kInfoSections[] = {
    {"server", InfoServer}, {"clients", InfoClients},
    {"memory", InfoMemory}, {"persistence", InfoPersistence},
    {"stats", InfoStats},   {"replication", InfoReplication},
    {"group", InfoGroup},   {"keyspace", InfoKeyspace},
};

void InfoCommand(CommandContext& ctx) {
  constexpr size_t kCount = std::size(kInfoSections);
  bool wanted[kCount] = {};
  if (ctx.args.size() == 1) {
    std::fill(std::begin(wanted), std::end(wanted), true);
  }
  for (size_t i = 1; i < ctx.args.size(); i++) {
    std::string_view arg = ctx.args[i];
    if (EqualsIgnoreCase(arg, "all") || EqualsIgnoreCase(arg, "everything") ||
        EqualsIgnoreCase(arg, "default")) {
      std::fill(std::begin(wanted), std::end(wanted), true);
      continue;
    }
    for (size_t j = 0; j < kCount; j++) {
      if (EqualsIgnoreCase(arg, kInfoSections[j].name)) wanted[j] = true;
    }
  }
  std::string text;
  for (size_t j = 0; j < kCount; j++) {
    if (!wanted[j]) continue;
    if (!text.empty()) text.append("\r\n");
    kInfoSections[j].write(ctx.server, std::back_inserter(text));
  }
  ctx.reply.Verbatim("txt", text);
}

// =================================================================================================
// CONFIG

const OptionInfo* FindOptionInfo(std::string_view name) {
  for (const auto& o : AllOptions()) {
    if (EqualsIgnoreCase(o.name, name)) return &o;
  }
  return nullptr;
}

// Applies a changed log level: the logger, and whoever else the network layer hooked up.
void ApplyLogLevel(Server& server) {
  SetLogLevel(server.config().loglevel);
  if (server.on_loglevel_change) server.on_loglevel_change();
}

void ConfigGetCommand(CommandContext& ctx) {
  std::vector<std::string_view> names;
  for (size_t i = 2; i < ctx.args.size(); i++) {
    std::string pattern = Lower(ctx.args[i]);
    for (const auto& o : AllOptions()) {
      if (std::find(names.begin(), names.end(), o.name) != names.end()) continue;
      if (GlobMatch(pattern, o.name)) names.push_back(o.name);
    }
  }
  ctx.reply.Map(names.size());
  for (auto name : names) {
    ctx.reply.Bulk(name);
    ctx.reply.Bulk(GetOption(ctx.server.config(), name).value_or(""));
  }
}

// CONFIG SET name value [name value ...]: all or nothing, as in Redis 7. Every name is checked
// before any value is applied, and values are applied to a copy that replaces the configuration
// only when all of them succeed.
void ConfigSetCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  if ((args.size() - 2) % 2 != 0) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kWrongArityFmt), "config|set"));
    return;
  }
  std::vector<const OptionInfo*> seen;
  std::optional<std::string_view> unknown;
  std::optional<std::pair<std::string_view, std::string>> failed;
  for (size_t i = 2; i < args.size(); i += 2) {
    const OptionInfo* o = FindOptionInfo(args[i]);
    if (o == nullptr) {
      if (!unknown) unknown = args[i];
      continue;
    }
    if (failed) continue;
    if (!o->runtime) {
      failed.emplace(args[i], kConfigImmutable);
    } else if (std::find(seen.begin(), seen.end(), o) != seen.end()) {
      failed.emplace(args[i], kConfigDuplicateParameter);
    }
    seen.push_back(o);
  }
  if (unknown) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kConfigUnknownOptionFmt), *unknown));
    return;
  }
  Config updated = ctx.server.config();
  if (!failed) {
    for (size_t i = 2; i < args.size(); i += 2) {
      if (auto err = SetOption(updated, args[i], args[i + 1], true)) {
        failed.emplace(args[i], std::move(*err));
        break;
      }
    }
  }
  if (failed) {
    ctx.reply.Error(
        fmt::format(fmt::runtime(errors::kConfigSetFailedFmt), failed->first, failed->second));
    return;
  }
  Config& config = ctx.server.config();
  const bool loglevel_changed = updated.loglevel != config.loglevel;
  if (config.requirepass.empty() && !updated.requirepass.empty()) {
    // Connections made while no password was needed were authenticated as the default user
    // (as in Redis); a new password does not log them out.
    for (const auto& [id, c] : ctx.server.clients()) c->authenticated = true;
  }
  const bool pass_changed = updated.requirepass != config.requirepass;
  config = std::move(updated);
  if (pass_changed) {
    if (auto err = ctx.server.ApplyAuthConfig()) GD_LOG_WARN("{}", *err);
  }
  if (loglevel_changed) ApplyLogLevel(ctx.server);
  ctx.reply.Ok();
}

void ConfigResetStatCommand(CommandContext& ctx) {
  ctx.server.stats() = ServerStats{};
  ctx.reply.Ok();
}

void ConfigHelpCommand(CommandContext& ctx) {
  WriteHelp(ctx, {
                     "GET <pattern>",
                     "    Return parameters matching the glob-like <pattern> and their values.",
                     "SET <directive> <value>",
                     "    Set the configuration <directive> to <value>.",
                     "RESETSTAT",
                     "    Reset statistics reported by the INFO command.",
                 });
}

// =================================================================================================
// TIME DBSIZE SHUTDOWN GLOGLEVEL

void TimeCommand(CommandContext& ctx) {
  const int64_t us = Server::NowUs();
  ctx.reply.Array(2);
  ctx.reply.Bulk(std::to_string(us / 1000000));
  ctx.reply.Bulk(std::to_string(us % 1000000));
}

void DbSizeCommand(CommandContext& ctx) {
  size_t n = 0;
  for (const auto& [name, cl] : ctx.server.clusters()) n += cl->Registrations() + cl->Memberships();
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void ShutdownCommand(CommandContext& ctx) {
  bool save = false, nosave = false, abort = false, other = false;
  for (size_t i = 1; i < ctx.args.size(); i++) {
    std::string_view a = ctx.args[i];
    if (EqualsIgnoreCase(a, "nosave")) {
      nosave = true;
    } else if (EqualsIgnoreCase(a, "save")) {
      save = true;
    } else if (EqualsIgnoreCase(a, "now") || EqualsIgnoreCase(a, "force")) {
      other = true;
    } else if (EqualsIgnoreCase(a, "abort")) {
      abort = true;
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  if ((abort && (save || nosave || other)) || (save && nosave)) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  if (abort) {
    // groupd's shutdown is immediate: there is never one in progress to abort.
    ctx.reply.Error(kShutdownAbortFailed);
    return;
  }
  GD_LOG_INFO("SHUTDOWN requested by client id={} addr={}", ctx.client.id, ctx.client.addr);
  if (ctx.server.on_shutdown) {
    // No reply: as Redis does, the connection closes with the server.
    ctx.server.on_shutdown();
  } else {
    ctx.reply.Ok();
  }
}

void GLogLevelCommand(CommandContext& ctx) {
  std::string level = Lower(ctx.args[1]);
  if (level != "info" && level != "verbose" && level != "off") {
    ctx.reply.Error(errors::kInvalidLogLevel);
    return;
  }
  Server& s = ctx.server;
  s.config().loglevel = level;
  ApplyLogLevel(s);
  ctx.reply.Ok();
}

constexpr uint32_t kConfigFlags = kCmdAdmin | kCmdLoading | kCmdStale;
constexpr uint32_t kCommandFlags = kCmdLoading | kCmdStale;

}  // namespace

void RegisterAdminCommands(CommandTable& table) {
  table.Add({.name = "info",
             .arity = -1,
             .flags = kCmdLoading | kCmdStale,
             .handler = InfoCommand,
             .summary = "Returns information and statistics about the server.",
             .syntax = "[section [section ...]]",
             .group = "server",
             .since = "1.0.0"});

  CommandSpec config{.name = "config",
                     .arity = -2,
                     .flags = 0,
                     .handler = nullptr,
                     .summary = "A container for server configuration commands.",
                     .syntax = "",
                     .group = "server",
                     .since = "2.0.0"};
  config.subcommands = {
      {.name = "get",
       .arity = -3,
       .flags = kConfigFlags,
       .handler = ConfigGetCommand,
       .summary = "Returns the effective values of configuration parameters.",
       .syntax = "parameter [parameter ...]",
       .group = "server",
       .since = "2.0.0"},
      {.name = "set",
       .arity = -4,
       .flags = kConfigFlags,
       .handler = ConfigSetCommand,
       .summary = "Sets configuration parameters in-flight, all or none.",
       .syntax = "parameter value [parameter value ...]",
       .group = "server",
       .since = "2.0.0"},
      {.name = "resetstat",
       .arity = 2,
       .flags = kConfigFlags,
       .handler = ConfigResetStatCommand,
       .summary = "Resets the server's statistics.",
       .syntax = "",
       .group = "server",
       .since = "2.0.0"},
      {.name = "help",
       .arity = 2,
       .flags = kCmdLoading | kCmdStale,
       .handler = ConfigHelpCommand,
       .summary = "Returns helpful text about the different subcommands.",
       .syntax = "",
       .group = "server",
       .since = "5.0.0"},
  };
  table.Add(std::move(config));

  // COMMAND without a subcommand lists everything, as in Redis: the dispatcher runs a
  // container's own handler when it is called bare.
  CommandSpec command{.name = "command",
                      .arity = -1,
                      .flags = kCommandFlags,
                      .handler = CommandAllCommand,
                      .summary = "Returns detailed information about all commands.",
                      .syntax = "",
                      .group = "server",
                      .since = "2.8.13"};
  command.subcommands = {
      {.name = "count",
       .arity = 2,
       .flags = kCommandFlags,
       .handler = CommandCountCommand,
       .summary = "Returns a count of commands.",
       .syntax = "",
       .group = "server",
       .since = "2.8.13"},
      {.name = "info",
       .arity = -2,
       .flags = kCommandFlags,
       .handler = CommandInfoCommand,
       .summary = "Returns information about one, multiple or all commands.",
       .syntax = "[command-name [command-name ...]]",
       .group = "server",
       .since = "2.8.13"},
      {.name = "docs",
       .arity = -2,
       .flags = kCommandFlags,
       .handler = CommandDocsCommand,
       .summary = "Returns documentary information about one, multiple or all commands.",
       .syntax = "[command-name [command-name ...]]",
       .group = "server",
       .since = "7.0.0"},
      {.name = "list",
       .arity = -2,
       .flags = kCommandFlags,
       .handler = CommandListCommand,
       .summary = "Returns a list of command names.",
       .syntax = "[FILTERBY MODULE|ACLCAT|PATTERN filter]",
       .group = "server",
       .since = "7.0.0"},
      {.name = "getkeys",
       .arity = -3,
       .flags = kCommandFlags,
       .handler = CommandGetKeysCommand,
       .summary = "Extracts the key names from an arbitrary command.",
       .syntax = "command [arg [arg ...]]",
       .group = "server",
       .since = "2.8.13"},
      {.name = "help",
       .arity = 2,
       .flags = kCommandFlags,
       .handler = CommandHelpCommand,
       .summary = "Returns helpful text about the different subcommands.",
       .syntax = "",
       .group = "server",
       .since = "5.0.0"},
  };
  table.Add(std::move(command));

  table.Add({.name = "time",
             .arity = 1,
             .flags = kCmdFast | kCmdLoading | kCmdStale,
             .handler = TimeCommand,
             .summary = "Returns the server time.",
             .syntax = "",
             .group = "server",
             .since = "2.6.0"});
  table.Add({.name = "dbsize",
             .arity = 1,
             .flags = kCmdReadonly | kCmdFast,
             .handler = DbSizeCommand,
             .summary = "Returns the number of registrations plus memberships in this node's "
                        "view of every connected cluster.",
             .syntax = "",
             .group = "server",
             .since = "1.0.0"});
  table.Add({.name = "shutdown",
             .arity = -1,
             .flags = kCmdAdmin | kCmdLoading | kCmdStale | kCmdNoMulti,
             .handler = ShutdownCommand,
             .summary = "Shuts the node down; its processes' entries go with reason 'shutdown'.",
             .syntax = "[NOSAVE|SAVE] [NOW] [FORCE] [ABORT]",
             .group = "server",
             .since = "1.0.0"});
  table.Add({.name = "gloglevel",
             .arity = 2,
             .flags = kCmdAdmin | kCmdLoading | kCmdStale,
             .handler = GLogLevelCommand,
             .summary = "Sets the log level (the same as CONFIG SET loglevel).",
             .syntax = "info|verbose|off"});
}

}  // namespace groupd
