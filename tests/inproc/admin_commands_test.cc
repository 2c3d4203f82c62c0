// In-process tests of the admin family: INFO, CONFIG, COMMAND, TIME, DBSIZE, SHUTDOWN and
// GLOGLEVEL, with Redis 7's reply shapes (redis-cli and client libraries parse them).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/errors.h"
#include "server/log.h"
#include "tests/inproc/harness.h"
#include "tests/support/resp_builders.h"

namespace groupd {
namespace {

using testing::InProcServer;
using testing::RespValue;
using testing::Simple;
using testing::Err;
using testing::Int;
using testing::Bulk;
using testing::Arr;
using testing::Map;

const RespValue kOk = Simple("OK");

// The value under key in a RESP3 map or a RESP2 flat key/value array; nullptr if absent.
const RespValue* MapGet(const RespValue& m, std::string_view key) {
  for (size_t i = 0; i + 1 < m.elems.size(); i += 2) {
    if (m.elems[i].IsString(key)) return &m.elems[i + 1];
  }
  return nullptr;
}

std::vector<std::string> Strings(const RespValue& v) {
  std::vector<std::string> out;
  for (const auto& e : v.elems) out.push_back(e.str);
  return out;
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The value of "field:" in INFO text, or nullopt.
std::optional<std::string> InfoField(const std::string& info, std::string_view field) {
  std::string needle = "\r\n" + std::string(field) + ":";
  size_t pos = ("\r\n" + info).find(needle);
  if (pos == std::string::npos) return std::nullopt;
  pos += needle.size() - 2;  // Position in info of the value.
  size_t end = info.find("\r\n", pos);
  return info.substr(pos, end - pos);
}

class AdminCommandsTest : public ::testing::Test {
 protected:
  ~AdminCommandsTest() override { SetLogLevel("off"); }
  Server& server() { return srv_.server(); }
  RespValue Run(Client& c, std::initializer_list<std::string_view> args) {
    return srv_.Run(c, args);
  }
  std::string Info(Client& c, std::initializer_list<std::string_view> args) {
    RespValue r = Run(c, args);
    EXPECT_TRUE(r.type == RespValue::kBulk || r.type == RespValue::kVerbatim) << r;
    return r.str;
  }

  InProcServer srv_;
};

// --- INFO --------------------------------------------------------------------------------------

TEST_F(AdminCommandsTest, InfoWithoutArgumentsHasEveryDefaultSection) {
  Client& c = srv_.NewClient();
  std::string info = Info(c, {"INFO"});
  for (std::string_view header :
       {"# Server\r\n", "# Clients\r\n", "# Memory\r\n", "# Persistence\r\n", "# Stats\r\n",
        "# Replication\r\n", "# Group\r\n", "# Keyspace\r\n"}) {
    EXPECT_NE(info.find(header), std::string::npos) << header;
  }
  EXPECT_EQ(info.rfind("# Server\r\n", 0), 0u);
  EXPECT_TRUE(info.ends_with("\r\n"));
  // Every line ends in CRLF: no bare LF.
  for (size_t i = 0; i < info.size(); i++) {
    if (info[i] == '\n') {
      EXPECT_EQ(info[i - 1], '\r') << "at " << i;
    }
  }
}

TEST_F(AdminCommandsTest, InfoReportsLoadingZeroAndRedisCompatibleServerFields) {
  Client& c = srv_.NewClient();
  std::string info = Info(c, {"INFO"});
  EXPECT_EQ(InfoField(info, "loading"), "0");
  EXPECT_EQ(InfoField(info, "redis_version"), "7.2.0");
  EXPECT_EQ(InfoField(info, "groupd_version"), GROUPD_VERSION);
  EXPECT_EQ(InfoField(info, "redis_mode"), "standalone");
  EXPECT_EQ(InfoField(info, "role"), "master");
  EXPECT_EQ(InfoField(info, "connected_slaves"), "0");
  EXPECT_EQ(InfoField(info, "node_name"), "test-node");
  EXPECT_EQ(InfoField(info, "incarnation"), server().incarnation());
  EXPECT_EQ(InfoField(info, "process_id"), std::to_string(getpid()));
  auto run_id = InfoField(info, "run_id");
  ASSERT_TRUE(run_id.has_value());
  EXPECT_EQ(run_id->size(), 40u);
  EXPECT_EQ(run_id->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(InfoField(Info(c, {"INFO", "server"}), "run_id"), run_id);  // Stable.
  EXPECT_TRUE(InfoField(info, "uptime_in_seconds").has_value());
  EXPECT_EQ(InfoField(info, "uptime_in_days"), "0");
  EXPECT_EQ(InfoField(info, "arch_bits"), std::to_string(sizeof(void*) * 8));
}

TEST_F(AdminCommandsTest, InfoMemoryReportsAllocatorFigures) {
  Client& c = srv_.NewClient();
  std::string info = Info(c, {"INFO", "memory"});
  auto used = InfoField(info, "used_memory");
  ASSERT_TRUE(used.has_value());
  EXPECT_EQ(used->find_first_not_of("0123456789"), std::string::npos) << *used;
  EXPECT_TRUE(InfoField(info, "used_memory_human").has_value());
  EXPECT_GT(std::stoull(InfoField(info, "used_memory_rss").value_or("0")), 0u);
  auto alloc = InfoField(info, "mem_allocator").value_or("");
#ifdef GROUPD_JEMALLOC
  EXPECT_EQ(alloc.rfind("jemalloc-", 0), 0u) << alloc;
  EXPECT_GT(std::stoull(*used), 0u);
#else
  // mallinfo2() is all zeros under sanitizers, which replace malloc; only the format is checked.
  EXPECT_EQ(alloc, "libc");
#endif
}

TEST_F(AdminCommandsTest, InfoIsVerbatimTextInResp3) {
  Client& c = srv_.NewClient();
  c.writer.set_proto(3);
  RespValue r = Run(c, {"INFO", "server"});
  EXPECT_EQ(r.type, RespValue::kVerbatim) << r;
  EXPECT_EQ(r.format, "txt");
  EXPECT_EQ(r.str.rfind("# Server\r\n", 0), 0u);
}

TEST_F(AdminCommandsTest, InfoSelectsSectionsCaseInsensitivelyInFixedOrder) {
  Client& c = srv_.NewClient();
  std::string info = Info(c, {"INFO", "KEYSPACE", "Clients"});
  EXPECT_EQ(info,
            "# Clients\r\n"
            "connected_clients:1\r\n"
            "maxclients:10000\r\n"
            "pubsub_clients:0\r\n"
            "blocked_clients:0\r\n"
            "tracking_clients:0\r\n"
            "\r\n"
            "# Keyspace\r\n");
  EXPECT_EQ(Info(c, {"INFO", "server"}).find("# Clients"), std::string::npos);
  EXPECT_EQ(Info(c, {"INFO", "keyspace"}), "# Keyspace\r\n");
}

TEST_F(AdminCommandsTest, InfoOfUnknownSectionIsEmpty) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"INFO", "nosuch"}), Bulk(""));
}

TEST_F(AdminCommandsTest, InfoAllAndEverythingIncludeEverySection) {
  Client& c = srv_.NewClient();
  std::string all = Info(c, {"INFO", "all"});
  EXPECT_NE(all.find("# Group\r\n"), std::string::npos);
  EXPECT_NE(all.find("# Persistence\r\n"), std::string::npos);
  EXPECT_NE(Info(c, {"INFO", "everything"}).find("# Memory\r\n"), std::string::npos);
}

TEST_F(AdminCommandsTest, InfoClientsCountsConnectionsAndPubsubClients) {
  Client& c = srv_.NewClient();
  Client& s = srv_.NewClient();
  server().pubsub().Subscribe(&s, "ch");
  std::string info = Info(c, {"INFO", "clients"});
  EXPECT_EQ(InfoField(info, "connected_clients"), "2");
  EXPECT_EQ(InfoField(info, "pubsub_clients"), "1");
  EXPECT_EQ(InfoField(info, "blocked_clients"), "0");
}

TEST_F(AdminCommandsTest, InfoStatsCountsCommandsAndResetstatZeroesThem) {
  Client& c = srv_.NewClient();
  server().pubsub().Subscribe(&c, "ch");
  server().pubsub().PSubscribe(&c, "p*");
  server().pubsub().RemoveClient(&c);
  server().stats().net_input_bytes = 123;
  Run(c, {"PING"});
  Run(c, {"NOSUCHCOMMAND"});  // Refused: not a call, so not counted, as in Redis.
  std::string info = Info(c, {"INFO", "stats"});
  EXPECT_EQ(InfoField(info, "total_commands_processed"), "2");
  EXPECT_EQ(InfoField(info, "total_connections_received"), "1");
  EXPECT_EQ(InfoField(info, "total_net_input_bytes"), "123");
  EXPECT_EQ(InfoField(info, "pubsub_channels"), "0");
  EXPECT_TRUE(InfoField(info, "client_output_buffer_limit_disconnections").has_value());
  EXPECT_TRUE(InfoField(info, "protocol_errors").has_value());
  EXPECT_EQ(Run(c, {"CONFIG", "RESETSTAT"}), kOk);
  info = Info(c, {"INFO", "stats"});
  EXPECT_EQ(InfoField(info, "total_commands_processed"), "1");  // This INFO itself.
  EXPECT_EQ(InfoField(info, "total_connections_received"), "0");
  EXPECT_EQ(InfoField(info, "total_net_input_bytes"), "0");
}

TEST_F(AdminCommandsTest, InfoGroupCountsEntriesMonitorsAndClusters) {
  Client& a = srv_.NewClient();
  Client& m = srv_.NewClient();
  ASSERT_EQ(Run(a, {"GREG", "k1"}), kOk);
  ASSERT_EQ(Run(a, {"GREG", "k2"}), kOk);
  ASSERT_EQ(Run(a, {"GJOIN", "g"}), kOk);
  server().pubsub().Subscribe(&m, "__gevent__:*");
  server().pubsub().Subscribe(&m, "unrelated");
  std::string info = Info(a, {"INFO", "group"});
  EXPECT_EQ(InfoField(info, "registrations"), "2");
  EXPECT_EQ(InfoField(info, "local_registrations"), "2");
  EXPECT_EQ(InfoField(info, "memberships"), "1");
  EXPECT_EQ(InfoField(info, "local_memberships"), "1");
  EXPECT_EQ(InfoField(info, "groups"), "1");
  EXPECT_EQ(InfoField(info, "clusters"), "0");
  EXPECT_EQ(InfoField(info, "monitors"), "1");
  EXPECT_EQ(InfoField(info, "events_emitted"), "3");
  EXPECT_EQ(InfoField(info, "event_seq"), "3");
  for (std::string_view f :
       {"dispatches", "dispatch_deliveries", "dispatch_skipped", "clusters_expired"}) {
    EXPECT_EQ(InfoField(info, f), "0") << f;
  }
  server().ConnectCluster("blue", 0);
  EXPECT_EQ(InfoField(Info(a, {"INFO", "group"}), "clusters"), "1");
}

// --- CONFIG ------------------------------------------------------------------------------------

TEST_F(AdminCommandsTest, ConfigGetRepliesNameValuePairs) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CONFIG", "GET", "maxclients"}), Arr({Bulk("maxclients"), Bulk("10000")}));
  c.writer.set_proto(3);
  EXPECT_EQ(Run(c, {"CONFIG", "GET", "MaxClients"}), Map({Bulk("maxclients"), Bulk("10000")}));
  EXPECT_EQ(Run(c, {"CONFIG", "GET", "nosuch"}), Map({}));
}

TEST_F(AdminCommandsTest, ConfigGetMatchesGlobsAndDeduplicates) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"CONFIG", "GET", "max-*", "max-key-len", "port"});
  std::vector<std::string> flat = Strings(r);
  std::vector<std::string> names;
  for (size_t i = 0; i < flat.size(); i += 2) names.push_back(flat[i]);
  EXPECT_EQ(names,
            (std::vector<std::string>{"max-key-len", "max-meta-fields", "max-meta-bytes", "port"}));
  RespValue all = Run(c, {"CONFIG", "GET", "*"});
  EXPECT_EQ(all.elems.size(), 2 * AllOptions().size());
}

TEST_F(AdminCommandsTest, ConfigSetRoundTripsThroughConfigGet) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "maxclients", "50", "MAX-KEY-LEN", "100"}), kOk);
  EXPECT_EQ(server().config().maxclients, 50);
  EXPECT_EQ(server().config().max_key_len, 100);
  EXPECT_EQ(Run(c, {"CONFIG", "GET", "maxclients"}), Arr({Bulk("maxclients"), Bulk("50")}));
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "max-meta-bytes", "1kb"}), kOk);
  EXPECT_EQ(Run(c, {"CONFIG", "GET", "max-meta-bytes"}),
            Arr({Bulk("max-meta-bytes"), Bulk("1024")}));
}

TEST_F(AdminCommandsTest, ConfigSetErrorsUseRedis7Wording) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "foo", "bar"}),
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"));
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "MAXCLIENTS", "abc"}),
            Err("ERR CONFIG SET failed (possibly related to argument 'MAXCLIENTS') - argument "
                "couldn't be parsed into an integer"));
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "port", "1"}),
            Err("ERR CONFIG SET failed (possibly related to argument 'port') - can't set "
                "immutable config"));
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "maxclients", "10", "maxclients", "20"}),
            Err("ERR CONFIG SET failed (possibly related to argument 'maxclients') - duplicate "
                "parameter"));
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "maxclients", "10", "foo"}),
            Err("ERR wrong number of arguments for 'config|set' command"));
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "maxclients"}),
            Err("ERR wrong number of arguments for 'config|set' command"));
  EXPECT_EQ(Run(c, {"CONFIG", "GET"}),
            Err("ERR wrong number of arguments for 'config|get' command"));
  EXPECT_EQ(Run(c, {"CONFIG", "NOPE"}), Err("ERR unknown subcommand 'NOPE'. Try CONFIG HELP."));
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "loglevel", "loud"}).type, RespValue::kError);
  EXPECT_EQ(server().config().maxclients, 10000);
}

TEST_F(AdminCommandsTest, ConfigSetUnknownNameWinsOverOtherErrors) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "port", "1", "nosuch", "x"}),
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"));
}

TEST_F(AdminCommandsTest, ConfigSetIsAllOrNothing) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "maxclients", "77", "max-key-len", "abc"}),
            Err("ERR CONFIG SET failed (possibly related to argument 'max-key-len') - argument "
                "couldn't be parsed into an integer"));
  EXPECT_EQ(server().config().maxclients, 10000);
  EXPECT_EQ(server().config().max_key_len, 4096);
}

TEST_F(AdminCommandsTest, ConfigSetLoglevelAppliesItAndCallsTheHook) {
  Client& c = srv_.NewClient();
  int calls = 0;
  server().on_loglevel_change = [&] { calls++; };
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "loglevel", "VERBOSE"}), kOk);
  EXPECT_EQ(server().config().loglevel, "verbose");
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
  EXPECT_EQ(calls, 1);
  // Setting something else leaves the log level alone.
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "maxclients", "100"}), kOk);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Run(c, {"CONFIG", "GET", "loglevel"}), Arr({Bulk("loglevel"), Bulk("verbose")}));
}

TEST_F(AdminCommandsTest, ConfigSetRequirepassKeepsExistingConnectionsLoggedIn) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CONFIG", "SET", "requirepass", "pw"}), kOk);
  EXPECT_EQ(Run(c, {"PING"}), Simple("PONG"));
  Client& late = srv_.NewClient();
  EXPECT_EQ(Run(late, {"PING"}), Err(errors::kNoAuth));
  EXPECT_EQ(Run(late, {"AUTH", "pw"}), kOk);
  EXPECT_EQ(Run(late, {"PING"}), Simple("PONG"));
}

TEST_F(AdminCommandsTest, ConfigHelpIsAnArrayOfStatusLines) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"CONFIG", "HELP"});
  ASSERT_EQ(r.type, RespValue::kArray);
  EXPECT_EQ(r.elems.at(0),
            Simple("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
}

// --- COMMAND -----------------------------------------------------------------------------------

TEST_F(AdminCommandsTest, CommandCountIsTheNumberOfTableEntries) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"COMMAND", "COUNT"}),
            Int(static_cast<int64_t>(server().commands().all().size())));
}

TEST_F(AdminCommandsTest, CommandInfoOfGregHasRedis7Shape) {
  Client& c = srv_.NewClient();
  const CommandSpec* spec = server().commands().Find("greg");
  ASSERT_NE(spec, nullptr);
  RespValue r = Run(c, {"COMMAND", "INFO", "GREG"});
  ASSERT_EQ(r.type, RespValue::kArray);
  ASSERT_EQ(r.elems.size(), 1u);
  const RespValue& e = r.elems[0];
  ASSERT_EQ(e.type, RespValue::kArray) << e;
  ASSERT_EQ(e.elems.size(), 10u) << e;
  EXPECT_EQ(e.elems[0], Bulk("greg"));
  EXPECT_EQ(e.elems[1], Int(spec->arity));
  EXPECT_TRUE(Contains(Strings(e.elems[2]), "write")) << e;
  for (const auto& f : e.elems[2].elems) EXPECT_EQ(f.type, RespValue::kSimple);
  EXPECT_EQ(e.elems[3], Int(spec->first_key));
  EXPECT_EQ(e.elems[4], Int(spec->last_key));
  EXPECT_EQ(e.elems[5], Int(spec->key_step));
  EXPECT_TRUE(Contains(Strings(e.elems[6]), "@write")) << e;
  EXPECT_EQ(e.elems[7].elems.size(), 0u);                             // Tips.
  EXPECT_EQ(e.elems[8].elems.size(), spec->first_key > 0 ? 1u : 0u);  // Key specs.
  EXPECT_EQ(e.elems[9].elems.size(), 0u);                             // Subcommands.
}

TEST_F(AdminCommandsTest, CommandInfoInResp3UsesSetsForFlagsAndCategories) {
  Client& c = srv_.NewClient();
  c.writer.set_proto(3);
  RespValue r = Run(c, {"COMMAND", "INFO", "ping"});
  const RespValue& e = r.elems.at(0);
  EXPECT_EQ(e.elems[0], Bulk("ping"));
  EXPECT_EQ(e.elems[1], Int(-1));
  EXPECT_EQ(e.elems[2].type, RespValue::kSet);
  EXPECT_EQ(Strings(e.elems[2]), (std::vector<std::string>{"fast"}));
  EXPECT_EQ(e.elems[6].type, RespValue::kSet);
  EXPECT_EQ(Strings(e.elems[6]), (std::vector<std::string>{"@fast", "@connection"}));
}

TEST_F(AdminCommandsTest, CommandInfoOfKeyedCommandHasOneRangeKeySpec) {
  Client& c = srv_.NewClient();
  // Any command with a key position will do; GDISPATCH declares one.
  const CommandSpec* keyed = nullptr;
  for (const auto& s : server().commands().all()) {
    if (s.first_key > 0) keyed = &s;
  }
  ASSERT_NE(keyed, nullptr);
  c.writer.set_proto(3);
  RespValue r = Run(c, {"COMMAND", "INFO", keyed->name});
  const RespValue& specs = r.elems.at(0).elems.at(8);
  ASSERT_EQ(specs.elems.size(), 1u) << r;
  const RespValue& ks = specs.elems[0];
  ASSERT_EQ(ks.type, RespValue::kMap);
  const RespValue* begin = MapGet(ks, "begin_search");
  ASSERT_NE(begin, nullptr);
  EXPECT_EQ(*MapGet(*begin, "type"), Bulk("index"));
  EXPECT_EQ(*MapGet(*MapGet(*begin, "spec"), "index"), Int(keyed->first_key));
  const RespValue* find = MapGet(ks, "find_keys");
  ASSERT_NE(find, nullptr);
  EXPECT_EQ(*MapGet(*find, "type"), Bulk("range"));
  EXPECT_EQ(*MapGet(*MapGet(*find, "spec"), "keystep"), Int(keyed->key_step));
}

TEST_F(AdminCommandsTest, CommandInfoOfUnknownNameIsNullAndSubcommandsAreFound) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"COMMAND", "INFO", "nosuch", "client|id", "CLIENT"});
  ASSERT_EQ(r.elems.size(), 3u);
  EXPECT_TRUE(r.elems[0].IsNullArray()) << r;
  EXPECT_EQ(r.elems[1].elems.at(0), Bulk("client|id"));
  EXPECT_EQ(r.elems[1].elems.at(1), Int(2));
  const RespValue& client = r.elems[2];
  EXPECT_EQ(client.elems.at(0), Bulk("client"));
  const RespValue& subs = client.elems.at(9);
  EXPECT_EQ(subs.elems.size(), server().commands().Find("client")->subcommands.size());
  for (const auto& sub : subs.elems) {
    EXPECT_EQ(sub.elems.at(0).str.rfind("client|", 0), 0u) << sub;
    EXPECT_EQ(sub.elems.size(), 10u);
  }
}

TEST_F(AdminCommandsTest, CommandInfoWithoutNamesDescribesEveryCommand) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"COMMAND", "INFO"});
  ASSERT_EQ(r.elems.size(), server().commands().all().size());
  std::set<std::string> names;
  for (const auto& e : r.elems) names.insert(e.elems.at(0).str);
  EXPECT_TRUE(names.count("greg"));
  EXPECT_TRUE(names.count("command"));
  EXPECT_TRUE(names.count("hello"));
}

// Checks one COMMAND DOCS argument map the way redis-cli 7.0 does (it asserts on these types).
void CheckDocArgument(const RespValue& arg) {
  ASSERT_EQ(arg.type, RespValue::kMap) << arg;
  const RespValue* name = MapGet(arg, "name");
  const RespValue* type = MapGet(arg, "type");
  ASSERT_NE(name, nullptr) << arg;
  ASSERT_NE(type, nullptr) << arg;
  EXPECT_EQ(name->type, RespValue::kBulk);
  EXPECT_FALSE(name->str.empty()) << arg;
  static const std::set<std::string> kTypes = {"string",     "integer", "key",  "pattern",
                                               "pure-token", "oneof",   "block"};
  EXPECT_TRUE(kTypes.count(type->str)) << arg;
  if (const RespValue* token = MapGet(arg, "token")) {
    EXPECT_EQ(token->type, RespValue::kBulk);
  }
  if (const RespValue* flags = MapGet(arg, "flags")) {
    EXPECT_EQ(flags->type, RespValue::kSet) << arg;
    for (const auto& f : flags->elems) EXPECT_EQ(f.type, RespValue::kSimple) << arg;
  }
  const RespValue* args = MapGet(arg, "arguments");
  if (type->str == "oneof" || type->str == "block") {
    ASSERT_NE(args, nullptr) << arg;
    EXPECT_FALSE(args->elems.empty());
  }
  if (args != nullptr) {
    EXPECT_EQ(args->type, RespValue::kArray);
    for (const auto& sub : args->elems) CheckDocArgument(sub);
  }
}

void CheckDocs(const RespValue& docs) {
  ASSERT_EQ(docs.type, RespValue::kMap) << docs;
  for (std::string_view key : {"summary", "since", "group"}) {
    const RespValue* v = MapGet(docs, key);
    ASSERT_NE(v, nullptr) << key << " in " << docs;
    EXPECT_EQ(v->type, RespValue::kBulk);
  }
  if (const RespValue* args = MapGet(docs, "arguments")) {
    ASSERT_EQ(args->type, RespValue::kArray);
    EXPECT_FALSE(args->elems.empty());
    for (const auto& a : args->elems) CheckDocArgument(a);
  }
  if (const RespValue* subs = MapGet(docs, "subcommands")) {
    ASSERT_EQ(subs->type, RespValue::kMap);
    for (size_t i = 0; i < subs->elems.size(); i += 2) {
      EXPECT_NE(subs->elems[i].str.find('|'), std::string::npos) << subs->elems[i];
      CheckDocs(subs->elems[i + 1]);
    }
  }
}

TEST_F(AdminCommandsTest, CommandDocsOfEveryCommandSatisfiesRedisCli) {
  Client& c = srv_.NewClient();
  c.writer.set_proto(3);
  RespValue r = Run(c, {"COMMAND", "DOCS"});
  ASSERT_EQ(r.type, RespValue::kMap);
  EXPECT_EQ(r.elems.size(), 2 * server().commands().all().size());
  for (size_t i = 0; i < r.elems.size(); i += 2) {
    SCOPED_TRACE(r.elems[i].str);
    EXPECT_EQ(r.elems[i].type, RespValue::kBulk);
    CheckDocs(r.elems[i + 1]);
  }
}

TEST_F(AdminCommandsTest, CommandDocsOfGregHasItsArguments) {
  Client& c = srv_.NewClient();
  c.writer.set_proto(3);
  RespValue r = Run(c, {"COMMAND", "DOCS", "greg"});
  ASSERT_EQ(r.type, RespValue::kMap);
  ASSERT_EQ(r.elems.size(), 2u);
  EXPECT_EQ(r.elems[0], Bulk("greg"));
  const RespValue& docs = r.elems[1];
  CheckDocs(docs);
  EXPECT_EQ(*MapGet(docs, "summary"), Bulk(server().commands().Find("greg")->summary));
  const RespValue* args = MapGet(docs, "arguments");
  ASSERT_NE(args, nullptr);
  ASSERT_GE(args->elems.size(), 2u);
  EXPECT_EQ(*MapGet(args->elems[0], "name"), Bulk("key"));
  EXPECT_EQ(*MapGet(args->elems[0], "type"), Bulk("string"));
  bool has_cluster = false;
  for (const auto& a : args->elems) {
    if (const RespValue* token = MapGet(a, "token"); token && token->str == "CLUSTER") {
      has_cluster = true;
      EXPECT_EQ(Strings(*MapGet(a, "flags")), (std::vector<std::string>{"optional"}));
    }
  }
  EXPECT_TRUE(has_cluster) << docs;
}

TEST_F(AdminCommandsTest, CommandDocsTurnsSyntaxIntoRedisArgumentMaps) {
  Client& c = srv_.NewClient();
  c.writer.set_proto(3);
  // CLIENT LIST: "[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id ...]".
  RespValue r = Run(c, {"COMMAND", "DOCS", "client|list"});
  ASSERT_EQ(r.elems.size(), 2u) << r;
  EXPECT_EQ(r.elems[0], Bulk("client|list"));
  const RespValue* args = MapGet(r.elems[1], "arguments");
  ASSERT_NE(args, nullptr);
  ASSERT_EQ(args->elems.size(), 2u);
  const RespValue& type = args->elems[0];
  EXPECT_EQ(*MapGet(type, "type"), Bulk("oneof"));
  EXPECT_EQ(*MapGet(type, "token"), Bulk("TYPE"));
  EXPECT_EQ(Strings(*MapGet(type, "flags")), (std::vector<std::string>{"optional"}));
  const RespValue* choices = MapGet(type, "arguments");
  ASSERT_EQ(choices->elems.size(), 4u);
  EXPECT_EQ(choices->elems[0], Map({Bulk("name"), Bulk("normal"), Bulk("type"), Bulk("pure-token"),
                                    Bulk("token"), Bulk("NORMAL")}));
  const RespValue& id = args->elems[1];
  EXPECT_EQ(id, Map({Bulk("name"), Bulk("client-id"), Bulk("type"), Bulk("string"), Bulk("token"),
                     Bulk("ID"), Bulk("flags"), [] {
                       RespValue s;
                       s.type = RespValue::kSet;
                       s.elems = {Simple("optional"), Simple("multiple")};
                       return s;
                     }()}));
}

TEST_F(AdminCommandsTest, CommandDocsOfNestedOptionalGroupsIsABlock) {
  Client& c = srv_.NewClient();
  // HELLO: "[protover [AUTH username password] [SETNAME clientname]]".
  RespValue r = Run(c, {"COMMAND", "DOCS", "hello"});
  const RespValue* args = MapGet(r.elems.at(1), "arguments");
  ASSERT_NE(args, nullptr);
  ASSERT_EQ(args->elems.size(), 1u);
  const RespValue& block = args->elems[0];
  EXPECT_EQ(*MapGet(block, "type"), Bulk("block"));
  const RespValue* inner = MapGet(block, "arguments");
  ASSERT_EQ(inner->elems.size(), 3u);
  EXPECT_EQ(*MapGet(inner->elems[0], "name"), Bulk("protover"));
  EXPECT_EQ(*MapGet(inner->elems[1], "token"), Bulk("AUTH"));
  EXPECT_EQ(*MapGet(inner->elems[1], "type"), Bulk("block"));
  EXPECT_EQ(MapGet(inner->elems[1], "arguments")->elems.size(), 2u);
  EXPECT_EQ(*MapGet(inner->elems[2], "token"), Bulk("SETNAME"));
  EXPECT_EQ(*MapGet(inner->elems[2], "name"), Bulk("clientname"));
}

TEST_F(AdminCommandsTest, CommandDocsRepeatedArgumentIsMultiple) {
  Client& c = srv_.NewClient();
  // CONFIG GET: "parameter [parameter ...]" is one argument flagged multiple.
  RespValue r = Run(c, {"COMMAND", "DOCS", "config|get"});
  const RespValue* args = MapGet(r.elems.at(1), "arguments");
  ASSERT_NE(args, nullptr);
  ASSERT_EQ(args->elems.size(), 1u);
  EXPECT_EQ(*MapGet(args->elems[0], "name"), Bulk("parameter"));
  EXPECT_EQ(Strings(*MapGet(args->elems[0], "flags")), (std::vector<std::string>{"multiple"}));
}

TEST_F(AdminCommandsTest, CommandDocsLeavesOutUnknownNamesAndCommandsWithoutArguments) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"COMMAND", "DOCS", "nosuch"}), Arr({}));
  RespValue r = Run(c, {"COMMAND", "DOCS", "nosuch", "time"});
  ASSERT_EQ(r.elems.size(), 2u);
  EXPECT_EQ(r.elems[0], Bulk("time"));
  EXPECT_EQ(MapGet(r.elems[1], "arguments"), nullptr);
  EXPECT_EQ(*MapGet(r.elems[1], "group"), Bulk("server"));
}

TEST_F(AdminCommandsTest, CommandDocsOfContainerListsSubcommands) {
  Client& c = srv_.NewClient();
  c.writer.set_proto(3);
  RespValue r = Run(c, {"COMMAND", "DOCS", "client"});
  const RespValue* subs = MapGet(r.elems.at(1), "subcommands");
  ASSERT_NE(subs, nullptr);
  std::vector<std::string> names;
  for (size_t i = 0; i < subs->elems.size(); i += 2) names.push_back(subs->elems[i].str);
  EXPECT_TRUE(Contains(names, "client|kill"));
  EXPECT_TRUE(Contains(names, "client|setinfo"));
}

TEST_F(AdminCommandsTest, CommandListNamesCommandsAndSubcommands) {
  Client& c = srv_.NewClient();
  std::vector<std::string> all = Strings(Run(c, {"COMMAND", "LIST"}));
  EXPECT_TRUE(Contains(all, "greg"));
  EXPECT_TRUE(Contains(all, "client"));
  EXPECT_TRUE(Contains(all, "client|id"));
  std::vector<std::string> cl = Strings(Run(c, {"COMMAND", "LIST", "FILTERBY", "PATTERN", "CL*"}));
  EXPECT_FALSE(cl.empty());
  for (const auto& n : cl) EXPECT_EQ(n.rfind("cl", 0), 0u) << n;
  std::vector<std::string> conn =
      Strings(Run(c, {"COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"}));
  EXPECT_TRUE(Contains(conn, "ping"));
  EXPECT_FALSE(Contains(conn, "greg"));
  EXPECT_EQ(Run(c, {"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}), Arr({}));
  EXPECT_EQ(Run(c, {"COMMAND", "LIST", "FILTERBY", "foo", "x"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(c, {"COMMAND", "LIST", "foo"}), Err(errors::kSyntax));
}

TEST_F(AdminCommandsTest, CommandGetkeysUsesKeyPositions) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"COMMAND", "GETKEYS", "PING"}), Err("ERR The command has no key arguments"));
  EXPECT_EQ(Run(c, {"COMMAND", "GETKEYS", "nosuch", "a"}), Err("ERR Invalid command specified"));
  EXPECT_EQ(Run(c, {"COMMAND", "GETKEYS", "ECHO"}),
            Err("ERR Invalid number of arguments specified for command"));
  EXPECT_EQ(Run(c, {"COMMAND", "GETKEYS"}),
            Err("ERR wrong number of arguments for 'command|getkeys' command"));
  const CommandSpec* greg = server().commands().Find("greg");
  ASSERT_NE(greg, nullptr);
  RespValue r = Run(c, {"COMMAND", "GETKEYS", "GREG", "svc/a", "CLUSTER", "c"});
  if (greg->first_key > 0) {
    EXPECT_EQ(r, Arr({Bulk("svc/a")}));
  } else {
    EXPECT_EQ(r, Err("ERR The command has no key arguments"));
  }
}

TEST_F(AdminCommandsTest, CommandUnknownSubcommandAndHelp) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"COMMAND", "FOO"}), Err("ERR unknown subcommand 'FOO'. Try COMMAND HELP."));
  RespValue help = Run(c, {"COMMAND", "HELP"});
  ASSERT_EQ(help.type, RespValue::kArray);
  EXPECT_EQ(help.elems.at(0),
            Simple("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
}

// --- TIME DBSIZE SHUTDOWN GLOGLEVEL ------------------------------------------------------------

TEST_F(AdminCommandsTest, TimeRepliesSecondsAndMicrosecondsAsBulkStrings) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"TIME"});
  ASSERT_EQ(r.type, RespValue::kArray);
  ASSERT_EQ(r.elems.size(), 2u);
  EXPECT_EQ(r.elems[0].type, RespValue::kBulk);
  EXPECT_EQ(r.elems[1].type, RespValue::kBulk);
  int64_t secs = std::stoll(r.elems[0].str);
  int64_t usecs = std::stoll(r.elems[1].str);
  EXPECT_LE(std::abs(secs - Server::NowMs() / 1000), 2);
  EXPECT_GE(usecs, 0);
  EXPECT_LT(usecs, 1000000);
}

TEST_F(AdminCommandsTest, DbsizeCountsRegistrationsAndMembershipsOfEveryCluster) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"DBSIZE"}), Int(0));
  ASSERT_EQ(Run(a, {"GREG", "k"}), kOk);
  ASSERT_EQ(Run(a, {"GJOIN", "g"}), kOk);
  ASSERT_EQ(Run(b, {"GJOIN", "g"}), kOk);
  EXPECT_EQ(Run(a, {"DBSIZE"}), Int(3));
  server().ConnectCluster("blue", 0);
  ASSERT_EQ(Run(a, {"GREG", "k", "CLUSTER", "blue"}), kOk);
  EXPECT_EQ(Run(b, {"DBSIZE"}), Int(4));
}

TEST_F(AdminCommandsTest, ShutdownCallsTheHookAndRepliesNothing) {
  Client& c = srv_.NewClient();
  int calls = 0;
  server().on_shutdown = [&] { calls++; };
  EXPECT_TRUE(srv_.RunMulti(c, {"SHUTDOWN", "NOSAVE"}).empty());
  EXPECT_EQ(calls, 1);
}

TEST_F(AdminCommandsTest, ShutdownWithoutHookRepliesOkAndRejectsBadFlags) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"SHUTDOWN", "foo"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(c, {"SHUTDOWN", "SAVE", "NOSAVE"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(c, {"SHUTDOWN", "ABORT", "NOW"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(c, {"SHUTDOWN", "ABORT"}), Err("ERR Errors trying to abort SHUTDOWN. Check logs."));
  EXPECT_EQ(Run(c, {"SHUTDOWN"}), kOk);
}

TEST_F(AdminCommandsTest, GloglevelSetsTheLevelLikeConfigSet) {
  Client& c = srv_.NewClient();
  int calls = 0;
  server().on_loglevel_change = [&] { calls++; };
  EXPECT_EQ(Run(c, {"GLOGLEVEL", "verbose"}), kOk);
  EXPECT_EQ(server().config().loglevel, "verbose");
  EXPECT_EQ(spdlog::get_level(), spdlog::level::debug);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(Run(c, {"GLOGLEVEL", "OFF"}), kOk);
  EXPECT_EQ(spdlog::get_level(), spdlog::level::off);
  EXPECT_EQ(Run(c, {"CONFIG", "GET", "loglevel"}), Arr({Bulk("loglevel"), Bulk("off")}));
  EXPECT_EQ(Run(c, {"GLOGLEVEL", "loud"}), Err(errors::kInvalidLogLevel));
  EXPECT_EQ(Run(c, {"GLOGLEVEL"}), Err("ERR wrong number of arguments for 'gloglevel' command"));
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace groupd
