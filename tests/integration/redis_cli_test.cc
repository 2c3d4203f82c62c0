// redis-cli 7 against groupd, in RESP2 (-2) and RESP3 (-3): one-shot commands and sessions fed
// on stdin, checking the text redis-cli prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>
#include <string>

#include "tests/integration/groupd_process.h"

namespace groupd::testing {
namespace {

constexpr const char* kRedisCli = "/usr/bin/redis-cli";

class RedisCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kRedisCli, X_OK) != 0) GTEST_SKIP() << kRedisCli << " is not installed";
    ASSERT_EQ(server_.Start(), "");
  }

  // Runs redis-cli with args (already shell-quoted) and optional stdin text; returns what it
  // printed on stdout and stderr.
  std::string Cli(const std::string& args, const std::string& stdin_text = "") {
    std::string cmd;
    if (!stdin_text.empty()) cmd = "printf '" + stdin_text + "' | ";
    cmd += std::string(kRedisCli) + " -p " + std::to_string(server_.port()) + " " + args + " 2>&1";
    int status = 0;
    std::string out = RunShell(cmd, &status);
    EXPECT_EQ(status, 0) << cmd << "\n" << out;
    return out;
  }

  GroupdProcess server_;
};

TEST_F(RedisCliTest, OneShotCommandsInResp2AndResp3) {
  for (const char* proto : {"-2", "-3"}) {
    SCOPED_TRACE(proto);
    const std::string p = proto;
    EXPECT_EQ(Cli(p + " GREG k META a b"), "OK\n");
    // The registration lived as long as redis-cli's connection.
    EXPECT_EQ(Cli(p + " --no-raw GLOOKUP k"), "(nil)\n");
    EXPECT_EQ(Cli(p + " GLOOKUP k"), "\n") << "raw mode prints nil as an empty line";
    const std::string pid = Cli(p + " GPID");
    EXPECT_TRUE(std::regex_match(pid, std::regex("[0-9]+\\.[0-9a-z]+@.+:[0-9]+\n"))) << pid;
    EXPECT_EQ(Cli(p + " PING"), "PONG\n");
    EXPECT_EQ(Cli(p + " --no-raw GREGCOUNT"), "(integer) 0\n");
    EXPECT_EQ(Cli(p + " --no-raw GLEAVE nope"),
              "(error) NOTINGROUP not a member of group 'nope'\n");
  }
}

// The same session in both protocols; only the meta's shape differs.
constexpr const char* kSession =
    "GPID\\nGJOIN g META x y\\nGREG svc META a 1 b 2\\nGMEMBERS g\\nGMEMBERS g WITHKEYS\\n"
    "GLOOKUP svc\\nGLOOKUP nobody\\nGCOUNT g\\nGLEAVE g\\nGMEMBERS g\\nGLOCALENTRIES\\n";

// The pid redis-cli printed for the session's GPID (its first line, quoted).
std::string FirstQuotedLine(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("^\"([^\"]+)\"\n"))) return "<no pid line>";
  return m[1];
}

// Joins lines with a newline after each, as redis-cli prints them.
std::string Lines(std::initializer_list<std::string> lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

TEST_F(RedisCliTest, Resp2SessionOnStdinPrintsMetaAsFlatNumberedLists) {
  const std::string out = Cli("-2 --no-raw", kSession);
  const std::string pid = "\"" + FirstQuotedLine(out) + "\"";
  EXPECT_EQ(out, Lines({
                     pid,
                     "OK",
                     "OK",
                     "1) 1) " + pid,
                     "   2) 1) \"x\"",
                     "      2) \"y\"",
                     "1) 1) \"g\"",
                     "   2) " + pid,
                     "   3) 1) \"x\"",
                     "      2) \"y\"",
                     "1) " + pid,
                     "2) 1) \"a\"",
                     "   2) \"1\"",
                     "   3) \"b\"",
                     "   4) \"2\"",
                     "(nil)",
                     "(integer) 1",
                     "OK",
                     "(empty array)",
                     "1) 1) \"registry\"",
                     "   2) (nil)",
                     "   3) \"svc\"",
                     "   4) " + pid,
                     "   5) 1) \"a\"",
                     "      2) \"1\"",
                     "      3) \"b\"",
                     "      4) \"2\"",
                 }));
}

TEST_F(RedisCliTest, Resp3SessionOnStdinPrintsMetaAsMaps) {
  const std::string out = Cli("-3 --no-raw", kSession);
  const std::string pid = "\"" + FirstQuotedLine(out) + "\"";
  EXPECT_EQ(out, Lines({
                     pid,
                     "OK",
                     "OK",
                     "1) 1) " + pid,
                     "   2) 1# \"x\" => \"y\"",
                     "1) 1) \"g\"",
                     "   2) " + pid,
                     "   3) 1# \"x\" => \"y\"",
                     "1) " + pid,
                     "2) 1# \"a\" => \"1\"",
                     "   2# \"b\" => \"2\"",
                     "(nil)",
                     "(integer) 1",
                     "OK",
                     "(empty array)",
                     "1) 1) \"registry\"",
                     "   2) (nil)",
                     "   3) \"svc\"",
                     "   4) " + pid,
                     "   5) 1# \"a\" => \"1\"",
                     "      2# \"b\" => \"2\"",
                 }));
}

TEST_F(RedisCliTest, RawModeSessionPrintsOneValuePerLine) {
  for (const char* proto : {"-2", "-3"}) {
    SCOPED_TRACE(proto);
    std::string out = Cli(proto, "GPID\\nGJOIN g META x y\\nGMEMBERS g\\nGCOUNT g\\n");
    const std::string pid = out.substr(0, out.find('\n'));
    const std::string meta = std::string(proto) == "-2" ? "x\ny\n" : "x y\n";
    EXPECT_EQ(out, pid + "\nOK\n" + pid + "\n" + meta + "1\n");
  }
}

TEST_F(RedisCliTest, SessionEntriesAreVisibleToOthersUntilRedisCliExits) {
  RawClient mon;
  ASSERT_TRUE(mon.Connect(server_.port()));
  ASSERT_EQ(mon.Command({"GMONITOR", "cli/"}).ToString(),
            "[\"subscribe\", \"__gevent__:cli/\", (integer) 1]");
  Cli("-3", "GREG cli/session META tool redis-cli\\nGLOOKUP cli/session\\n");
  std::vector<std::string> types, reasons;
  for (int i = 0; i < 2; i++) {
    auto frame = mon.ReadReply();
    ASSERT_TRUE(frame) << "event " << i + 1 << " missing";
    ASSERT_EQ(frame->elems.size(), 3u) << *frame;
    std::smatch m;
    const std::string json = frame->elems[2].str;
    ASSERT_TRUE(std::regex_search(json, m, std::regex("\"type\":\"([a-z]+)\""))) << json;
    types.push_back(m[1]);
    ASSERT_TRUE(std::regex_search(json, m, std::regex("\"reason\":(null|\"[a-z_]+\")"))) << json;
    reasons.push_back(m[1]);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"registered", "unregistered"}));
  EXPECT_EQ(reasons, (std::vector<std::string>{"null", "\"disconnect\""}));
}

}  // namespace
}  // namespace groupd::testing
