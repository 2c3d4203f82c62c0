#include "server/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace groupd {
namespace {

using Words = std::vector<std::string>;

// A config file in the test's temporary directory, removed when the object goes away.
class TempConfigFile {
 public:
  explicit TempConfigFile(const std::string& contents) {
    static int counter = 0;
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("groupd_config_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) +
             ".conf");
    std::ofstream(path_) << contents;
  }
  ~TempConfigFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// argv for ParseCommandLine from string literals (it only reads them).
class Argv {
 public:
  Argv(std::initializer_list<std::string> args) : storage_(args) {
    for (auto& s : storage_) ptrs_.push_back(s.data());
  }
  int argc() const { return static_cast<int>(ptrs_.size()); }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> ptrs_;
};

// --- ParseMemory ----------------------------------------------------------------------------

TEST(ParseMemoryTest, PlainNumbersAreBytes) {
  EXPECT_EQ(ParseMemory("0"), 0);
  EXPECT_EQ(ParseMemory("100"), 100);
  EXPECT_EQ(ParseMemory("100b"), 100);
  EXPECT_EQ(ParseMemory("-1"), -1);
  EXPECT_EQ(ParseMemory("9223372036854775807"), INT64_MAX);
}

TEST(ParseMemoryTest, UnitsFollowRedisConfDecimalAndBinaryMultipliers) {
  EXPECT_EQ(ParseMemory("1k"), 1000);
  EXPECT_EQ(ParseMemory("1kb"), 1024);
  EXPECT_EQ(ParseMemory("2m"), 2000000);
  EXPECT_EQ(ParseMemory("2mb"), 2 * 1024 * 1024);
  EXPECT_EQ(ParseMemory("3g"), 3000000000LL);
  EXPECT_EQ(ParseMemory("3gb"), 3LL * 1024 * 1024 * 1024);
}

TEST(ParseMemoryTest, UnitsAreCaseInsensitive) {
  EXPECT_EQ(ParseMemory("1KB"), 1024);
  EXPECT_EQ(ParseMemory("1Mb"), 1024 * 1024);
  EXPECT_EQ(ParseMemory("1G"), 1000000000);
}

TEST(ParseMemoryTest, RejectsMalformedValues) {
  for (const char* bad : {"", "kb", "-", "1.5mb", "1tb", "1 kb", " 1", "1kbb", "0x10", "+1",
                          "99999999999999999999"}) {
    EXPECT_FALSE(ParseMemory(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(ParseMemoryTest, RejectsValuesThatOverflowAfterTheUnit) {
  EXPECT_FALSE(ParseMemory("9223372036854775807kb").has_value());
  EXPECT_FALSE(ParseMemory("9000000000gb").has_value());
  EXPECT_EQ(ParseMemory("8589934591gb"), 8589934591LL * 1024 * 1024 * 1024);
}

// --- SplitConfigLine ------------------------------------------------------------------------

TEST(SplitConfigLineTest, SplitsOnAnyWhitespace) {
  EXPECT_EQ(SplitConfigLine("bind 127.0.0.1"), (Words{"bind", "127.0.0.1"}));
  EXPECT_EQ(SplitConfigLine("  a\t b  \r"), (Words{"a", "b"}));
  EXPECT_EQ(SplitConfigLine(""), Words{});
  EXPECT_EQ(SplitConfigLine("   "), Words{});
}

TEST(SplitConfigLineTest, QuotesKeepSpacesInOneWord) {
  EXPECT_EQ(SplitConfigLine(R"(requirepass "a b")"), (Words{"requirepass", "a b"}));
  EXPECT_EQ(SplitConfigLine("requirepass 'a b'"), (Words{"requirepass", "a b"}));
  EXPECT_EQ(SplitConfigLine(R"(x "" '')"), (Words{"x", "", ""}));
}

TEST(SplitConfigLineTest, DoubleQuotesUnderstandBackslashEscapes) {
  EXPECT_EQ(SplitConfigLine(R"("a\"b")"), (Words{"a\"b"}));
  EXPECT_EQ(SplitConfigLine(R"("a\nb\tc\rd\\e")"), (Words{"a\nb\tc\rd\\e"}));
}

TEST(SplitConfigLineTest, SingleQuotesKeepBackslashesLiterally) {
  EXPECT_EQ(SplitConfigLine(R"('a\nb')"), (Words{"a\\nb"}));
}

TEST(SplitConfigLineTest, RejectsUnbalancedQuotes) {
  EXPECT_FALSE(SplitConfigLine(R"(x "abc)").has_value());
  EXPECT_FALSE(SplitConfigLine("x 'abc").has_value());
  EXPECT_FALSE(SplitConfigLine(R"(x "abc\")").has_value());
}

TEST(SplitConfigLineTest, RejectsClosingQuoteFollowedByText) {
  EXPECT_FALSE(SplitConfigLine(R"("a"b)").has_value());
  EXPECT_FALSE(SplitConfigLine("'a'b").has_value());
}

// --- SetOption / GetOption ------------------------------------------------------------------

TEST(SetOptionTest, SetsIntegerOptionsAndGetReturnsThem) {
  Config c;
  EXPECT_EQ(SetOption(c, "port", "7000", false), std::nullopt);
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(GetOption(c, "port"), "7000");
  EXPECT_EQ(SetOption(c, "maxclients", "5", true), std::nullopt);
  EXPECT_EQ(c.maxclients, 5);
}

TEST(SetOptionTest, NamesAreCaseInsensitive) {
  Config c;
  EXPECT_EQ(SetOption(c, "MaxClients", "7", true), std::nullopt);
  EXPECT_EQ(c.maxclients, 7);
  EXPECT_EQ(GetOption(c, "MAXCLIENTS"), "7");
}

TEST(SetOptionTest, UnknownOptionIsAnError) {
  Config c;
  EXPECT_EQ(SetOption(c, "no-such-option", "1", false), "Unknown option 'no-such-option'");
  EXPECT_EQ(GetOption(c, "no-such-option"), std::nullopt);
}

TEST(SetOptionTest, IntegerOptionsRejectNonIntegersAndOutOfRangeValues) {
  Config c;
  EXPECT_EQ(SetOption(c, "port", "abc", false), "argument couldn't be parsed into an integer");
  EXPECT_EQ(SetOption(c, "port", "", false), "argument couldn't be parsed into an integer");
  EXPECT_EQ(SetOption(c, "port", "70000", false), "argument must be between 0 and 65535 inclusive");
  EXPECT_EQ(SetOption(c, "shards", "0", false), "argument must be between 1 and 4096 inclusive");
  EXPECT_EQ(c.port, 6380);
  EXPECT_EQ(c.shards, 8);
}

TEST(SetOptionTest, MemoryOptionsTakeUnitsAndRejectOtherText) {
  Config c;
  EXPECT_EQ(SetOption(c, "max-meta-bytes", "1kb", true), std::nullopt);
  EXPECT_EQ(c.max_meta_bytes, 1024);
  EXPECT_EQ(SetOption(c, "max-meta-bytes", "lots", true), "argument must be a memory value");
  EXPECT_EQ(SetOption(c, "proto-max-bulk-len", "512", true),
            "argument must be between 1024 and 4611686018427387903 inclusive");
  EXPECT_EQ(c.max_meta_bytes, 1024);
}

TEST(SetOptionTest, RuntimeSetRejectsImmutableOptionsButStartupAcceptsThem) {
  for (const char* name : {"port", "bind", "shards", "node-name", "peer-port", "logfile",
                           "ports-file", "seeds", "cluster-secret"}) {
    Config c;
    EXPECT_EQ(SetOption(c, name, "1", true), "can't set immutable config") << name;
  }
  Config c;
  EXPECT_EQ(SetOption(c, "port", "1", true), "can't set immutable config");
  EXPECT_EQ(c.port, 6380);
  EXPECT_EQ(SetOption(c, "port", "1", false), std::nullopt);
  EXPECT_EQ(c.port, 1);
  EXPECT_EQ(SetOption(c, "resolve-registry-conflict", "newest", true),
            "can't set immutable config");
}

TEST(SetOptionTest, EnumOptionsAcceptListedValuesInAnyCase) {
  Config c;
  EXPECT_EQ(SetOption(c, "loglevel", "VERBOSE", true), std::nullopt);
  EXPECT_EQ(c.loglevel, "verbose");
  EXPECT_EQ(SetOption(c, "loglevel", "debug", true),
            "argument(s) must be one of the following: info, verbose, off");
  EXPECT_EQ(c.loglevel, "verbose");
  EXPECT_EQ(SetOption(c, "conflict-action", "unregister", true), std::nullopt);
  EXPECT_EQ(c.conflict_action, "unregister");
  EXPECT_EQ(SetOption(c, "conflict-action", "explode", true),
            "argument(s) must be one of the following: kill, unregister");
}

TEST(SetOptionTest, ExtractMetaSplitsOnCommasAndSpaces) {
  Config c;
  EXPECT_EQ(SetOption(c, "extract-meta", "role, zone  ,rack", true), std::nullopt);
  EXPECT_EQ(c.extract_meta, (Words{"role", "zone", "rack"}));
  EXPECT_EQ(GetOption(c, "extract-meta"), "role,zone,rack");
  EXPECT_EQ(SetOption(c, "extract-meta", "", true), std::nullopt);
  EXPECT_TRUE(c.extract_meta.empty());
  EXPECT_EQ(GetOption(c, "extract-meta"), "");
}

TEST(SetOptionTest, ResolveRegistryConflictAcceptsPoliciesWithTheirField) {
  Config c;
  EXPECT_EQ(SetOption(c, "resolve-registry-conflict", "NEWEST", false), std::nullopt);
  EXPECT_EQ(c.resolve_registry_conflict, "newest");
  EXPECT_EQ(SetOption(c, "resolve-registry-conflict", "meta-max prio", false), std::nullopt);
  EXPECT_EQ(c.resolve_registry_conflict, "meta-max prio");
  EXPECT_EQ(GetOption(c, "resolve-registry-conflict"), "meta-max prio");
  EXPECT_EQ(SetOption(c, "resolve-registry-conflict", "meta-min", false),
            "meta-max and meta-min take one field name");
  EXPECT_EQ(SetOption(c, "resolve-registry-conflict", "oldest extra", false),
            "meta-max and meta-min take one field name");
  EXPECT_EQ(SetOption(c, "resolve-registry-conflict", "random", false),
            "policy must be oldest, newest, meta-max <field> or meta-min <field>");
  EXPECT_EQ(c.resolve_registry_conflict, "meta-max prio");
}

TEST(OutputLimitTest, SetsTheNamedClassesAndLeavesOthersAlone) {
  Config c;
  EXPECT_EQ(SetOption(c, "client-output-buffer-limit", "pubsub 64mb 16mb 120", true), std::nullopt);
  EXPECT_EQ(c.obuf_pubsub.hard, 64u * 1024 * 1024);
  EXPECT_EQ(c.obuf_pubsub.soft, 16u * 1024 * 1024);
  EXPECT_EQ(c.obuf_pubsub.soft_seconds, 120);
  EXPECT_EQ(c.obuf_normal.hard, 0u);
  EXPECT_EQ(c.obuf_normal.soft, 0u);
  EXPECT_EQ(SetOption(c, "client-output-buffer-limit", "NORMAL 1000 500 3 replica 1 1 1", true),
            std::nullopt);
  EXPECT_EQ(c.obuf_normal.hard, 1000u);
  EXPECT_EQ(c.obuf_normal.soft, 500u);
  EXPECT_EQ(c.obuf_normal.soft_seconds, 3);
  EXPECT_EQ(c.obuf_pubsub.hard, 64u * 1024 * 1024);
}

TEST(OutputLimitTest, GetListsEveryClassInRedisOrderAndRoundTrips) {
  Config c;
  EXPECT_EQ(GetOption(c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 0 0 0 pubsub 33554432 8388608 60");
  ASSERT_EQ(SetOption(c, "client-output-buffer-limit", "normal 1kb 2k 3 pubsub 4 5 6", true),
            std::nullopt);
  std::string text = *GetOption(c, "client-output-buffer-limit");
  EXPECT_EQ(text, "normal 1024 2000 3 slave 0 0 0 pubsub 4 5 6");
  Config copy;
  ASSERT_EQ(SetOption(copy, "client-output-buffer-limit", text, true), std::nullopt);
  EXPECT_EQ(GetOption(copy, "client-output-buffer-limit"), text);
}

TEST(OutputLimitTest, ErrorsUseRedisWordingAndChangeNothing) {
  Config c;
  EXPECT_EQ(SetOption(c, "client-output-buffer-limit", "pubsub 1mb 1mb", true),
            "Wrong number of arguments in buffer limit configuration.");
  EXPECT_EQ(SetOption(c, "client-output-buffer-limit", "", true),
            "Wrong number of arguments in buffer limit configuration.");
  EXPECT_EQ(SetOption(c, "client-output-buffer-limit", "pubsub x 1 1", true),
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  EXPECT_EQ(SetOption(c, "client-output-buffer-limit", "pubsub -1 1 1", true),
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  EXPECT_EQ(SetOption(c, "client-output-buffer-limit", "pubsub 1 1 -1", true),
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  // The valid first class must not be applied when a later one is invalid.
  EXPECT_EQ(SetOption(c, "client-output-buffer-limit", "normal 1 1 1 master 1 1 1", true),
            "Invalid client class specified in buffer limit configuration.");
  EXPECT_EQ(c.obuf_normal.hard, 0u);
  EXPECT_EQ(c.obuf_pubsub.hard, 32u * 1024 * 1024);
}

TEST(AllOptionsTest, EveryOptionsCurrentValueCanBeSetBackUnchanged) {
  const Config defaults;
  for (const OptionInfo& info : AllOptions()) {
    auto value = GetOption(defaults, info.name);
    ASSERT_TRUE(value.has_value()) << info.name;
    Config c;
    EXPECT_EQ(SetOption(c, info.name, *value, false), std::nullopt) << info.name << "=" << *value;
    EXPECT_EQ(GetOption(c, info.name), value) << info.name;
    // CONFIG SET succeeds exactly for the options marked runtime.
    Config r;
    auto err = SetOption(r, info.name, *value, true);
    if (info.runtime) {
      EXPECT_EQ(err, std::nullopt) << info.name;
    } else {
      EXPECT_EQ(err, "can't set immutable config") << info.name;
    }
  }
}

TEST(ConfigTest, PeerPortDefaultsToPortPlusTenThousand) {
  Config c;
  c.port = 7000;
  EXPECT_EQ(c.EffectivePeerPort(), 17000);
  c.peer_port = 0;
  EXPECT_EQ(c.EffectivePeerPort(), 0);
  c.peer_port = 9999;
  EXPECT_EQ(c.EffectivePeerPort(), 9999);
}

// --- Files and command line -----------------------------------------------------------------

TEST(LoadConfigFileTest, AppliesOptionsSkippingCommentsAndBlankLines) {
  TempConfigFile file(
      "# groupd test configuration\n"
      "\n"
      "port 7001\n"
      "   # an indented comment\n"
      "loglevel verbose\r\n"
      "requirepass \"s e cret\"\n"
      "client-output-buffer-limit pubsub 1mb 512kb 10\n"
      "extract-meta role,zone\n"
      "\t\n");
  Config c;
  ASSERT_EQ(LoadConfigFile(c, file.path()), std::nullopt);
  EXPECT_EQ(c.port, 7001);
  EXPECT_EQ(c.loglevel, "verbose");
  EXPECT_EQ(c.requirepass, "s e cret");
  EXPECT_EQ(c.obuf_pubsub.hard, 1024u * 1024);
  EXPECT_EQ(c.obuf_pubsub.soft, 512u * 1024);
  EXPECT_EQ(c.obuf_pubsub.soft_seconds, 10);
  EXPECT_EQ(c.extract_meta, (Words{"role", "zone"}));
}

TEST(LoadConfigFileTest, CommentLinesMayContainUnbalancedQuotes) {
  // redis.conf skips a line starting with '#' before splitting it into words.
  TempConfigFile file(
      "# it's \"fine\n"
      "  # 'quoted\n"
      "port 7002\n");
  Config c;
  EXPECT_EQ(LoadConfigFile(c, file.path()), std::nullopt);
  EXPECT_EQ(c.port, 7002);
}

TEST(LoadConfigFileTest, ErrorsNameTheFileAndLine) {
  TempConfigFile unknown("port 7000\n\nbogus-option 1\n");
  Config c;
  EXPECT_EQ(LoadConfigFile(c, unknown.path()),
            unknown.path() + ":3: Unknown option 'bogus-option'");

  TempConfigFile bad_value("maxclients lots\n");
  EXPECT_EQ(LoadConfigFile(c, bad_value.path()),
            bad_value.path() + ":1: argument couldn't be parsed into an integer");

  TempConfigFile quotes("port 7000\nrequirepass \"open\n");
  EXPECT_EQ(LoadConfigFile(c, quotes.path()), quotes.path() + ":2: unbalanced quotes");
}

TEST(LoadConfigFileTest, MissingFileIsAnError) {
  Config c;
  EXPECT_EQ(LoadConfigFile(c, "/nonexistent/groupd.conf"),
            "cannot open config file '/nonexistent/groupd.conf'");
}

TEST(ParseCommandLineTest, ConfigFileFirstThenOptionsOverrideIt) {
  TempConfigFile file("port 6390\nmaxclients 5\nloglevel off\n");
  Argv args{"groupd", file.path(), "--port", "7000", "--loglevel", "verbose"};
  Config c;
  ASSERT_EQ(ParseCommandLine(c, args.argc(), args.argv()), std::nullopt);
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.loglevel, "verbose");
  EXPECT_EQ(c.maxclients, 5);
}

TEST(ParseCommandLineTest, OptionsWithoutAConfigFile) {
  Argv args{"groupd", "--port", "7000", "--loglevel", "verbose"};
  Config c;
  ASSERT_EQ(ParseCommandLine(c, args.argc(), args.argv()), std::nullopt);
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.loglevel, "verbose");
}

TEST(ParseCommandLineTest, AnOptionTakesEveryWordUpToTheNextOption) {
  Argv args{"groupd",      "--client-output-buffer-limit",
            "pubsub",      "1mb",
            "1mb",         "0",
            "--peer-port", "-1",
            "--node-name", "n1"};
  Config c;
  c.peer_port = 5;
  ASSERT_EQ(ParseCommandLine(c, args.argc(), args.argv()), std::nullopt);
  EXPECT_EQ(c.obuf_pubsub.hard, 1024u * 1024);
  EXPECT_EQ(c.obuf_pubsub.soft_seconds, 0);
  EXPECT_EQ(c.peer_port, -1);
  EXPECT_EQ(c.node_name, "n1");
}

TEST(ParseCommandLineTest, NoArgumentsKeepDefaults) {
  Argv args{"groupd"};
  Config c;
  EXPECT_EQ(ParseCommandLine(c, args.argc(), args.argv()), std::nullopt);
  EXPECT_EQ(c.port, 6380);
}

TEST(ParseCommandLineTest, ErrorsNameTheOffendingArgument) {
  Config c;
  Argv unknown{"groupd", "--bogus", "1"};
  EXPECT_EQ(ParseCommandLine(c, unknown.argc(), unknown.argv()),
            "option '--bogus': Unknown option 'bogus'");
  Argv bad{"groupd", "--port", "x"};
  EXPECT_EQ(ParseCommandLine(c, bad.argc(), bad.argv()),
            "option '--port': argument couldn't be parsed into an integer");
  Argv stray{"groupd", "-v"};
  EXPECT_EQ(ParseCommandLine(c, stray.argc(), stray.argv()), "unexpected argument '-v'");
  Argv missing{"groupd", "/nonexistent/groupd.conf"};
  EXPECT_EQ(ParseCommandLine(c, missing.argc(), missing.argv()),
            "cannot open config file '/nonexistent/groupd.conf'");
}

}  // namespace
}  // namespace groupd
