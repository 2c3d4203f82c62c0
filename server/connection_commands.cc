// The connection commands every Redis client library sends on its own (PING, HELLO, AUTH,
// SELECT, CLIENT ...), with Redis 7's replies and error texts so that client libraries with
// default settings work unchanged.
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "server/arg_parser.h"
#include "server/commands.h"
#include "server/errors.h"
#include "server/server.h"

namespace groupd {

namespace {

// Error texts of this family that errors.h does not hold yet (Redis 7's wording).
constexpr const char* kHelloProtoNotInteger =
    "ERR Protocol version is not an integer or out of range";
constexpr const char* kHelloSyntaxFmt = "ERR Syntax error in HELLO option '{}'";
constexpr const char* kHelloNoAuth =
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
    "RESP protocol version at the same time";
constexpr const char* kUnrecognizedOptionFmt = "ERR Unrecognized option '{}'";
constexpr const char* kClientAttrInvalidFmt =
    "ERR {} cannot contain spaces, newlines or special characters.";
constexpr const char* kUnknownClientTypeFmt = "ERR Unknown client type '{}'";
constexpr const char* kInvalidClientId = "ERR Invalid client ID";
constexpr const char* kClientIdNotPositive = "ERR client-id should be greater than 0";
constexpr const char* kNoSuchUserFmt = "ERR No such user '{}'";

void WriteArityError(CommandContext& ctx, std::string_view name) {
  ctx.reply.Error(fmt::format(fmt::runtime(errors::kWrongArityFmt), name));
}

// Redis's addReplyHelp: a title line, the help lines, then HELP itself, as status strings.
void WriteHelp(CommandContext& ctx, std::initializer_list<std::string_view> lines) {
  std::string cmd(ctx.args[0]);
  std::transform(cmd.begin(), cmd.end(), cmd.begin(), ::toupper);
  ctx.reply.Array(lines.size() + 3);
  ctx.reply.SimpleString(
      fmt::format("{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmd));
  for (auto line : lines) ctx.reply.SimpleString(line);
  ctx.reply.SimpleString("HELP");
  ctx.reply.SimpleString("    Print this help.");
}

// Client names and library attributes hold only printable non-space ASCII ('!'..'~'), so that
// CLIENT LIST stays one parseable line per client.
bool IsValidClientAttr(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) { return ch >= '!' && ch <= '~'; });
}


// The two client classes groupd has: pub/sub (subscribed to anything) and normal.
enum class ClientType { kNormal, kPubSub, kNone };

std::optional<ClientType> ParseClientType(std::string_view s) {
  if (EqualsIgnoreCase(s, "normal")) return ClientType::kNormal;
  if (EqualsIgnoreCase(s, "pubsub")) return ClientType::kPubSub;
  // Redis's replica/master classes exist but never hold a groupd client.
  if (EqualsIgnoreCase(s, "master") || EqualsIgnoreCase(s, "replica") ||
      EqualsIgnoreCase(s, "slave")) {
    return ClientType::kNone;
  }
  return std::nullopt;
}

bool HasType(const Client& c, ClientType type) {
  switch (type) {
    case ClientType::kNormal:
      return c.subscription_count() == 0;
    case ClientType::kPubSub:
      return c.subscription_count() > 0;
    case ClientType::kNone:
      return false;
  }
  return false;
}

// One CLIENT LIST line in Redis 7's field order, plus groupd's pid, ending in '\n'.
void AppendClientInfo(const Client& c, int64_t now_ms, std::string* out) {
  std::string flags;
  if (c.subscription_count() > 0) flags.push_back('P');
  if (c.close_after_reply) flags.push_back('c');
  if (c.close_asap) flags.push_back('A');
  if (c.multi != nullptr) flags.push_back('x');
  if (flags.empty()) flags = "N";
  const size_t omem = c.output_bytes();
  const size_t multi_mem = c.multi != nullptr ? c.multi->memory() : 0;
  const int64_t multi = c.multi != nullptr ? static_cast<int64_t>(c.multi->commands.size()) : -1;
  const size_t tot_mem = sizeof(Client) + c.out.capacity() + c.query_buffer_bytes + multi_mem;
  fmt::format_to(std::back_inserter(*out),
                 "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db=0 sub={} "
                 "psub={} ssub=0 multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem={} obl=0 "
                 "oll=0 omem={} tot-mem={} events=r cmd={} user={} redir=-1 resp={} "
                 "lib-name={} lib-ver={} pid={}\n",
                 c.id, c.addr, c.laddr, c.fd, c.name, (now_ms - c.created_ms) / 1000,
                 (now_ms - c.last_interaction_ms) / 1000, flags, c.channels.size(),
                 c.patterns.size(), multi, c.query_buffer_bytes, multi_mem, omem, tot_mem,
                 c.last_command.empty() ? "NULL" : c.last_command, c.user, c.proto(), c.lib_name,
                 c.lib_ver, c.owner.pid);
}

// Redis replies CLIENT LIST and CLIENT INFO as verbatim text in RESP3, a bulk string in RESP2.
void WriteClientText(CommandContext& ctx, std::string_view text) {
  ctx.reply.Verbatim("txt", text);
}

// --- PING ECHO QUIT RESET SELECT READONLY READWRITE ---------------------------------------------

void PingCommand(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    WriteArityError(ctx, "ping");
    return;
  }
  // A RESP2 connection in subscribed mode reads only arrays, so Redis answers with one.
  if (ctx.client.proto() == 2 && ctx.client.subscription_count() > 0) {
    ctx.reply.Array(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.args.size() == 2 ? ctx.args[1] : "");
    return;
  }
  if (ctx.args.size() == 2) {
    ctx.reply.Bulk(ctx.args[1]);
  } else {
    ctx.reply.SimpleString("PONG");
  }
}

void EchoCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.args[1]); }

void QuitCommand(CommandContext& ctx) {
  ctx.reply.Ok();
  ctx.client.close_after_reply = true;
}

void ResetCommand(CommandContext& ctx) {
  Client& c = ctx.client;
  // Subscriptions go silently: the client asked for a fresh connection state.
  ctx.server.pubsub().RemoveClient(&c);
  c.multi.reset();
  c.name.clear();
  // As Redis's clientSetDefaultAuth: authenticated only if the default user needs no password.
  ctx.server.ResetAuth(c);
  c.writer.set_proto(2);
  // Written after the switch: Redis answers RESET in the protocol it resets to.
  ctx.reply.SimpleString("RESET");
}

void SelectCommand(CommandContext& ctx) {
  auto db = ParseInt64(ctx.args[1]);
  if (!db || *db < INT32_MIN || *db > INT32_MAX) {
    ctx.reply.Error(errors::kNotInteger);
    return;
  }
  if (*db != 0) {
    ctx.reply.Error(errors::kDbIndexOutOfRange);
    return;
  }
  ctx.reply.Ok();
}

void OkCommand(CommandContext& ctx) { ctx.reply.Ok(); }

// --- AUTH HELLO --------------------------------------------------------------------------------

void AuthCommand(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(errors::kSyntax);
    return;
  }
  auto def = ctx.server.acl().Find("default");
  if (ctx.args.size() == 2 && def != nullptr && def->nopass) {
    ctx.reply.Error(errors::kAuthNotConfigured);
    return;
  }
  std::string_view user = ctx.args.size() == 3 ? ctx.args[1] : "default";
  if (!ctx.server.Authenticate(ctx.client, user, ctx.args.back())) {
    ctx.reply.Error(errors::kWrongPass);
    return;
  }
  ctx.reply.Ok();
}

void HelloCommand(CommandContext& ctx) {
  Client& c = ctx.client;
  int64_t proto = 0;
  size_t i = 1;
  if (ctx.args.size() >= 2) {
    auto v = ParseInt64(ctx.args[1]);
    if (!v) {
      ctx.reply.Error(kHelloProtoNotInteger);
      return;
    }
    if (*v != 2 && *v != 3) {
      ctx.reply.Error(errors::kNoProto);
      return;
    }
    proto = *v;
    i = 2;
  }
  std::optional<std::string_view> user, pass, name;
  for (; i < ctx.args.size(); i++) {
    size_t more = ctx.args.size() - 1 - i;
    if (EqualsIgnoreCase(ctx.args[i], "auth") && more >= 2) {
      user = ctx.args[i + 1];
      pass = ctx.args[i + 2];
      i += 2;
    } else if (EqualsIgnoreCase(ctx.args[i], "setname") && more >= 1) {
      name = ctx.args[i + 1];
      if (!IsValidClientAttr(*name)) {
        ctx.reply.Error(errors::kInvalidClientName);
        return;
      }
      i++;
    } else {
      ctx.reply.Error(fmt::format(fmt::runtime(kHelloSyntaxFmt), ctx.args[i].substr(0, 128)));
      return;
    }
  }
  if (user && !ctx.server.Authenticate(c, *user, *pass)) {
    ctx.reply.Error(errors::kWrongPass);
    return;
  }
  if (ctx.server.AuthRequired(c)) {
    ctx.reply.Error(kHelloNoAuth);
    return;
  }
  if (name) c.name = std::string(*name);
  // Switch first, so that HELLO 3 is itself answered with a RESP3 map.
  if (proto != 0) c.writer.set_proto(static_cast<int>(proto));
  auto& w = ctx.reply;
  w.Map(7);
  w.Bulk("server");
  w.Bulk("groupd");
  w.Bulk("version");
  w.Bulk(GROUPD_VERSION);
  w.Bulk("proto");
  w.Integer(c.proto());
  w.Bulk("id");
  w.Integer(static_cast<int64_t>(c.id));
  w.Bulk("mode");
  w.Bulk("standalone");
  w.Bulk("role");
  w.Bulk("master");
  w.Bulk("modules");
  w.Array(0);
}

// --- CLIENT ------------------------------------------------------------------------------------

void ClientIdCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.client.id));
}

void ClientSetNameCommand(CommandContext& ctx) {
  std::string_view name = ctx.args[2];
  if (!IsValidClientAttr(name)) {
    ctx.reply.Error(errors::kInvalidClientName);
    return;
  }
  ctx.client.name = std::string(name);
  ctx.reply.Ok();
}

void ClientGetNameCommand(CommandContext& ctx) {
  if (ctx.client.name.empty()) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(ctx.client.name);
  }
}

void ClientSetInfoCommand(CommandContext& ctx) {
  std::string_view attr = ctx.args[2];
  std::string_view value = ctx.args[3];
  std::string* field;
  if (EqualsIgnoreCase(attr, "lib-name")) {
    field = &ctx.client.lib_name;
  } else if (EqualsIgnoreCase(attr, "lib-ver")) {
    field = &ctx.client.lib_ver;
  } else {
    ctx.reply.Error(fmt::format(fmt::runtime(kUnrecognizedOptionFmt), attr.substr(0, 128)));
    return;
  }
  if (!IsValidClientAttr(value)) {
    ctx.reply.Error(fmt::format(fmt::runtime(kClientAttrInvalidFmt), attr));
    return;
  }
  *field = std::string(value);
  ctx.reply.Ok();
}

void ClientListCommand(CommandContext& ctx) {
  const int64_t now = Server::NowMs();
  std::string text;
  const auto& args = ctx.args;
  if (args.size() == 4 && EqualsIgnoreCase(args[2], "type")) {
    auto type = ParseClientType(args[3]);
    if (!type) {
      ctx.reply.Error(fmt::format(fmt::runtime(kUnknownClientTypeFmt), args[3].substr(0, 128)));
      return;
    }
    for (const auto& [id, c] : ctx.server.clients()) {
      if (HasType(*c, *type)) AppendClientInfo(*c, now, &text);
    }
  } else if (args.size() > 3 && EqualsIgnoreCase(args[2], "id")) {
    std::vector<uint64_t> ids;
    for (size_t i = 3; i < args.size(); i++) {
      auto id = ParseInt64(args[i]);
      if (!id) {
        ctx.reply.Error(kInvalidClientId);
        return;
      }
      ids.push_back(static_cast<uint64_t>(*id));
    }
    for (uint64_t id : ids) {
      if (const Client* c = ctx.server.FindClient(id)) AppendClientInfo(*c, now, &text);
    }
  } else if (args.size() != 2) {
    ctx.reply.Error(errors::kSyntax);
    return;
  } else {
    for (const auto& [id, c] : ctx.server.clients()) AppendClientInfo(*c, now, &text);
  }
  WriteClientText(ctx, text);
}

void ClientInfoCommand(CommandContext& ctx) {
  std::string text;
  AppendClientInfo(ctx.client, Server::NowMs(), &text);
  WriteClientText(ctx, text);
}

// Closes `victim` with reason "killed": its entries go at once (events carry "killed").
// Killing oneself must still deliver the reply, so the connection closes after it instead of
// dropping its output.
void Kill(CommandContext& ctx, Client& victim) {
  if (&victim == &ctx.client) {
    victim.close_reason = Reason::kKilled;
    ctx.server.RemoveOwnerEntries(victim.owner, Reason::kKilled);
    victim.close_after_reply = true;
  } else {
    ctx.server.KillClient(victim, Reason::kKilled);
  }
}

void ClientKillCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  if (args.size() == 3) {
    // Old form: CLIENT KILL addr:port.
    Client* victim = nullptr;
    for (const auto& [id, c] : ctx.server.clients()) {
      if (!c->close_asap && c->addr == args[2]) {
        victim = c;
        break;
      }
    }
    if (victim == nullptr) {
      ctx.reply.Error(errors::kNoSuchClient);
      return;
    }
    ctx.reply.Ok();
    Kill(ctx, *victim);
    return;
  }
  // New form: filters, all of which must match; SKIPME defaults to yes.
  std::optional<uint64_t> id;
  std::optional<ClientType> type;
  std::optional<std::string_view> addr, laddr, user;
  bool skipme = true;
  for (size_t i = 2; i < args.size(); i += 2) {
    if (i + 1 >= args.size()) {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
    std::string_view opt = args[i], val = args[i + 1];
    if (EqualsIgnoreCase(opt, "id")) {
      auto v = ParseInt64(val);
      if (!v || *v <= 0) {
        ctx.reply.Error(kClientIdNotPositive);
        return;
      }
      id = static_cast<uint64_t>(*v);
    } else if (EqualsIgnoreCase(opt, "type")) {
      type = ParseClientType(val);
      if (!type) {
        ctx.reply.Error(fmt::format(fmt::runtime(kUnknownClientTypeFmt), val.substr(0, 128)));
        return;
      }
    } else if (EqualsIgnoreCase(opt, "addr")) {
      addr = val;
    } else if (EqualsIgnoreCase(opt, "laddr")) {
      laddr = val;
    } else if (EqualsIgnoreCase(opt, "user")) {
      if (val != "default") {
        ctx.reply.Error(fmt::format(fmt::runtime(kNoSuchUserFmt), val.substr(0, 128)));
        return;
      }
      user = val;
    } else if (EqualsIgnoreCase(opt, "skipme")) {
      if (EqualsIgnoreCase(val, "yes")) {
        skipme = true;
      } else if (EqualsIgnoreCase(val, "no")) {
        skipme = false;
      } else {
        ctx.reply.Error(errors::kSyntax);
        return;
      }
    } else {
      ctx.reply.Error(errors::kSyntax);
      return;
    }
  }
  // Collect first: killing edits the tables the iteration walks.
  std::vector<Client*> victims;
  for (const auto& [cid, c] : ctx.server.clients()) {
    if (c->close_asap) continue;
    if (id && c->id != *id) continue;
    if (type && !HasType(*c, *type)) continue;
    if (addr && c->addr != *addr) continue;
    if (laddr && c->laddr != *laddr) continue;
    if (user && c->user != *user) continue;
    if (skipme && c == &ctx.client) continue;
    victims.push_back(c);
  }
  ctx.reply.Integer(static_cast<int64_t>(victims.size()));
  for (Client* v : victims) Kill(ctx, *v);
}

// Shared by NO-EVICT and NO-TOUCH: groupd evicts nothing and tracks no access times, so the
// switch is accepted and has no effect.
void ClientOnOffCommand(CommandContext& ctx) {
  if (EqualsIgnoreCase(ctx.args[2], "on") || EqualsIgnoreCase(ctx.args[2], "off")) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Error(errors::kSyntax);
  }
}

void ClientReplyCommand(CommandContext& ctx) {
  std::string_view mode = ctx.args[2];
  if (EqualsIgnoreCase(mode, "on")) {
    ctx.client.reply_mode = Client::ReplyMode::kOn;
    ctx.reply.Ok();
  } else if (EqualsIgnoreCase(mode, "off")) {
    ctx.client.reply_mode = Client::ReplyMode::kOff;
  } else if (EqualsIgnoreCase(mode, "skip")) {
    // SKIP itself has no reply, and neither has the next command.
    if (ctx.client.reply_mode != Client::ReplyMode::kOff) {
      ctx.client.reply_mode = Client::ReplyMode::kSkipNext;
    }
  } else {
    ctx.reply.Error(errors::kSyntax);
  }
}

void ClientHelpCommand(CommandContext& ctx) {
  WriteHelp(ctx, {
                     "GETNAME",
                     "    Return the name of the current connection.",
                     "ID",
                     "    Return the ID of the current connection.",
                     "INFO",
                     "    Return information about the current client connection.",
                     "KILL <ip:port>",
                     "    Kill connection made from <ip:port>.",
                     "KILL <option> <value> [<option> <value> [...]]",
                     "    Kill connections. Options are:",
                     "    * ADDR (<ip:port>|<unixsocket>:0)",
                     "      Kill connections made from the specified address",
                     "    * LADDR (<ip:port>|<unixsocket>:0)",
                     "      Kill connections made to specified local address",
                     "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                     "      Kill connections by type.",
                     "    * USER <username>",
                     "      Kill connections authenticated by <username>.",
                     "    * SKIPME (YES|NO)",
                     "      Skip killing current connection (default: yes).",
                     "    * ID <client-id>",
                     "      Kill connections by client id.",
                     "LIST [options ...]",
                     "    Return information about client connections. Options:",
                     "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
                     "      Return clients of specified type.",
                     "    * ID <client-id> [<client-id> ...]",
                     "      Return clients of specified IDs only.",
                     "NO-EVICT (ON|OFF)",
                     "    Accepted for compatibility; groupd never evicts clients.",
                     "NO-TOUCH (ON|OFF)",
                     "    Accepted for compatibility.",
                     "REPLY (ON|OFF|SKIP)",
                     "    Control the replies sent to the current connection.",
                     "SETINFO <LIB-NAME|LIB-VER> <value>",
                     "    Set client library name or version (shown by CLIENT LIST).",
                     "SETNAME <name>",
                     "    Assign the name <name> to the current connection.",
                 });
}

constexpr uint32_t kClientFlags = kCmdLoading | kCmdStale;

}  // namespace

void RegisterConnectionCommands(CommandTable& table) {
  table.Add({.name = "ping",
             .arity = -1,
             .flags = kCmdFast | kCmdAllowedWhenSubscribed,
             .handler = PingCommand,
             .summary = "Returns the server's liveliness response.",
             .syntax = "[message]",
             .group = "connection",
             .since = "1.0.0"});
  table.Add({.name = "echo",
             .arity = 2,
             .flags = kCmdFast,
             .handler = EchoCommand,
             .summary = "Returns the given string.",
             .syntax = "message",
             .group = "connection",
             .since = "1.0.0"});
  table.Add({.name = "hello",
             .arity = -1,
             .flags = kCmdNoAuth | kCmdFast | kCmdLoading | kCmdStale | kCmdNoMulti,
             .handler = HelloCommand,
             .summary = "Handshakes with the server: selects the protocol, authenticates, names "
                        "the connection.",
             .syntax = "[protover [AUTH username password] [SETNAME clientname]]",
             .group = "connection",
             .since = "6.0.0"});
  table.Add({.name = "auth",
             .arity = -2,
             .flags = kCmdNoAuth | kCmdFast | kCmdLoading | kCmdStale,
             .handler = AuthCommand,
             .summary = "Authenticates the connection.",
             .syntax = "[username] password",
             .group = "connection",
             .since = "1.0.0"});
  table.Add({.name = "select",
             .arity = 2,
             .flags = kCmdFast | kCmdLoading | kCmdStale,
             .handler = SelectCommand,
             .summary = "Changes the selected database (groupd has only database 0).",
             .syntax = "index",
             .group = "connection",
             .since = "1.0.0"});
  table.Add({.name = "quit",
             .arity = -1,
             .flags = kCmdNoAuth | kCmdAllowedWhenSubscribed | kCmdFast | kCmdLoading | kCmdStale |
                      kCmdTransaction,
             .handler = QuitCommand,
             .summary = "Closes the connection.",
             .syntax = "",
             .group = "connection",
             .since = "1.0.0"});
  table.Add({.name = "reset",
             .arity = 1,
             .flags = kCmdNoAuth | kCmdAllowedWhenSubscribed | kCmdFast | kCmdLoading | kCmdStale |
                      kCmdTransaction,
             .handler = ResetCommand,
             .summary = "Resets the connection: RESP2, no subscriptions, no name.",
             .syntax = "",
             .group = "connection",
             .since = "6.2.0"});
  table.Add({.name = "readonly",
             .arity = 1,
             .flags = kCmdFast | kCmdLoading | kCmdStale,
             .handler = OkCommand,
             .summary = "Accepted for Redis Cluster clients; does nothing.",
             .syntax = "",
             .group = "cluster",
             .since = "3.0.0"});
  table.Add({.name = "readwrite",
             .arity = 1,
             .flags = kCmdFast | kCmdLoading | kCmdStale,
             .handler = OkCommand,
             .summary = "Accepted for Redis Cluster clients; does nothing.",
             .syntax = "",
             .group = "cluster",
             .since = "3.0.0"});

  CommandSpec client{.name = "client",
                     .arity = -2,
                     .flags = 0,
                     .handler = nullptr,
                     .summary = "A container for client connection commands.",
                     .syntax = "",
                     .group = "connection",
                     .since = "2.4.0"};
  client.subcommands = {
      {.name = "id",
       .arity = 2,
       .flags = kClientFlags,
       .handler = ClientIdCommand,
       .summary = "Returns the unique client ID of the connection.",
       .syntax = "",
       .group = "connection",
       .since = "5.0.0"},
      {.name = "setname",
       .arity = 3,
       .flags = kClientFlags,
       .handler = ClientSetNameCommand,
       .summary = "Sets the connection name.",
       .syntax = "connection-name",
       .group = "connection",
       .since = "2.6.9"},
      {.name = "getname",
       .arity = 2,
       .flags = kClientFlags,
       .handler = ClientGetNameCommand,
       .summary = "Returns the name of the connection.",
       .syntax = "",
       .group = "connection",
       .since = "2.6.9"},
      {.name = "setinfo",
       .arity = 4,
       .flags = kClientFlags,
       .handler = ClientSetInfoCommand,
       .summary = "Sets information specific to the client library.",
       .syntax = "LIB-NAME|LIB-VER value",
       .group = "connection",
       .since = "7.2.0"},
      {.name = "list",
       .arity = -2,
       .flags = kCmdAdmin | kClientFlags,
       .handler = ClientListCommand,
       .summary = "Lists open connections.",
       .syntax = "[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id ...]",
       .group = "connection",
       .since = "2.4.0"},
      {.name = "info",
       .arity = 2,
       .flags = kClientFlags,
       .handler = ClientInfoCommand,
       .summary = "Returns information about the connection.",
       .syntax = "",
       .group = "connection",
       .since = "6.2.0"},
      {.name = "kill",
       .arity = -3,
       .flags = kCmdAdmin | kClientFlags,
       .handler = ClientKillCommand,
       .summary = "Terminates open connections; what they held goes with reason 'killed'.",
       .syntax = "[ID client-id] [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [USER username] "
                 "[ADDR ip:port] [LADDR ip:port] [SKIPME YES|NO]",
       .group = "connection",
       .since = "2.4.0"},
      {.name = "no-evict",
       .arity = 3,
       .flags = kCmdAdmin | kClientFlags,
       .handler = ClientOnOffCommand,
       .summary = "Accepted for compatibility; groupd never evicts clients.",
       .syntax = "ON|OFF",
       .group = "connection",
       .since = "7.0.0"},
      {.name = "no-touch",
       .arity = 3,
       .flags = kClientFlags,
       .handler = ClientOnOffCommand,
       .summary = "Accepted for compatibility; does nothing.",
       .syntax = "ON|OFF",
       .group = "connection",
       .since = "7.2.0"},
      {.name = "reply",
       .arity = 3,
       .flags = kClientFlags | kCmdNoMulti,
       .handler = ClientReplyCommand,
       .summary = "Instructs the server whether to reply to commands.",
       .syntax = "ON",
       .group = "connection",
       .since = "3.2.0"},
      {.name = "help",
       .arity = 2,
       .flags = kClientFlags,
       .handler = ClientHelpCommand,
       .summary = "Returns helpful text about the different subcommands.",
       .syntax = "",
       .group = "connection",
       .since = "5.0.0"},
  };
  table.Add(std::move(client));
}

}  // namespace groupd
