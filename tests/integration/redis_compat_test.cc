// Redis behaviours that clients rely on, checked byte for byte against what Redis 7 sends:
// pipelines around QUIT, CLIENT REPLY, RESET, inline quoting, AUTH and the limits for
// unauthenticated clients, maxclients, the query buffer limit, SHUTDOWN and SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "tests/integration/groupd_process.h"

namespace groupd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class RedisCompatTest : public ::testing::Test {
 protected:
  // Tests that need options start their own server instead.
  void StartServer(std::vector<std::string> args = {}) {
    server_ = std::make_unique<GroupdProcess>(std::move(args));
    ASSERT_EQ(server_->Start(), "");
  }
  void Open(RawClient& c) {
    std::string error;
    ASSERT_TRUE(c.Connect(server_->port(), &error)) << error;
  }
  // Sends bytes and returns everything the server wrote until it closed the connection or went
  // quiet for `quiet`.
  std::string Exchange(RawClient& c, const std::string& bytes,
                       std::chrono::milliseconds quiet = 200ms) {
    EXPECT_TRUE(c.Send(bytes));
    std::string out;
    while (auto reply = c.ReadReplyBytes(quiet)) out += *reply;
    return out;
  }

  std::unique_ptr<GroupdProcess> server_;
};

TEST_F(RedisCompatTest, QuitInAPipelineAnswersThenIgnoresLaterCommands) {
  StartServer();
  RawClient c, checker;
  Open(c);
  Open(checker);
  ASSERT_TRUE(c.Send("GREG a\r\nQUIT\r\nGREG b\r\n"));
  std::string received;
  EXPECT_TRUE(c.ReadUntilClosed(&received));
  EXPECT_EQ(received, "+OK\r\n+OK\r\n");
  EXPECT_TRUE(WaitFor([&] { return checker.Command({"GLOOKUP", "a"}).IsNull(); }));
  EXPECT_TRUE(checker.Command({"GLOOKUP", "b"}).IsNull()) << "GREG after QUIT must not run";
}

// As in Redis: OFF silences every reply until ON (which answers +OK); SKIP silences itself and
// the next command.
TEST_F(RedisCompatTest, ClientReplyOffAndSkipSilenceRepliesAsInRedis) {
  StartServer();
  RawClient c;
  Open(c);
  EXPECT_EQ(Exchange(c,
                     "CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n"
                     "CLIENT REPLY SKIP\r\nPING\r\nPING\r\n"),
            "+OK\r\n+PONG\r\n+PONG\r\n");
}

TEST_F(RedisCompatTest, ResetLeavesSubscribedModeRestoresResp2AndClearsName) {
  StartServer();
  RawClient c;
  Open(c);
  ASSERT_EQ(c.Command({"CLIENT", "SETNAME", "n"}).ToString(), "+OK");
  ASSERT_EQ(c.Command({"HELLO", "3"}).type, RespValue::kMap);
  ASSERT_EQ(c.Command({"SUBSCRIBE", "x"}).ToString(), ">[\"subscribe\", \"x\", (integer) 1]");
  EXPECT_EQ(Exchange(c, "RESET\r\nCLIENT GETNAME\r\nPING\r\nPUBSUB NUMSUB x\r\n"),
            "+RESET\r\n$-1\r\n+PONG\r\n*2\r\n$1\r\nx\r\n:0\r\n");
}

TEST_F(RedisCompatTest, InlineCommandsFollowRedisQuotingRules) {
  StartServer();
  RawClient c, checker;
  Open(c);
  Open(checker);
  EXPECT_EQ(
      Exchange(c, "ECHO \"a b\" 'c d'\r\nECHO \"a b\"\r\nECHO \"\\x41\\n\"\r\nECHO 'it''s'\r\n"),
      "-ERR wrong number of arguments for 'echo' command\r\n$3\r\na b\r\n$2\r\nA\n\r\n"
      "-ERR Protocol error: unbalanced quotes in request\r\n");
  Open(c);
  EXPECT_EQ(Exchange(c, "GREG \"key with space\" META role 'admin user'\r\n"), "+OK\r\n");
  EXPECT_EQ(checker.Command({"GLOOKUP", "key with space"}).ToString(),
            "[\"" + c.Command({"GPID"}).str + "\", [\"role\", \"admin user\"]]");
  // An empty inline line is skipped, as in Redis.
  EXPECT_EQ(Exchange(c, "\r\n\nPING\r\n"), "+PONG\r\n");
}

TEST_F(RedisCompatTest, SubscribedResp2ConnectionNamesTheSubcommandWhenRefusing) {
  StartServer();
  RawClient c;
  Open(c);
  EXPECT_EQ(Exchange(c, "SUBSCRIBE a b\r\nPUBSUB NUMSUB a c\r\nPING\r\nPING hi\r\n"),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
            "-ERR Can't execute 'pubsub|numsub': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
            "QUIT / RESET are allowed in this context\r\n"
            "*2\r\n$4\r\npong\r\n$0\r\n\r\n*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
}

TEST_F(RedisCompatTest, PubsubIntrospectionMatchesRedisInBothProtocols) {
  StartServer();
  RawClient sub, r2, r3;
  Open(sub);
  Open(r2);
  Open(r3);
  ASSERT_EQ(r3.Command({"HELLO", "3"}).type, RespValue::kMap);
  ASSERT_TRUE(sub.SendCommand({"SUBSCRIBE", "a", "b"}));
  ASSERT_TRUE(sub.ReadReply());
  ASSERT_TRUE(sub.ReadReply());
  ASSERT_TRUE(sub.SendCommand({"PSUBSCRIBE", "x*"}));
  ASSERT_TRUE(sub.ReadReply());
  EXPECT_EQ(r2.Command({"PUBSUB", "NUMSUB", "a", "c"}).ToString(),
            "[\"a\", (integer) 1, \"c\", (integer) 0]");
  // Redis 7 answers NUMSUB with a flat array in RESP3 too; client libraries parse it as pairs.
  EXPECT_EQ(r3.Command({"PUBSUB", "NUMSUB", "a", "c"}).ToString(),
            "[\"a\", (integer) 1, \"c\", (integer) 0]");
  EXPECT_EQ(r2.Command({"PUBSUB", "NUMPAT"}).ToString(), "(integer) 1");
  RespValue channels = r2.Command({"PUBSUB", "CHANNELS"});
  std::vector<std::string> names;
  for (const auto& n : channels.elems) names.push_back(n.str);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("a", "b"));
  EXPECT_EQ(r2.Command({"PUBSUB", "CHANNELS", "b*"}).ToString(), "[\"b\"]");
}

TEST_F(RedisCompatTest, MaxclientsRefusesTheNextConnectionWithRedisError) {
  StartServer({"--maxclients", "2"});
  RawClient a, b, c;
  Open(a);
  Open(b);
  ASSERT_EQ(a.Command({"PING"}).ToString(), "+PONG");
  ASSERT_EQ(b.Command({"PING"}).ToString(), "+PONG");
  Open(c);
  std::string received;
  EXPECT_TRUE(c.ReadUntilClosed(&received));
  EXPECT_EQ(received, "-ERR max number of clients reached\r\n");
  EXPECT_EQ(a.Command({"PING"}).ToString(), "+PONG");
  b.Close();
  EXPECT_TRUE(WaitFor([&] {
    RawClient probe;
    return probe.Connect(server_->port()) && probe.Command({"PING"}).IsString("PONG");
  })) << "a freed slot is usable again";
  RespValue info = a.Command({"INFO", "stats"});
  EXPECT_GE(std::stoll(InfoField(info.str, "rejected_connections").value_or("0")), 1) << info.str;
}

TEST_F(RedisCompatTest, RequirepassGatesCommandsAndAppliesUnauthenticatedLimits) {
  StartServer({"--requirepass", "secret"});
  RawClient c;
  Open(c);
  EXPECT_EQ(Exchange(c, "PING\r\nGREG k\r\nAUTH wrong\r\nHELLO 3\r\n"),
            "-NOAUTH Authentication required.\r\n-NOAUTH Authentication required.\r\n"
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
            // Redis 7.2's wording (7.0 said "HELLO AUTH"); groupd reports redis_version 7.2.0.
            "-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
            "select the RESP protocol version at the same time\r\n");
  EXPECT_EQ(Exchange(c, "AUTH secret\r\nPING\r\n"), "+OK\r\n+PONG\r\n");

  // Before AUTH: at most 10 arguments and 16384 bytes per bulk, as in Redis.
  RawClient many;
  Open(many);
  std::string eleven = "*11\r\n";
  for (int i = 0; i < 11; i++) eleven += "$1\r\na\r\n";
  ASSERT_TRUE(many.Send(eleven));
  std::string received;
  EXPECT_TRUE(many.ReadUntilClosed(&received));
  EXPECT_EQ(received, "-ERR Protocol error: unauthenticated multibulk length\r\n");
  RawClient big;
  Open(big);
  ASSERT_TRUE(big.Send("*1\r\n$16385\r\n"));
  EXPECT_TRUE(big.ReadUntilClosed(&received));
  EXPECT_EQ(received, "-ERR Protocol error: unauthenticated bulk length\r\n");

  // HELLO with AUTH and SETNAME authenticates, switches protocol and names in one step.
  RawClient hello;
  Open(hello);
  RespValue map = hello.Command({"HELLO", "3", "AUTH", "default", "secret", "SETNAME", "x"});
  EXPECT_EQ(map.type, RespValue::kMap) << map;
  EXPECT_EQ(hello.Command({"CLIENT", "GETNAME"}).ToString(), "\"x\"");
  EXPECT_EQ(hello.Command({"GREG", "k"}).ToString(), "+OK");
  // After AUTH the limits are the normal ones.
  std::vector<std::string> args = {"GJOIN", "g", "META"};
  for (int i = 0; i < 10; i++) args.push_back("m" + std::to_string(i));
  EXPECT_EQ(hello.Command(args).ToString(), "+OK");
  const std::string large(20000, 'e');
  EXPECT_EQ(hello.Command({"ECHO", large}).str, large);
}

// A command that logs the client in or out changes the limits the next one is parsed under, even
// within one read: in one write, the command after AUTH gets the normal limits, and the command
// after RESET the unauthenticated ones. The server parses the command after a keyed one (GREG)
// ahead of running it, so each write starts with one: a look-ahead that went on past AUTH or
// RESET would get this wrong.
TEST_F(RedisCompatTest, TheCommandAfterAuthOrResetInOnePipelineGetsTheNewLimits) {
  StartServer({"--requirepass", "secret"});
  std::string join_13 = "*13\r\n$5\r\nGJOIN\r\n$1\r\ng\r\n$4\r\nMETA\r\n";
  for (int i = 0; i < 10; i++) join_13 += "$2\r\nm" + std::to_string(i) + "\r\n";
  const std::string greg = "*2\r\n$4\r\nGREG\r\n$1\r\nk\r\n";
  RawClient c;
  Open(c);
  EXPECT_EQ(
      Exchange(c, greg + "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n" + join_13 + greg + "PING\r\n"),
      "-NOAUTH Authentication required.\r\n+OK\r\n+OK\r\n+OK\r\n+PONG\r\n");
  std::string received;
  ASSERT_TRUE(c.Send(greg + "*1\r\n$5\r\nRESET\r\n" + join_13));
  EXPECT_TRUE(c.ReadUntilClosed(&received));
  EXPECT_EQ(received, "+OK\r\n+RESET\r\n-ERR Protocol error: unauthenticated multibulk length\r\n");
}

TEST_F(RedisCompatTest, QueryBufferLimitClosesTheConnectionWithoutReply) {
  StartServer();
  RawClient admin, c;
  Open(admin);
  ASSERT_EQ(admin.Command({"CONFIG", "SET", "client-query-buffer-limit", "1mb"}).ToString(), "+OK");
  Open(c);
  ASSERT_EQ(admin.Command({"GREG", "still-here"}).ToString(), "+OK");
  // One argument declared at 100 MB, of which 2 MB arrive: the buffer passes the 1 MB limit.
  c.Send("*1\r\n$104857600\r\n");
  c.Send(std::string(2 * 1024 * 1024, 'q'));
  std::string received;
  EXPECT_TRUE(c.ReadUntilClosed(&received, 10s));
  EXPECT_EQ(received, "");
  RespValue info = admin.Command({"INFO", "stats"});
  EXPECT_EQ(InfoField(info.str, "client_query_buffer_limit_disconnections"), "1") << info.str;
  EXPECT_EQ(admin.Command({"GLOOKUP", "still-here"}).elems.size(), 2u);
}

TEST_F(RedisCompatTest, ShutdownStopsTheServerAndClosesEveryClient) {
  StartServer();
  RawClient admin, other;
  Open(admin);
  Open(other);
  ASSERT_EQ(other.Command({"GREG", "k"}).ToString(), "+OK");
  ASSERT_TRUE(admin.SendCommand({"SHUTDOWN"}));
  EXPECT_TRUE(admin.ReadUntilClosed(nullptr));
  EXPECT_TRUE(other.ReadUntilClosed(nullptr));
  EXPECT_TRUE(WaitFor([&] { return !server_->IsAlive(); }));
  ASSERT_TRUE(server_->wait_status());
  EXPECT_TRUE(WIFEXITED(*server_->wait_status()));
  EXPECT_EQ(WEXITSTATUS(*server_->wait_status()), 0);
}

TEST_F(RedisCompatTest, SigtermExitsCleanlyWithClientsConnected) {
  StartServer();
  RawClient a, b;
  Open(a);
  Open(b);
  ASSERT_EQ(a.Command({"GREG", "k"}).ToString(), "+OK");
  ASSERT_EQ(b.Command({"GMONITOR", "*"}).elems.size(), 3u);
  server_->Stop();
  ASSERT_TRUE(server_->wait_status());
  EXPECT_TRUE(WIFEXITED(*server_->wait_status())) << "killed by a signal instead of exiting";
  EXPECT_EQ(WEXITSTATUS(*server_->wait_status()), 0);
  EXPECT_TRUE(a.ReadUntilClosed(nullptr));
}

}  // namespace
}  // namespace groupd::testing
