// In-process tests of the connection family: PING, ECHO, HELLO, AUTH, SELECT, CLIENT, QUIT,
// RESET, READONLY and READWRITE, with Redis 7's replies and error texts, and the dispatcher rules
// they rely on (unknown commands, arity, NOAUTH, subscribed mode).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/errors.h"
#include "tests/inproc/harness.h"
#include "tests/support/resp_builders.h"
#include "tests/unit/core/json_lite.h"

namespace groupd {
namespace {

using testing::InProcServer;
using testing::RespValue;
using testing::Simple;
using testing::Err;
using testing::Int;
using testing::Bulk;
using testing::Null;
using testing::Arr;

const RespValue kOk = Simple("OK");

// The value under key in a RESP3 map or a RESP2 flat key/value array; nullptr if absent.
const RespValue* MapGet(const RespValue& m, std::string_view key) {
  for (size_t i = 0; i + 1 < m.elems.size(); i += 2) {
    if (m.elems[i].IsString(key)) return &m.elems[i + 1];
  }
  return nullptr;
}

// The CLIENT LIST line of the client with this id, or "" if absent.
std::string LineOf(const std::string& list, uint64_t id) {
  std::string prefix = "id=" + std::to_string(id) + " ";
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find('\n', pos);
    if (end == std::string::npos) end = list.size();
    std::string line = list.substr(pos, end - pos);
    if (line.rfind(prefix, 0) == 0) return line;
    pos = end + 1;
  }
  return "";
}

size_t CountLines(const std::string& s) { return std::count(s.begin(), s.end(), '\n'); }

Config PasswordConfig() {
  Config c = InProcServer::TestConfig();
  c.requirepass = "secret";
  return c;
}

class ConnectionCommandsTest : public ::testing::Test {
 protected:
  Server& server() { return srv_.server(); }
  RespValue Run(Client& c, std::initializer_list<std::string_view> args) {
    return srv_.Run(c, args);
  }

  InProcServer srv_;
};

class ConnectionAuthTest : public ::testing::Test {
 protected:
  ConnectionAuthTest() : srv_(PasswordConfig()) {}
  RespValue Run(Client& c, std::initializer_list<std::string_view> args) {
    return srv_.Run(c, args);
  }

  InProcServer srv_;
};

// --- Dispatcher wording ------------------------------------------------------------------------

TEST_F(ConnectionCommandsTest, UnknownCommandQuotesItsFirstArguments) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"FOO", "a", "b"}),
            Err("ERR unknown command 'FOO', with args beginning with: 'a' 'b' "));
  EXPECT_EQ(Run(c, {"foo"}), Err("ERR unknown command 'foo', with args beginning with: "));
}

TEST_F(ConnectionCommandsTest, UnknownSubcommandNamesTheContainerHelp) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CLIENT", "Foo"}), Err("ERR unknown subcommand 'Foo'. Try CLIENT HELP."));
  EXPECT_EQ(Run(c, {"client", "no-such"}),
            Err("ERR unknown subcommand 'no-such'. Try CLIENT HELP."));
}

TEST_F(ConnectionCommandsTest, ArityErrorsNameTheCommandOrSubcommand) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"ECHO"}), Err("ERR wrong number of arguments for 'echo' command"));
  EXPECT_EQ(Run(c, {"ECHO", "a", "b"}), Err("ERR wrong number of arguments for 'echo' command"));
  EXPECT_EQ(Run(c, {"PING", "a", "b"}), Err("ERR wrong number of arguments for 'ping' command"));
  EXPECT_EQ(Run(c, {"CLIENT"}), Err("ERR wrong number of arguments for 'client' command"));
  EXPECT_EQ(Run(c, {"CLIENT", "SETNAME"}),
            Err("ERR wrong number of arguments for 'client|setname' command"));
  EXPECT_EQ(Run(c, {"CLIENT", "ID", "x"}),
            Err("ERR wrong number of arguments for 'client|id' command"));
  EXPECT_EQ(Run(c, {"SELECT"}), Err("ERR wrong number of arguments for 'select' command"));
  EXPECT_EQ(Run(c, {"RESET", "x"}), Err("ERR wrong number of arguments for 'reset' command"));
}

TEST_F(ConnectionCommandsTest, CommandNamesAreCaseInsensitive) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"pInG"}), Simple("PONG"));
  EXPECT_EQ(Run(c, {"client", "Id"}), Int(static_cast<int64_t>(c.id)));
}

// --- PING ECHO ---------------------------------------------------------------------------------

TEST_F(ConnectionCommandsTest, PingRepliesPongOrEchoesItsMessage) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"PING"}), Simple("PONG"));
  EXPECT_EQ(Run(c, {"PING", "hello world"}), Bulk("hello world"));
  c.writer.set_proto(3);
  EXPECT_EQ(Run(c, {"PING"}), Simple("PONG"));
}

TEST_F(ConnectionCommandsTest, PingInResp2SubscribedModeRepliesWithPongArray) {
  Client& c = srv_.NewClient();
  server().pubsub().Subscribe(&c, "ch");
  EXPECT_EQ(Run(c, {"PING"}), Arr({Bulk("pong"), Bulk("")}));
  EXPECT_EQ(Run(c, {"PING", "hi"}), Arr({Bulk("pong"), Bulk("hi")}));
}

TEST_F(ConnectionCommandsTest, PingInResp3SubscribedModeRepliesNormally) {
  Client& c = srv_.NewClient();
  c.writer.set_proto(3);
  server().pubsub().Subscribe(&c, "ch");
  EXPECT_EQ(Run(c, {"PING"}), Simple("PONG"));
  EXPECT_EQ(Run(c, {"PING", "hi"}), Bulk("hi"));
}

TEST_F(ConnectionCommandsTest, SubscribedResp2ConnectionMayOnlyRunPingQuitResetAndSubscribe) {
  Client& c = srv_.NewClient();
  server().pubsub().Subscribe(&c, "ch");
  EXPECT_EQ(Run(c, {"ECHO", "x"}),
            Err("ERR Can't execute 'echo': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT "
                "/ RESET are allowed in this context"));
  EXPECT_EQ(Run(c, {"CLIENT", "ID"}),
            Err("ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                "QUIT / RESET are allowed in this context"));
  EXPECT_EQ(Run(c, {"RESET"}), Simple("RESET"));
  EXPECT_EQ(c.subscription_count(), 0u);
  EXPECT_EQ(Run(c, {"ECHO", "x"}), Bulk("x"));
}

TEST_F(ConnectionCommandsTest, EchoRepliesWithItsArgumentBinarySafe) {
  Client& c = srv_.NewClient();
  std::string bin("a\0b\r\n", 5);
  EXPECT_EQ(Run(c, {"ECHO", bin}), Bulk(bin));
  EXPECT_EQ(Run(c, {"ECHO", ""}), Bulk(""));
}

// --- AUTH and NOAUTH ---------------------------------------------------------------------------

TEST_F(ConnectionCommandsTest, AuthWithoutRequirepassIsNotConfiguredButUserFormAccepted) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"AUTH", "pw"}), Err(errors::kAuthNotConfigured));
  // The default user has no password: Redis accepts any password for it.
  EXPECT_EQ(Run(c, {"AUTH", "default", "anything"}), kOk);
  EXPECT_EQ(Run(c, {"AUTH", "alice", "anything"}), Err(errors::kWrongPass));
  EXPECT_EQ(Run(c, {"AUTH", "a", "b", "c"}), Err(errors::kSyntax));
}

TEST_F(ConnectionAuthTest, CommandsBeforeAuthGetNoauth) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"PING"}), Err(errors::kNoAuth));
  EXPECT_EQ(Run(c, {"CLIENT", "ID"}), Err(errors::kNoAuth));
  EXPECT_EQ(Run(c, {"SELECT", "0"}), Err(errors::kNoAuth));
  EXPECT_EQ(Run(c, {"INFO"}), Err(errors::kNoAuth));
  EXPECT_EQ(Run(c, {"GREG", "k"}), Err(errors::kNoAuth));
}

TEST_F(ConnectionAuthTest, UnknownCommandBeforeAuthIsStillUnknown) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"NOPE"}), Err("ERR unknown command 'NOPE', with args beginning with: "));
}

TEST_F(ConnectionAuthTest, AuthWithWrongPasswordFailsAndRightOneAuthenticates) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"AUTH", "wrong"}), Err(errors::kWrongPass));
  EXPECT_EQ(Run(c, {"PING"}), Err(errors::kNoAuth));
  EXPECT_EQ(Run(c, {"AUTH", "secret"}), kOk);
  EXPECT_TRUE(c.authenticated);
  EXPECT_EQ(Run(c, {"PING"}), Simple("PONG"));
}

TEST_F(ConnectionAuthTest, AuthWithUsernameAcceptsOnlyDefault) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"AUTH", "bob", "secret"}), Err(errors::kWrongPass));
  EXPECT_EQ(Run(c, {"AUTH", "default", "nope"}), Err(errors::kWrongPass));
  EXPECT_EQ(Run(c, {"AUTH", "default", "secret"}), kOk);
  EXPECT_EQ(Run(c, {"PING"}), Simple("PONG"));
}

TEST_F(ConnectionAuthTest, QuitResetHelloAndAuthAreAllowedBeforeAuth) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"RESET"}), Simple("RESET"));
  EXPECT_FALSE(c.authenticated);
  EXPECT_EQ(Run(c, {"HELLO"}).type, RespValue::kError);
  EXPECT_EQ(Run(c, {"QUIT"}), kOk);
  EXPECT_TRUE(c.close_after_reply);
}

TEST_F(ConnectionAuthTest, HelloWithoutAuthWhenPasswordRequiredGetsHelloNoauth) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"HELLO", "3"});
  EXPECT_EQ(r, Err("NOAUTH HELLO must be called with the client already authenticated, "
                   "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to "
                   "authenticate the client and select the RESP protocol version at the same "
                   "time"));
  EXPECT_EQ(c.proto(), 2);
}

TEST_F(ConnectionAuthTest, HelloAuthAuthenticatesSetsNameAndSwitchesProtocol) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"HELLO", "3", "AUTH", "default", "wrong"}), Err(errors::kWrongPass));
  EXPECT_EQ(c.proto(), 2);
  EXPECT_FALSE(c.authenticated);
  RespValue r = Run(c, {"HELLO", "3", "auth", "default", "secret", "setname", "app"});
  ASSERT_EQ(r.type, RespValue::kMap) << r;
  EXPECT_TRUE(c.authenticated);
  EXPECT_EQ(c.proto(), 3);
  EXPECT_EQ(c.name, "app");
  EXPECT_EQ(Run(c, {"PING"}), Simple("PONG"));
}

TEST_F(ConnectionAuthTest, ResetLogsOutWhenPasswordIsRequired) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"AUTH", "secret"}), kOk);
  EXPECT_EQ(Run(c, {"RESET"}), Simple("RESET"));
  EXPECT_FALSE(c.authenticated);
  EXPECT_EQ(Run(c, {"PING"}), Err(errors::kNoAuth));
}

// --- HELLO -------------------------------------------------------------------------------------

TEST_F(ConnectionCommandsTest, Hello3RepliesWithResp3MapAndSwitchesProtocol) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"HELLO", "3"});
  ASSERT_EQ(r.type, RespValue::kMap) << r;
  ASSERT_EQ(r.elems.size(), 14u) << r;
  std::vector<std::string> keys;
  for (size_t i = 0; i < r.elems.size(); i += 2) keys.push_back(r.elems[i].str);
  EXPECT_EQ(keys, (std::vector<std::string>{"server", "version", "proto", "id", "mode", "role",
                                            "modules"}));
  EXPECT_EQ(*MapGet(r, "server"), Bulk("groupd"));
  EXPECT_EQ(*MapGet(r, "version"), Bulk(GROUPD_VERSION));
  EXPECT_EQ(*MapGet(r, "proto"), Int(3));
  EXPECT_EQ(*MapGet(r, "id"), Int(static_cast<int64_t>(c.id)));
  EXPECT_EQ(*MapGet(r, "mode"), Bulk("standalone"));
  EXPECT_EQ(*MapGet(r, "role"), Bulk("master"));
  EXPECT_EQ(*MapGet(r, "modules"), Arr({}));
  EXPECT_EQ(c.proto(), 3);
}

TEST_F(ConnectionCommandsTest, RepliesAfterHello3UseResp3Types) {
  Client& c = srv_.NewClient();
  Run(c, {"HELLO", "3"});
  EXPECT_EQ(Run(c, {"CLIENT", "GETNAME"}), Null('_'));
  RespValue list = Run(c, {"CLIENT", "LIST"});
  EXPECT_EQ(list.type, RespValue::kVerbatim) << list;
  EXPECT_EQ(list.format, "txt");
  RespValue info = Run(c, {"CLIENT", "INFO"});
  EXPECT_EQ(info.type, RespValue::kVerbatim) << info;
}

TEST_F(ConnectionCommandsTest, HelloWithoutArgumentsKeepsProtocolAndRepliesFlatInResp2) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"HELLO"});
  ASSERT_EQ(r.type, RespValue::kArray) << r;
  EXPECT_EQ(r.elems.size(), 14u);
  EXPECT_EQ(*MapGet(r, "proto"), Int(2));
  EXPECT_EQ(c.proto(), 2);
}

TEST_F(ConnectionCommandsTest, Hello2SwitchesBackToResp2) {
  Client& c = srv_.NewClient();
  Run(c, {"HELLO", "3"});
  RespValue r = Run(c, {"HELLO", "2"});
  EXPECT_EQ(r.type, RespValue::kArray) << r;
  EXPECT_EQ(c.proto(), 2);
  EXPECT_EQ(Run(c, {"CLIENT", "GETNAME"}), Null('$'));
}

TEST_F(ConnectionCommandsTest, HelloWithUnsupportedVersionIsNoproto) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"HELLO", "4"}), Err(errors::kNoProto));
  EXPECT_EQ(Run(c, {"HELLO", "1"}), Err(errors::kNoProto));
  EXPECT_EQ(Run(c, {"HELLO", "-3"}), Err(errors::kNoProto));
  EXPECT_EQ(Run(c, {"HELLO", "abc"}),
            Err("ERR Protocol version is not an integer or out of range"));
  EXPECT_EQ(c.proto(), 2);
}

TEST_F(ConnectionCommandsTest, HelloOptionErrorsNameTheOption) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"HELLO", "3", "FOO"}), Err("ERR Syntax error in HELLO option 'FOO'"));
  EXPECT_EQ(Run(c, {"HELLO", "3", "AUTH", "default"}),
            Err("ERR Syntax error in HELLO option 'AUTH'"));
  EXPECT_EQ(Run(c, {"HELLO", "3", "setname"}), Err("ERR Syntax error in HELLO option 'setname'"));
  EXPECT_EQ(Run(c, {"HELLO", "3", "SETNAME", "bad name"}), Err(errors::kInvalidClientName));
  EXPECT_EQ(c.proto(), 2);
  EXPECT_EQ(c.name, "");
}

TEST_F(ConnectionCommandsTest, HelloSetnameNamesTheConnection) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"HELLO", "2", "SETNAME", "worker-1"});
  EXPECT_EQ(r.type, RespValue::kArray);
  EXPECT_EQ(Run(c, {"CLIENT", "GETNAME"}), Bulk("worker-1"));
}

// --- SELECT READONLY READWRITE QUIT RESET ------------------------------------------------------

TEST_F(ConnectionCommandsTest, SelectAcceptsOnlyDatabaseZero) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"SELECT", "0"}), kOk);
  EXPECT_EQ(Run(c, {"SELECT", "1"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run(c, {"SELECT", "-1"}), Err(errors::kDbIndexOutOfRange));
  EXPECT_EQ(Run(c, {"SELECT", "x"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run(c, {"SELECT", "01"}), Err(errors::kNotInteger));
  EXPECT_EQ(Run(c, {"SELECT", "99999999999999999999"}), Err(errors::kNotInteger));
}

TEST_F(ConnectionCommandsTest, ReadonlyAndReadwriteReplyOk) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"READONLY"}), kOk);
  EXPECT_EQ(Run(c, {"READWRITE"}), kOk);
}

TEST_F(ConnectionCommandsTest, QuitRepliesOkAndClosesAfterTheReply) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"QUIT"}), kOk);
  EXPECT_TRUE(c.close_after_reply);
  EXPECT_FALSE(c.close_asap);
}

TEST_F(ConnectionCommandsTest, QuitIsAllowedInSubscribedMode) {
  Client& c = srv_.NewClient();
  server().pubsub().Subscribe(&c, "ch");
  EXPECT_EQ(Run(c, {"QUIT"}), kOk);
  EXPECT_TRUE(c.close_after_reply);
}

TEST_F(ConnectionCommandsTest, ResetRestoresResp2DropsSubscriptionsAndName) {
  Client& c = srv_.NewClient();
  Client& pub = srv_.NewClient();
  Run(c, {"HELLO", "3", "SETNAME", "n"});
  server().pubsub().Subscribe(&c, "ch");
  server().pubsub().PSubscribe(&c, "p*");
  std::vector<RespValue> frames = srv_.RunMulti(c, {"RESET"});
  // One reply and no unsubscribe frames, in RESP2.
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], Simple("RESET"));
  EXPECT_EQ(c.proto(), 2);
  EXPECT_EQ(c.name, "");
  EXPECT_EQ(c.subscription_count(), 0u);
  EXPECT_EQ(server().pubsub().NumChannels(), 0u);
  EXPECT_EQ(server().pubsub().NumPatterns(), 0u);
  EXPECT_EQ(server().Publish("ch", "x"), 0u);
  EXPECT_TRUE(srv_.Frames(c).empty());
  EXPECT_TRUE(c.authenticated);  // No password configured: the default user needs none.
  EXPECT_EQ(Run(pub, {"PING"}), Simple("PONG"));
}

// --- CLIENT ID SETNAME GETNAME SETINFO ---------------------------------------------------------

TEST_F(ConnectionCommandsTest, ClientIdIsTheConnectionId) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  EXPECT_EQ(Run(a, {"CLIENT", "ID"}), Int(static_cast<int64_t>(a.id)));
  EXPECT_EQ(Run(b, {"CLIENT", "ID"}), Int(static_cast<int64_t>(b.id)));
  EXPECT_NE(a.id, b.id);
}

TEST_F(ConnectionCommandsTest, ClientSetnameAndGetnameRoundTrip) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CLIENT", "GETNAME"}), Null('$'));
  EXPECT_EQ(Run(c, {"CLIENT", "SETNAME", "my-app:1"}), kOk);
  EXPECT_EQ(Run(c, {"CLIENT", "GETNAME"}), Bulk("my-app:1"));
  // An empty name clears it.
  EXPECT_EQ(Run(c, {"CLIENT", "SETNAME", ""}), kOk);
  EXPECT_EQ(Run(c, {"CLIENT", "GETNAME"}), Null('$'));
}

TEST_F(ConnectionCommandsTest, ClientSetnameRejectsSpacesNewlinesAndSpecialCharacters) {
  Client& c = srv_.NewClient();
  Run(c, {"CLIENT", "SETNAME", "good"});
  for (std::string_view bad : {"a b", "a\nb", "a\rb", "tab\there", "\x7f", "caf\xc3\xa9"}) {
    EXPECT_EQ(Run(c, {"CLIENT", "SETNAME", bad}), Err(errors::kInvalidClientName)) << bad;
  }
  EXPECT_EQ(Run(c, {"CLIENT", "GETNAME"}), Bulk("good"));
}

TEST_F(ConnectionCommandsTest, ClientSetinfoStoresLibraryNameAndVersion) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CLIENT", "SETINFO", "LIB-NAME", "redis-py"}), kOk);
  EXPECT_EQ(Run(c, {"CLIENT", "SETINFO", "lib-ver", "5.0.1"}), kOk);
  EXPECT_EQ(c.lib_name, "redis-py");
  EXPECT_EQ(c.lib_ver, "5.0.1");
  RespValue info = Run(c, {"CLIENT", "INFO"});
  EXPECT_NE(info.str.find(" lib-name=redis-py lib-ver=5.0.1 "), std::string::npos) << info;
}

TEST_F(ConnectionCommandsTest, ClientSetinfoRejectsUnknownAttributesAndBadValues) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CLIENT", "SETINFO", "foo", "x"}), Err("ERR Unrecognized option 'foo'"));
  EXPECT_EQ(Run(c, {"CLIENT", "SETINFO", "lib-name", "a b"}),
            Err("ERR lib-name cannot contain spaces, newlines or special characters."));
  EXPECT_EQ(Run(c, {"CLIENT", "SETINFO", "LIB-NAME"}),
            Err("ERR wrong number of arguments for 'client|setinfo' command"));
  EXPECT_EQ(c.lib_name, "");
}

// --- CLIENT LIST INFO --------------------------------------------------------------------------

TEST_F(ConnectionCommandsTest, ClientListHasOneRedisFormatLinePerClient) {
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  a.addr = "127.0.0.1:50000";
  a.laddr = "127.0.0.1:6380";
  a.fd = 9;
  Run(a, {"CLIENT", "SETNAME", "alpha"});
  RespValue r = Run(a, {"CLIENT", "LIST"});
  ASSERT_EQ(r.type, RespValue::kBulk) << r;
  EXPECT_EQ(CountLines(r.str), 2u);
  ASSERT_FALSE(r.str.empty());
  EXPECT_EQ(r.str.back(), '\n');
  std::string line = LineOf(r.str, a.id);
  std::string expected_start = "id=" + std::to_string(a.id) +
                               " addr=127.0.0.1:50000 laddr=127.0.0.1:6380 fd=9 name=alpha age=";
  EXPECT_EQ(line.rfind(expected_start, 0), 0u) << line;
  for (std::string_view field : {" flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=",
                                 " qbuf-free=0 argv-mem=0 multi-mem=0 ", " obl=0 oll=0 omem=",
                                 " events=r cmd=client|list user=default redir=-1 resp=2 "
                                 "lib-name= lib-ver= pid="}) {
    EXPECT_NE(line.find(field), std::string::npos) << field << " in " << line;
  }
  EXPECT_TRUE(line.ends_with(" pid=" + a.owner.pid)) << line;
  EXPECT_NE(LineOf(r.str, b.id), "");
  EXPECT_NE(LineOf(r.str, b.id).find(" cmd=NULL "), std::string::npos);
}

TEST_F(ConnectionCommandsTest, ClientListFiltersByTypeAndId) {
  Client& a = srv_.NewClient();
  Client& sub = srv_.NewClient();
  Client& c = srv_.NewClient();
  server().pubsub().Subscribe(&sub, "ch");
  RespValue pubsub = Run(a, {"CLIENT", "LIST", "TYPE", "pubsub"});
  EXPECT_EQ(CountLines(pubsub.str), 1u);
  EXPECT_NE(LineOf(pubsub.str, sub.id).find(" flags=P "), std::string::npos) << pubsub;
  EXPECT_NE(LineOf(pubsub.str, sub.id).find(" sub=1 "), std::string::npos) << pubsub;
  RespValue normal = Run(a, {"CLIENT", "LIST", "type", "NORMAL"});
  EXPECT_EQ(CountLines(normal.str), 2u);
  EXPECT_EQ(LineOf(normal.str, sub.id), "");
  EXPECT_EQ(Run(a, {"CLIENT", "LIST", "TYPE", "master"}), Bulk(""));
  RespValue ids =
      Run(a, {"CLIENT", "LIST", "ID", std::to_string(c.id), "999999", std::to_string(a.id)});
  EXPECT_EQ(CountLines(ids.str), 2u);
  EXPECT_NE(LineOf(ids.str, c.id), "");
  EXPECT_NE(LineOf(ids.str, a.id), "");
}

TEST_F(ConnectionCommandsTest, ClientListRejectsBadFilters) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CLIENT", "LIST", "TYPE", "foo"}), Err("ERR Unknown client type 'foo'"));
  EXPECT_EQ(Run(c, {"CLIENT", "LIST", "ID", "abc"}), Err("ERR Invalid client ID"));
  EXPECT_EQ(Run(c, {"CLIENT", "LIST", "foo"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(c, {"CLIENT", "LIST", "TYPE", "normal", "x"}), Err(errors::kSyntax));
}

TEST_F(ConnectionCommandsTest, ClientInfoDescribesOnlyTheCaller) {
  Client& a = srv_.NewClient();
  srv_.NewClient();
  Run(a, {"HELLO", "3"});
  RespValue r = Run(a, {"CLIENT", "INFO"});
  ASSERT_EQ(r.type, RespValue::kVerbatim);
  EXPECT_EQ(CountLines(r.str), 1u);
  EXPECT_EQ(r.str.rfind("id=" + std::to_string(a.id) + " ", 0), 0u) << r;
  EXPECT_NE(r.str.find(" cmd=client|info "), std::string::npos) << r;
  EXPECT_NE(r.str.find(" resp=3 "), std::string::npos) << r;
}

// --- CLIENT KILL -------------------------------------------------------------------------------

TEST_F(ConnectionCommandsTest, ClientKillByIdClosesTheVictimWithReasonKilled) {
  Client& killer = srv_.NewClient();
  Client& victim = srv_.NewClient();
  EXPECT_EQ(Run(killer, {"CLIENT", "KILL", "ID", std::to_string(victim.id)}), Int(1));
  EXPECT_TRUE(victim.close_asap);
  EXPECT_EQ(victim.close_reason, Reason::kKilled);
  EXPECT_FALSE(killer.close_asap);
  // Killing it again finds nobody: it is already on its way out.
  EXPECT_EQ(Run(killer, {"CLIENT", "KILL", "ID", std::to_string(victim.id)}), Int(0));
}

TEST_F(ConnectionCommandsTest, KilledClientsRegistrationIsRemovedAndMonitorSeesKilled) {
  Client& killer = srv_.NewClient();
  Client& victim = srv_.NewClient();
  Client& monitor = srv_.NewClient();
  ASSERT_EQ(Run(victim, {"GREG", "svc/a", "META", "f", "v"}), kOk);
  std::vector<RespValue> sub = srv_.RunMulti(monitor, {"SUBSCRIBE", "__gevent__:svc/"});
  ASSERT_EQ(sub.size(), 1u);
  EXPECT_EQ(Run(killer, {"CLIENT", "KILL", "ID", std::to_string(victim.id)}), Int(1));
  // The entry is gone at once, not when the network layer gets round to closing the socket.
  EXPECT_EQ(Run(killer, {"GLOOKUP", "svc/a"}), Null('*'));
  std::vector<RespValue> frames = srv_.Frames(monitor);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames[0].elems.size(), 3u) << frames[0];
  EXPECT_EQ(frames[0].elems[0], Bulk("message"));
  auto event = testjson::Parse(frames[0].elems[2].str);
  ASSERT_TRUE(event.has_value()) << frames[0];
  EXPECT_EQ(event->Get("type")->str, "unregistered");
  EXPECT_EQ(event->Get("key")->str, "svc/a");
  EXPECT_EQ(event->Get("pid")->str, victim.owner.pid);
  EXPECT_EQ(event->Get("reason")->str, "killed");
}

TEST_F(ConnectionCommandsTest, ClientKillSkipsTheCallerUnlessSkipmeNo) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "ID", std::to_string(c.id)}), Int(0));
  EXPECT_FALSE(c.close_after_reply);
  ASSERT_EQ(Run(c, {"GREG", "mine"}), kOk);
  // Killing oneself still delivers the reply: the connection closes after it.
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "ID", std::to_string(c.id), "SKIPME", "no"}), Int(1));
  EXPECT_TRUE(c.close_after_reply);
  EXPECT_FALSE(c.close_asap);
  EXPECT_EQ(c.close_reason, Reason::kKilled);
  Client& other = srv_.NewClient();
  EXPECT_EQ(Run(other, {"GLOOKUP", "mine"}), Null('*'));
}

TEST_F(ConnectionCommandsTest, ClientKillFiltersByAddrLaddrUserAndType) {
  Client& c = srv_.NewClient();
  Client& a = srv_.NewClient();
  Client& b = srv_.NewClient();
  a.addr = "10.0.0.1:1000";
  a.laddr = "10.0.0.9:6380";
  b.addr = "10.0.0.2:2000";
  b.laddr = "10.0.0.9:6381";
  server().pubsub().Subscribe(&b, "ch");
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "ADDR", "10.0.0.3:1"}), Int(0));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "ADDR", "10.0.0.1:1000"}), Int(1));
  EXPECT_TRUE(a.close_asap);
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "LADDR", "10.0.0.9:6380"}), Int(0));  // a is gone.
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "TYPE", "normal", "USER", "default"}), Int(0));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "TYPE", "pubsub", "LADDR", "10.0.0.9:6381"}), Int(1));
  EXPECT_TRUE(b.close_asap);
  EXPECT_FALSE(c.close_asap);
}

TEST_F(ConnectionCommandsTest, ClientKillOldFormTakesAnAddress) {
  Client& c = srv_.NewClient();
  Client& v = srv_.NewClient();
  v.addr = "127.0.0.1:40000";
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "1.2.3.4:5"}), Err(errors::kNoSuchClient));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "127.0.0.1:40000"}), kOk);
  EXPECT_TRUE(v.close_asap);
  EXPECT_EQ(v.close_reason, Reason::kKilled);
}

TEST_F(ConnectionCommandsTest, ClientKillRejectsBadFilters) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "ID", "abc"}), Err("ERR client-id should be greater than 0"));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "ID", "0"}), Err("ERR client-id should be greater than 0"));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "foo", "bar"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "ID", "1", "SKIPME"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "SKIPME", "maybe"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "TYPE", "foo"}), Err("ERR Unknown client type 'foo'"));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "USER", "nobody"}), Err("ERR No such user 'nobody'"));
  EXPECT_EQ(Run(c, {"CLIENT", "KILL"}),
            Err("ERR wrong number of arguments for 'client|kill' command"));
}

// --- CLIENT NO-EVICT NO-TOUCH REPLY HELP -------------------------------------------------------

TEST_F(ConnectionCommandsTest, ClientNoEvictAndNoTouchAcceptOnOff) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CLIENT", "NO-EVICT", "on"}), kOk);
  EXPECT_EQ(Run(c, {"CLIENT", "NO-EVICT", "OFF"}), kOk);
  EXPECT_EQ(Run(c, {"CLIENT", "NO-EVICT", "maybe"}), Err(errors::kSyntax));
  EXPECT_EQ(Run(c, {"CLIENT", "NO-TOUCH", "ON"}), kOk);
  EXPECT_EQ(Run(c, {"CLIENT", "NO-TOUCH", "off"}), kOk);
  EXPECT_EQ(Run(c, {"CLIENT", "NO-TOUCH", "x"}), Err(errors::kSyntax));
}

TEST_F(ConnectionCommandsTest, ClientReplyOffSilencesEverythingUntilOn) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"CLIENT", "REPLY", "ON"}), kOk);
  EXPECT_TRUE(srv_.RunMulti(c, {"CLIENT", "REPLY", "OFF"}).empty());
  EXPECT_TRUE(srv_.RunMulti(c, {"PING"}).empty());
  EXPECT_TRUE(srv_.RunMulti(c, {"NOSUCHCOMMAND"}).empty());
  EXPECT_TRUE(srv_.RunMulti(c, {"GREG", "k"}).empty());
  EXPECT_EQ(Run(c, {"CLIENT", "REPLY", "ON"}), kOk);
  EXPECT_EQ(Run(c, {"GLOOKUP", "k"}).elems.size(), 2u) << "the silenced GREG still ran";
  EXPECT_EQ(Run(c, {"CLIENT", "REPLY", "maybe"}), Err(errors::kSyntax));
}

TEST_F(ConnectionCommandsTest, ClientReplySkipSilencesOnlyTheNextCommand) {
  Client& c = srv_.NewClient();
  EXPECT_TRUE(srv_.RunMulti(c, {"CLIENT", "REPLY", "SKIP"}).empty());
  EXPECT_TRUE(srv_.RunMulti(c, {"PING"}).empty());
  EXPECT_EQ(Run(c, {"PING"}).str, "PONG");
}

TEST_F(ConnectionCommandsTest, ClientHelpListsSubcommandsAsStatusLines) {
  Client& c = srv_.NewClient();
  RespValue r = Run(c, {"client", "help"});
  ASSERT_EQ(r.type, RespValue::kArray);
  ASSERT_GT(r.elems.size(), 10u);
  EXPECT_EQ(r.elems[0], Simple("CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
  EXPECT_EQ(r.elems[r.elems.size() - 2], Simple("HELP"));
  for (const auto& e : r.elems) EXPECT_EQ(e.type, RespValue::kSimple) << e;
}

}  // namespace
}  // namespace groupd
