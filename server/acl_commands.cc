// ACL users: WHOAMI, USERS, LIST, SETUSER, DELUSER, GETUSER, CAT, with Redis's reply shapes,
// extended with the named clusters a user may touch (%pattern; "default" names the default
// cluster).
#include <fmt/format.h>

#include <algorithm>

#include "server/acl.h"
#include "server/arg_parser.h"
#include "server/commands.h"
#include "server/errors.h"
#include "server/server.h"

namespace groupd {

namespace {

void AclWhoamiCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.client.user); }

void AclUsersCommand(CommandContext& ctx) {
  std::vector<std::string> names;
  for (const auto& u : ctx.server.acl().users()) names.push_back(u->name);
  std::sort(names.begin(), names.end());
  ctx.reply.Array(names.size());
  for (const auto& n : names) ctx.reply.Bulk(n);
}

void AclListCommand(CommandContext& ctx) {
  const auto& users = ctx.server.acl().users();
  ctx.reply.Array(users.size());
  for (const auto& u : users) ctx.reply.Bulk(ctx.server.acl().Describe(*u));
}

// Connections authenticated as `name` follow its new definition at once (or are closed when it
// is deleted), so revoking a permission takes effect immediately, as in Redis.
void RefreshClients(Server& server, std::string_view name) {
  auto u = server.acl().Find(name);
  for (const auto& [id, c] : server.clients()) {
    if (c->user != name) continue;
    if (u) {
      c->acl_user = u;
    } else {
      server.KillClient(*c, Reason::kKilled);
    }
  }
}

void AclSetUserCommand(CommandContext& ctx) {
  std::string_view name = ctx.args[2];
  if (auto err = ctx.server.acl().SetUser(name, ctx.args.subspan(3))) {
    ctx.reply.Error("ERR " + *err);
    return;
  }
  RefreshClients(ctx.server, name);
  ctx.reply.Ok();
}

void AclDelUserCommand(CommandContext& ctx) {
  int64_t n = 0;
  for (auto name : ctx.args.subspan(2)) {
    if (name == "default") {
      ctx.reply.Error("ERR The 'default' user cannot be removed");
      return;
    }
  }
  for (auto name : ctx.args.subspan(2)) {
    if (ctx.server.acl().DelUser(name)) {
      n++;
      RefreshClients(ctx.server, name);
    }
  }
  ctx.reply.Integer(n);
}

void WriteStrings(protocol::ReplyWriter& w, const std::vector<std::string>& items) {
  w.Array(items.size());
  for (const auto& s : items) w.Bulk(s);
}

void AclGetUserCommand(CommandContext& ctx) {
  auto u = ctx.server.acl().Find(ctx.args[2]);
  if (!u) {
    ctx.reply.NullArray();
    return;
  }
  auto& w = ctx.reply;
  w.Map(6);
  w.Bulk("flags");
  std::vector<std::string> flags = {u->enabled ? "on" : "off"};
  if (u->nopass) flags.push_back("nopass");
  WriteStrings(w, flags);
  w.Bulk("passwords");
  WriteStrings(w, u->password_hashes);
  w.Bulk("commands");
  std::string cmds;
  for (const auto& r : u->rules) {
    if (!r.empty() && (r[0] == '+' || r[0] == '-' || EqualsIgnoreCase(r, "allcommands") ||
                       EqualsIgnoreCase(r, "nocommands"))) {
      cmds += (cmds.empty() ? "" : " ") + r;
    }
  }
  w.Bulk(cmds.empty() ? "-@all" : cmds);
  auto patterns = [&](bool all, const std::vector<std::string>& list, char sigil) {
    std::string s;
    if (all) return std::string(1, sigil) + "*";
    for (const auto& p : list) s += (s.empty() ? "" : " ") + std::string(1, sigil) + p;
    return s;
  };
  w.Bulk("keys");
  w.Bulk(patterns(u->all_keys, u->key_patterns, '~'));
  w.Bulk("channels");
  w.Bulk(patterns(u->all_channels, u->channel_patterns, '&'));
  w.Bulk("clusters");
  w.Bulk(patterns(u->all_clusters, u->cluster_patterns, '%'));
}

void AclCatCommand(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    static const char* kCats[] = {"read",      "write",      "pubsub", "admin", "fast",
                                  "slow",      "dangerous",  "connection", "groupd"};
    ctx.reply.Array(std::size(kCats));
    for (const char* c : kCats) ctx.reply.Bulk(c);
    return;
  }
  std::string cat = "@" + std::string(ctx.args[2]);
  std::transform(cat.begin(), cat.end(), cat.begin(), ::tolower);
  std::vector<std::string> names;
  for (const auto& spec : ctx.server.commands().all()) {
    if (spec.subcommands.empty()) {
      auto cats = AclCategories(spec, false);
      if (std::find(cats.begin(), cats.end(), cat) != cats.end()) names.push_back(spec.name);
      continue;
    }
    for (const auto& sub : spec.subcommands) {
      auto cats = AclCategories(sub, false);
      if (std::find(cats.begin(), cats.end(), cat) != cats.end()) {
        names.push_back(spec.name + "|" + sub.name);
      }
    }
  }
  if (names.empty() && cat != "@all") {
    ctx.reply.Error("ERR Unknown category '" + std::string(ctx.args[2]) + "'");
    return;
  }
  WriteStrings(ctx.reply, names);
}

void AclHelpCommand(CommandContext& ctx) {
  static const char* kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "GETUSER <username>",
      "    Get the user's details.",
      "LIST",
      "    Show users details in config file format.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes; groupd adds %<pattern>",
      "    for the named clusters the user may touch (\"default\" is the default cluster).",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.Array(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

constexpr uint32_t kAclFlags = kCmdAdmin | kCmdLoading | kCmdStale;

}  // namespace

void RegisterAclCommands(CommandTable& table) {
  CommandSpec acl{.name = "acl",
                  .arity = -2,
                  .flags = 0,
                  .handler = nullptr,
                  .summary = "A container for Access List Control commands.",
                  .syntax = "",
                  .group = "server",
                  .since = "6.0.0"};
  auto sub = [](const char* name, int arity, uint32_t flags, CommandHandler h, const char* summary,
                const char* syntax) {
    return CommandSpec{.name = name,
                       .arity = arity,
                       .flags = flags,
                       .handler = h,
                       .summary = summary,
                       .syntax = syntax,
                       .group = "server",
                       .since = "6.0.0"};
  };
  acl.subcommands = {
      sub("whoami", 2, kCmdLoading | kCmdStale, AclWhoamiCommand,
          "Returns the authenticated username of the current connection.", ""),
      sub("users", 2, kAclFlags, AclUsersCommand, "Lists all ACL users.", ""),
      sub("list", 2, kAclFlags, AclListCommand, "Dumps the effective rules in ACL file format.",
          ""),
      sub("setuser", -3, kAclFlags, AclSetUserCommand,
          "Creates and modifies an ACL user and its rules.", "username [rule [rule ...]]"),
      sub("deluser", -3, kAclFlags, AclDelUserCommand, "Deletes ACL users.",
          "username [username ...]"),
      sub("getuser", 3, kAclFlags, AclGetUserCommand, "Lists the ACL rules of a user.",
          "username"),
      sub("cat", -2, kCmdLoading | kCmdStale, AclCatCommand,
          "Lists the ACL categories, or the commands inside a category.", "[category]"),
      sub("help", 2, kCmdLoading | kCmdStale, AclHelpCommand,
          "Returns helpful text about the different subcommands.", ""),
  };
  table.Add(std::move(acl));
}

}  // namespace groupd
