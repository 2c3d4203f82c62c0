// Fuzzes the dispatcher, the argument parsers and every command handler: a fresh in-process
// groupd::Server per input (no sockets, as in tests/inproc/harness.h) with up to four attached
// clients runs a sequence of commands decoded from the input.
//
// Input layout: records separated by '\n'. A record is one control byte, then the command's
// arguments separated by '\0' (so a record reads "0GREG\0key\0META\0f\0v"). Control byte:
//   bits 0-1  which client runs the command (a detached or refused slot gets a new client)
//   bit 2     detach that client first, as a connection closing would, then give it a new one
//   bit 3     run Server::Cron() after the command, (bits 4-7) minutes in the future, which
//             expires GCONNECT leases
//   bit 6     (without bit 3) toggle whether the client's socket is stalled: its output then
//             counts as unsent (Client::inflight_bytes) and the output buffer limits apply to
//             it, as when a real client stops reading; unstalling drains it
// An argument that is one byte b >= 0x80 is a token: in first position a command name from the
// server's own command table, in second position one of that command's subcommands, elsewhere a
// keyword or channel (b < 0xF0) or a client's pid, id, inbox or notice channel (b >= 0xF0), so
// CLIENT KILL and GDISPATCH reach real targets. Two-byte tokens: 0xFF n is a CONFIG option name,
// 0xFE n a command name, 0xFD n a client's address. Everything else is passed as raw bytes.
//
// After each command the clients' output is handled as the network layer would (a client
// marked close_asap is dropped with its output; close_after_reply is flushed, then dropped), and
// every byte that would reach a socket must decode as complete RESP2/RESP3 replies, with no CR
// or LF inside simple strings and errors. Every few commands, and at the end, the tables must
// agree with the clients' owned-entry indexes and the shards' counters.

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "server/client.h"
#include "server/config.h"
#include "server/server.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/support/resp_value.h"

namespace {

using groupd::Client;
using groupd::ClusterState;
using groupd::EntryKind;
using groupd::kLocalNode;
using groupd::Server;
using groupd::fuzz::ByteReader;
using groupd::fuzz::Escape;

constexpr size_t kClients = 4;
constexpr int kCheckEvery = 16;

const char* const kWords[] = {
    "CLUSTER", "META", "FIELDS", "WITHKEYS", "TTL", "ID", "TYPE", "USER", "ADDR", "LADDR",
    "SKIPME", "yes", "no", "ON", "OFF", "SKIP", "NORMAL", "PUBSUB", "MASTER", "REPLICA",
    "LIB-NAME", "LIB-VER", "AUTH", "SETNAME", "default", "FILTERBY", "MODULE", "ACLCAT",
    "PATTERN", "NOSAVE", "SAVE", "NOW", "FORCE", "ABORT", "everything", "all", "default",
    "server", "clients", "stats", "registry", "pg", "replication", "keyspace", "memory",
    "info", "verbose", "off", "normal 0 0 0", "normal 64 0 0", "pubsub 128 64 0",
    "normal 0 32 1", "oldest", "newest", "meta-max f", "kill", "unregister", "*", "?",
    "[a-z]*", "k", "k2", "g", "rooms/", "rooms/1", "rooms/2", "c", "c2", "f", "v", "0", "1",
    "2", "3", "-1", "100", "1000", "9223372036854775807", "-9223372036854775808",
    "__gevent__:*", "__gevent__:k", "__gevent__:rooms/", "__gevent__@c:*", "__gdispatch__:g",
    "__gdispatch__@c:g", "__gdispatch__:*", "__gevent__*", "hello", "", "\r\n"};

// Command, subcommand and option names, read from the server so they follow the real table.
struct Vocabulary {
  std::vector<std::string> commands;
  std::vector<std::vector<std::string>> subcommands;  // By index into commands.
  std::vector<std::string> options;
};

const Vocabulary& Vocab(const Server& server) {
  static const Vocabulary* v = [&] {
    auto* vocab = new Vocabulary;
    for (const auto& spec : server.commands().all()) {
      vocab->commands.push_back(spec.name);
      auto& subs = vocab->subcommands.emplace_back();
      for (const auto& sub : spec.subcommands) subs.push_back(sub.name);
    }
    for (const auto& opt : groupd::AllOptions()) vocab->options.emplace_back(opt.name);
    return vocab;
  }();
  return *v;
}

class Harness {
 public:
  Harness() : server_(MakeConfig()) {}

  ~Harness() {
    for (auto& c : clients_) {
      if (c) server_.DetachClient(c.get());
    }
    (void)server_.TakePending();
  }

  void RunRecord(std::string_view record) {
    ByteReader in(reinterpret_cast<const uint8_t*>(record.data()), record.size());
    const uint8_t ctl = in.Byte();
    const size_t slot = ctl & 3;
    if ((ctl & 4) && clients_[slot]) Drop(slot);
    if (!(ctl & 8) && (ctl & 64)) {
      stalled_[slot] = !stalled_[slot];
      if (!stalled_[slot] && clients_[slot]) clients_[slot]->inflight_bytes = 0;
    }
    std::string_view rest = in.Rest();

    // Split on NUL; resolve tokens.
    std::vector<std::string_view> raw;
    size_t start = 0;
    while (true) {
      size_t nul = rest.find('\0', start);
      raw.push_back(rest.substr(start, nul == std::string_view::npos ? nul : nul - start));
      if (nul == std::string_view::npos) break;
      start = nul + 1;
    }
    if (raw.size() == 1 && raw[0].empty()) return;  // No command at all (Execute needs args[0]).
    args_storage_.clear();
    args_storage_.reserve(raw.size());
    int command_index = -1;
    for (size_t i = 0; i < raw.size(); i++) {
      const bool token =
          (raw[i].size() == 1 && static_cast<uint8_t>(raw[i][0]) >= 0x80) ||
          (raw[i].size() == 2 && static_cast<uint8_t>(raw[i][0]) >= 0xFD);
      if (token) {
        args_storage_.push_back(Token(i, raw[i], &command_index));
      } else {
        args_storage_.emplace_back(raw[i]);
      }
    }
    std::vector<std::string_view> args(args_storage_.begin(), args_storage_.end());

    Client* c = ClientAt(slot);
    if (c != nullptr) {
      server_.Execute(*c, args);
      // Keep logging off whatever CONFIG SET loglevel / GLOGLEVEL did.
      spdlog::set_level(spdlog::level::off);
    }
    if (ctl & 8) server_.Cron(Server::NowMs() + int64_t{ctl >> 4} * 60'000);
    FlushAll(args);
    if (++commands_ % kCheckEvery == 0) CheckTables();
  }

  void Finish() {
    CheckTables();
    for (size_t i = 0; i < kClients; i++) {
      if (clients_[i]) Drop(i);
    }
    FlushAll({});
    for (const auto& [name, cl] : server_.clusters()) {
      FUZZ_CHECK(cl->LocalRegistrations() == 0 && cl->LocalMemberships() == 0,
                 "entries left in cluster '" + name + "' after every client closed");
    }
  }

 private:
  static groupd::Config MakeConfig() {
    groupd::Config config;
    config.node_name = "fuzz";
    config.loglevel = "off";
    return config;
  }

  // Resolves a token argument (see the layout comment at the top of the file).
  std::string Token(size_t position, std::string_view raw, int* command_index) {
    const Vocabulary& v = Vocab(server_);
    const uint8_t b = static_cast<uint8_t>(raw[0]);
    if (raw.size() == 2) {
      const uint8_t n = static_cast<uint8_t>(raw[1]);
      if (b == 0xFF) return v.options[n % v.options.size()];
      if (b == 0xFE) return v.commands[n % v.commands.size()];
      Client* target = clients_[n % kClients].get();
      return target ? target->addr : "127.0.0.1:1";  // 0xFD
    }
    if (position == 0) {
      *command_index = static_cast<int>((b - 0x80) % v.commands.size());
      return v.commands[*command_index];
    }
    if (position == 1 && *command_index >= 0 && !v.subcommands[*command_index].empty()) {
      const auto& subs = v.subcommands[*command_index];
      return subs[(b - 0x80) % subs.size()];
    }
    if (b < 0xF0) return kWords[(b - 0x80) % std::size(kWords)];
    Client* target = clients_[(b - 0xF0) % kClients].get();
    std::string pid = target ? target->owner.pid.str() : "1.x@fuzz";
    switch ((b - 0xF0) / kClients) {
      case 0:
        return pid;
      case 1:
        return target ? std::to_string(target->id) : "0";
      case 2:
        return "__ginbox__:" + pid;
      default:
        return "__gnotice__:" + pid;
    }
  }

  // The client in slot, attaching a new one if the slot is empty; nullptr if the server
  // refused it (maxclients), after checking the error it was sent.
  Client* ClientAt(size_t slot) {
    if (clients_[slot]) return clients_[slot].get();
    auto c = std::make_unique<Client>(server_.NextClientId());
    c->addr = "127.0.0.1:" + std::to_string(40000 + c->id);
    c->laddr = "127.0.0.1:6380";
    if (!server_.AttachClient(c.get())) {
      CheckOutput(*c, {});
      return nullptr;
    }
    clients_[slot] = std::move(c);
    return clients_[slot].get();
  }

  void Drop(size_t slot) {
    server_.DetachClient(clients_[slot].get());
    clients_[slot].reset();
    stalled_[slot] = false;
  }

  void CheckOutput(Client& c, const std::vector<std::string_view>& args) {
    if (c.out.empty()) return;
    try {
      (void)groupd::testing::ParseAllReplies(c.out);
    } catch (const std::exception& e) {
      std::string cmd;
      for (auto a : args) cmd += "\"" + Escape(a, 64) + "\" ";
      FUZZ_CHECK(false, std::string(e.what()) + "\n  client " + std::to_string(c.id) +
                            " (RESP" + std::to_string(c.proto()) + ") output: \"" +
                            Escape(c.out, 2048) + "\"\n  after command: " + cmd);
    }
    c.out.clear();
  }

  // What Network::FlushPending and Connection::Flush do, minus the socket. Closing a client can
  // push frames to the others, so repeat until nothing changes.
  void FlushAll(const std::vector<std::string_view>& args) {
    for (int round = 0; round < 100; round++) {
      (void)server_.TakePending();
      bool closed = false;
      for (size_t i = 0; i < kClients; i++) {
        Client* c = clients_[i].get();
        if (c == nullptr) continue;
        FUZZ_CHECK(stalled_[i] || c->inflight_bytes == 0);
        if (c->close_asap) {
          c->out.clear();  // Dropped unsent, as Connection::Flush does.
          Drop(i);
          closed = true;
          continue;
        }
        const size_t written = c->out.size();
        CheckOutput(*c, args);
        if (stalled_[i] && written > 0) {
          // The socket takes nothing: what was written is now unsent (Connection::Flush).
          c->inflight_bytes += written;
          server_.CheckOutputLimits(*c);
          if (c->close_asap) {
            Drop(i);
            closed = true;
            continue;
          }
        }
        if (c->close_after_reply) {
          Drop(i);
          closed = true;
        }
      }
      if (!closed) return;
    }
    FUZZ_CHECK(false, "clients kept closing after 100 flush rounds");
  }

  // The tables, the shards' counters and the owners' indexes must tell the same story.
  void CheckTables() {
    const auto& attached = server_.clients();
    size_t live = 0;
    for (const auto& c : clients_) {
      if (c) {
        live++;
        FUZZ_CHECK(attached.count(c->id) == 1, "a live client is not attached");
      }
    }
    FUZZ_CHECK(attached.size() == live, "the server holds clients the harness dropped");

    size_t owned_total = 0;
    for (const auto& [name, clp] : server_.clusters()) {
      ClusterState& cl = *clp;
      for (auto& shard : cl.shards) {
        size_t local_regs = 0, members = 0, local_members = 0;
        for (const auto& [key, e] : shard.registry) {
          FUZZ_CHECK(&cl.ShardFor(key) == &shard, "registration in the wrong shard");
          FUZZ_CHECK(e.node == kLocalNode, "a remote entry without replication");
          local_regs++;
          owned_total++;
          Client* owner = server_.FindClient(e.pid.owner());
          FUZZ_CHECK(owner != nullptr, "registration '" + Escape(key) + "' in cluster '" +
                                           Escape(name) + "' owned by a detached client " +
                                           std::to_string(e.pid.owner()));
          FUZZ_CHECK(owner->owner.pid == e.pid, "registration pid differs from its owner's");
          FUZZ_CHECK(owner->owner.owned.Contains(EntryKind::kRegistry, name, key) == 1,
                     "registration '" + Escape(key) + "' missing from its owner's index");
        }
        FUZZ_CHECK(groupd::PrefixIndexInStep(shard), "group prefix index out of step");
        for (const auto& [gname, g] : shard.groups) {
          FUZZ_CHECK(&cl.ShardFor(gname) == &shard, "group in the wrong shard");
          FUZZ_CHECK(!g.members.empty(), "empty group '" + Escape(gname) + "' kept");
          FUZZ_CHECK(groupd::FindGroup(static_cast<const groupd::Shard&>(shard), gname) == &g,
                     "group table does not find group '" + Escape(gname) + "'");
          size_t local_in_group = 0;
          for (const auto& [pid, m] : g.members) {
            members++;
            FUZZ_CHECK(m.node == kLocalNode, "a remote member without replication");
            local_in_group++;
            owned_total++;
            Client* owner = server_.FindClient(pid.owner());
            FUZZ_CHECK(owner != nullptr, "member of '" + Escape(gname) + "' owned by a detached "
                                         "client " + std::to_string(pid.owner()));
            FUZZ_CHECK(owner->owner.pid == pid, "member pid differs from its owner's");
            FUZZ_CHECK(owner->owner.owned.Contains(EntryKind::kGroup, name, gname) == 1,
                       "membership of '" + Escape(gname) + "' missing from its owner's index");
          }
          FUZZ_CHECK(g.local_count == local_in_group, "group local_count is off");
          local_members += local_in_group;
        }
        FUZZ_CHECK(shard.shadows.empty(), "a shadowed remote claim without replication");
        FUZZ_CHECK(shard.local_registrations == local_regs, "shard local_registrations is off");
        FUZZ_CHECK(shard.memberships == members, "shard memberships is off");
        FUZZ_CHECK(shard.local_memberships == local_members, "shard local_memberships is off");
      }
    }
    size_t index_total = 0;
    for (const auto& [id, c] : attached) index_total += c->owner.owned.size();
    FUZZ_CHECK(index_total == owned_total,
               "owners' indexes list " + std::to_string(index_total) + " entries, tables hold " +
                   std::to_string(owned_total));
  }

  Server server_;
  std::array<std::unique_ptr<Client>, kClients> clients_;
  std::array<bool, kClients> stalled_{};
  std::vector<std::string> args_storage_;
  int commands_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  groupd::FixKeyedTableSeeds(0);  // Tables walk in the same order on every replay.
  static bool init = [] {
    spdlog::set_default_logger(spdlog::null_logger_st("fuzz"));
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)init;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Harness h;
  size_t start = 0;
  while (start <= input.size()) {
    size_t nl = input.find('\n', start);
    if (nl == std::string_view::npos) nl = input.size();
    h.RunRecord(input.substr(start, nl - start));
    start = nl + 1;
  }
  h.Finish();
  return 0;
}
