#include "protocol/resp_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace groupd::protocol {
namespace {

using namespace std::string_literals;

using Args = std::vector<std::string>;

Args CopyArgs(const RequestParser& parser) {
  return Args(parser.args().begin(), parser.args().end());
}

// What a connection would see after feeding some input through one parser.
struct FeedOutcome {
  std::vector<Args> commands;
  int empties = 0;
  bool error = false;
  std::string error_text;
  std::string leftover;  // Bytes still buffered, waiting for the rest of a command.
};

// Feeds input to a fresh parser chunk bytes at a time, the way a connection does: append to
// its buffer, parse until kIncomplete, drop what was consumed.
FeedOutcome Feed(std::string_view input, size_t chunk, const ParserLimits& limits = {}) {
  RequestParser parser;
  FeedOutcome outcome;
  std::string buf;
  for (size_t at = 0; at < input.size(); at += chunk) {
    buf.append(input.substr(at, chunk));
    while (true) {
      ParseResult r = parser.Parse(buf, limits);
      if (r == ParseResult::kIncomplete) break;
      if (r == ParseResult::kError) {
        outcome.error = true;
        outcome.error_text = std::string(parser.error());
        return outcome;
      }
      if (r == ParseResult::kCommand) {
        outcome.commands.push_back(CopyArgs(parser));
      } else {
        ++outcome.empties;
      }
      buf.erase(0, parser.consumed());
    }
  }
  outcome.leftover = buf;
  return outcome;
}

// Parses input in one call; for the error cases, where one call is all it takes.
std::string ErrorFor(std::string_view input, const ParserLimits& limits = {}) {
  RequestParser parser;
  ParseResult r = parser.Parse(input, limits);
  if (r != ParseResult::kError) return "<no error, result " + std::to_string(int(r)) + ">";
  return std::string(parser.error());
}

std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

std::string Multibulk(const Args& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += Bulk(a);
  return out;
}

// --- Multibulk requests ---------------------------------------------------------------------

TEST(RequestParserTest, ParsesMultibulkCommandAndReportsConsumedBytes) {
  RequestParser parser;
  std::string buf = "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\nextra";
  ASSERT_EQ(parser.Parse(buf, {}), ParseResult::kCommand);
  EXPECT_EQ(parser.consumed(), buf.size() - 5);
  EXPECT_EQ(CopyArgs(parser), (Args{"ECHO", "hello"}));
}

TEST(RequestParserTest, MultibulkArgsPointIntoCallerBuffer) {
  RequestParser parser;
  std::string buf = Multibulk({"GET", "key"});
  ASSERT_EQ(parser.Parse(buf, {}), ParseResult::kCommand);
  for (std::string_view arg : parser.args()) {
    EXPECT_GE(arg.data(), buf.data());
    EXPECT_LE(arg.data() + arg.size(), buf.data() + buf.size());
  }
}

TEST(RequestParserTest, EmptyBufferIsIncomplete) {
  RequestParser parser;
  EXPECT_EQ(parser.Parse("", {}), ParseResult::kIncomplete);
  EXPECT_EQ(parser.consumed(), 0u);
}

TEST(RequestParserTest, ZeroMultibulkCountIsEmpty) {
  RequestParser parser;
  ASSERT_EQ(parser.Parse("*0\r\nPING\r\n", {}), ParseResult::kEmpty);
  EXPECT_EQ(parser.consumed(), 4u);
  EXPECT_TRUE(parser.args().empty());
}

TEST(RequestParserTest, NegativeMultibulkCountIsEmpty) {
  RequestParser parser;
  ASSERT_EQ(parser.Parse("*-1\r\n", {}), ParseResult::kEmpty);
  EXPECT_EQ(parser.consumed(), 5u);
  // Redis accepts any negative count the same way.
  ASSERT_EQ(parser.Parse("*-7\r\n", {}), ParseResult::kEmpty);
  EXPECT_EQ(parser.consumed(), 5u);
}

TEST(RequestParserTest, EmptyBulkIsAnEmptyArgument) {
  FeedOutcome out = Feed("*2\r\n$3\r\nSET\r\n$0\r\n\r\n", 1 << 20);
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Args{"SET", ""}));
}

TEST(RequestParserTest, BulksAreBinarySafe) {
  std::string value = "a\0b\r\nc$3\r\n*1\r\n\xff"s;
  FeedOutcome out = Feed(Multibulk({"SET", "k", value}), 1 << 20);
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0][2], value);
  EXPECT_EQ(out.commands[0][2].size(), 15u);
}

TEST(RequestParserTest, ParserTreatsAnyTwoBytesAfterBulkAsTerminator) {
  // Redis skips the two bytes after a bulk without looking at them; so do we.
  RequestParser parser;
  ASSERT_EQ(parser.Parse("*1\r\n$4\r\nPINGxy", {}), ParseResult::kCommand);
  EXPECT_EQ(CopyArgs(parser), (Args{"PING"}));
  EXPECT_EQ(parser.consumed(), 14u);
}

TEST(RequestParserTest, ParserWaitsForBulkTerminatorBytes) {
  RequestParser parser;
  EXPECT_EQ(parser.Parse("*1\r\n$4\r\nPING", {}), ParseResult::kIncomplete);
  EXPECT_EQ(parser.Parse("*1\r\n$4\r\nPING\r", {}), ParseResult::kIncomplete);
  EXPECT_EQ(parser.Parse("*1\r\n$4\r\nPING\r\n", {}), ParseResult::kCommand);
}

TEST(RequestParserTest, ParserWaitsForByteAfterHeaderCarriageReturn) {
  RequestParser parser;
  EXPECT_EQ(parser.Parse("*1\r", {}), ParseResult::kIncomplete);
  EXPECT_EQ(parser.Parse("*1\r\n$4\r", {}), ParseResult::kIncomplete);
  EXPECT_EQ(parser.Parse("*1\r\n$4\r\nPING\r\n", {}), ParseResult::kCommand);
  EXPECT_EQ(CopyArgs(parser), (Args{"PING"}));
}

TEST(RequestParserTest, PipelinedCommandsInOneBufferParseOneAtATime) {
  std::string input = Multibulk({"PING"}) + "ECHO hi\r\n" + "\r\n" + "*0\r\n" +
                      Multibulk({"SET", "k", "v"}) + "GET k\n";
  FeedOutcome out = Feed(input, input.size());
  EXPECT_FALSE(out.error);
  EXPECT_EQ(out.empties, 2);
  EXPECT_EQ(out.commands,
            (std::vector<Args>{{"PING"}, {"ECHO", "hi"}, {"SET", "k", "v"}, {"GET", "k"}}));
  EXPECT_TRUE(out.leftover.empty());
}

TEST(RequestParserTest, ByteByByteFeedingGivesSameCommands) {
  std::string big(100000, 'x');
  std::string input = Multibulk({"SET", "key", big}) + "SET \"a b\" 'c'\r\n" +
                      Multibulk({"GET", "\0\r\n"s}) + "*0\r\n" + "PING\n" +
                      Multibulk({"DEL", "a", "b", "c"});
  FeedOutcome whole = Feed(input, input.size());
  ASSERT_FALSE(whole.error);
  ASSERT_EQ(whole.commands.size(), 5u);
  EXPECT_EQ(whole.commands[0][2], big);
  for (size_t chunk : {1, 2, 3, 7, 4096}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    FeedOutcome pieces = Feed(input, chunk);
    EXPECT_FALSE(pieces.error) << pieces.error_text;
    EXPECT_EQ(pieces.commands, whole.commands);
    EXPECT_EQ(pieces.empties, whole.empties);
    EXPECT_TRUE(pieces.leftover.empty());
  }
}

TEST(RequestParserTest, ManyArgumentsFedOneByteAtATimeParseInLinearTime) {
  // 200,000 one-byte arguments (1.4 MB) delivered one byte per call. A parser that re-parsed the
  // finished arguments on every call would make ~10^11 steps and time out; one that keeps
  // offsets makes a few million.
  const int kArgs = 200000;
  std::string input = "*" + std::to_string(kArgs) + "\r\n";
  for (int i = 0; i < kArgs; ++i) input += "$1\r\nx\r\n";
  RequestParser parser;
  std::string buf;
  buf.reserve(input.size());
  ParseResult r = ParseResult::kIncomplete;
  for (size_t i = 0; i < input.size(); ++i) {
    buf.push_back(input[i]);
    r = parser.Parse(buf, {});
    if (i + 1 < input.size()) {
      ASSERT_EQ(r, ParseResult::kIncomplete) << "at byte " << i;
    }
  }
  ASSERT_EQ(r, ParseResult::kCommand);
  EXPECT_EQ(parser.args().size(), size_t{kArgs});
  EXPECT_EQ(parser.consumed(), input.size());
}

TEST(RequestParserTest, LargeBulkFedOneByteAtATimeCompletes) {
  const size_t kSize = 4 << 20;
  std::string input =
      "*2\r\n$3\r\nSET\r\n$" + std::to_string(kSize) + "\r\n" + std::string(kSize, 'v') + "\r\n";
  RequestParser parser;
  std::string buf;
  buf.reserve(input.size());
  ParseResult r = ParseResult::kIncomplete;
  for (size_t i = 0; i < input.size(); ++i) {
    buf.push_back(input[i]);
    r = parser.Parse(buf, {});
    if (i + 1 < input.size()) {
      ASSERT_EQ(r, ParseResult::kIncomplete) << "at byte " << i;
    }
  }
  ASSERT_EQ(r, ParseResult::kCommand);
  EXPECT_EQ(parser.args()[1].size(), kSize);
  EXPECT_EQ(parser.consumed(), input.size());
}

TEST(RequestParserTest, LongLinesFedOneByteAtATimeWaitForTheirTerminator) {
  // Lines just under the 64 KiB limits, one byte per call, then their terminator.
  std::string header = "*1\r\n$" + std::string(60000, '9');
  std::string inline_line(60000, 'a');
  for (const std::string& input : {header, inline_line}) {
    RequestParser parser;
    std::string buf;
    for (char c : input) {
      buf.push_back(c);
      ASSERT_EQ(parser.Parse(buf, {}), ParseResult::kIncomplete);
    }
    buf += "\r\n";
    if (input[0] == '*') {
      EXPECT_EQ(parser.Parse(buf, {}), ParseResult::kError);
      EXPECT_EQ(parser.error(), "Protocol error: invalid bulk length");
    } else {
      ASSERT_EQ(parser.Parse(buf, {}), ParseResult::kCommand);
      EXPECT_EQ(parser.args()[0], inline_line);
    }
  }
}

TEST(RequestParserTest, BufferMayMoveInMemoryBetweenIncompleteCalls) {
  std::string input = Multibulk({"SET", "key", "some value"}) + "PING\r\n";
  RequestParser parser;
  std::vector<Args> commands;
  // Each call sees a freshly allocated copy of the pending bytes; the previous copy is
  // overwritten and freed, so any pointer the parser kept would read garbage (or trip ASan).
  std::string pending;
  auto old_copy = std::make_unique<std::string>();
  for (char c : input) {
    pending.push_back(c);
    auto copy = std::make_unique<std::string>(pending);
    old_copy->assign(old_copy->size(), '#');
    old_copy = nullptr;
    while (true) {
      ParseResult r = parser.Parse(*copy, {});
      ASSERT_NE(r, ParseResult::kError) << parser.error();
      if (r == ParseResult::kIncomplete) break;
      if (r == ParseResult::kCommand) commands.push_back(CopyArgs(parser));
      copy->erase(0, parser.consumed());
      pending.erase(0, parser.consumed());
    }
    old_copy = std::move(copy);
  }
  EXPECT_EQ(commands, (std::vector<Args>{{"SET", "key", "some value"}, {"PING"}}));
}

TEST(RequestParserTest, ResetForgetsPartialCommand) {
  RequestParser parser;
  ASSERT_EQ(parser.Parse("*3\r\n$3\r\nSET\r\n$1\r\nk", {}), ParseResult::kIncomplete);
  parser.Reset();
  ASSERT_EQ(parser.Parse("PING\r\n", {}), ParseResult::kCommand);
  EXPECT_EQ(CopyArgs(parser), (Args{"PING"}));
}

TEST(RequestParserTest, ParserIsReusableAfterCommand) {
  RequestParser parser;
  for (int i = 0; i < 3; ++i) {
    std::string buf = Multibulk({"INCR", "counter" + std::to_string(i)});
    ASSERT_EQ(parser.Parse(buf, {}), ParseResult::kCommand);
    EXPECT_EQ(CopyArgs(parser), (Args{"INCR", "counter" + std::to_string(i)}));
    ASSERT_EQ(parser.Parse("GET x\r\n", {}), ParseResult::kCommand);
    EXPECT_EQ(CopyArgs(parser), (Args{"GET", "x"}));
  }
}

// --- Multibulk errors -----------------------------------------------------------------------

TEST(RequestParserTest, ParserRejectsNonIntegerMultibulkLength) {
  for (const char* input : {"*abc\r\n", "*\r\n", "*+1\r\n", "*01\r\n", "* 1\r\n", "*1 \r\n",
                            "*-0\r\n", "*-\r\n", "*1.0\r\n", "*99999999999999999999\r\n"}) {
    EXPECT_EQ(ErrorFor(input), "Protocol error: invalid multibulk length") << input;
  }
}

TEST(RequestParserTest, ParserRejectsMultibulkLengthAboveLimit) {
  ParserLimits limits;
  limits.max_multibulk_len = 100;
  EXPECT_EQ(ErrorFor("*101\r\n", limits), "Protocol error: invalid multibulk length");
  RequestParser parser;
  EXPECT_EQ(parser.Parse("*100\r\n", limits), ParseResult::kIncomplete);
  EXPECT_EQ(ErrorFor("*1048577\r\n"), "Protocol error: invalid multibulk length");
}

TEST(RequestParserTest, ParserRejectsMultibulkLengthAboveIntMax) {
  ParserLimits limits;
  limits.max_multibulk_len = INT64_MAX;
  EXPECT_EQ(ErrorFor("*2147483648\r\n", limits), "Protocol error: invalid multibulk length");
}

TEST(RequestParserTest, ParserRejectsTooBigMultibulkCountString) {
  // 64 KiB without '\r' is still waiting; one more byte is an error.
  std::string input = "*" + std::string(64 * 1024 - 1, '1');
  RequestParser parser;
  EXPECT_EQ(parser.Parse(input, {}), ParseResult::kIncomplete);
  input.push_back('1');
  EXPECT_EQ(parser.Parse(input, {}), ParseResult::kError);
  EXPECT_EQ(parser.error(), "Protocol error: too big mbulk count string");
}

TEST(RequestParserTest, ParserRejectsUnauthenticatedMultibulkLength) {
  ParserLimits limits;
  limits.unauthenticated = true;
  EXPECT_EQ(ErrorFor("*11\r\n", limits), "Protocol error: unauthenticated multibulk length");
  RequestParser parser;
  EXPECT_EQ(parser.Parse("*10\r\n", limits), ParseResult::kIncomplete);
  limits.unauthenticated = false;
  EXPECT_EQ(parser.Parse("*11\r\n", limits), ParseResult::kIncomplete);
}

TEST(RequestParserTest, ParserRejectsTooBigBulkCountString) {
  std::string input = "*1\r\n$" + std::string(64 * 1024 - 1, '1');
  RequestParser parser;
  EXPECT_EQ(parser.Parse(input, {}), ParseResult::kIncomplete);
  input.push_back('1');
  EXPECT_EQ(parser.Parse(input, {}), ParseResult::kError);
  EXPECT_EQ(parser.error(), "Protocol error: too big bulk count string");
}

TEST(RequestParserTest, ParserRejectsArgumentThatIsNotABulk) {
  EXPECT_EQ(ErrorFor("*1\r\n:3\r\n"), "Protocol error: expected '$', got ':'");
  EXPECT_EQ(ErrorFor("*2\r\n$3\r\nGET\r\nkey\r\n"), "Protocol error: expected '$', got 'k'");
  // The '$' check waits for the header line to be complete, as in Redis.
  RequestParser parser;
  EXPECT_EQ(parser.Parse("*1\r\nPING", {}), ParseResult::kIncomplete);
}

TEST(RequestParserTest, ExpectedDollarErrorCarriesTheActualByte) {
  EXPECT_EQ(ErrorFor("*1\r\n\r\n"), "Protocol error: expected '$', got '\r'");
  EXPECT_EQ(ErrorFor("*1\r\n\x80\r\n"), "Protocol error: expected '$', got '\x80'");
}

TEST(RequestParserTest, HeaderLineWithNulNeverCompletes) {
  // As with strchr() in Redis, a NUL hides the '\r' after it, so the line waits for more input
  // until it passes 64 KiB.
  for (std::string prefix : {"*1\0\r\n"s, "*1\r\n$\0\r\n"s, "*1\r\n\0\r\n"s}) {
    RequestParser parser;
    std::string buf = prefix;
    EXPECT_EQ(parser.Parse(buf, {}), ParseResult::kIncomplete);
    buf += std::string(size_t{64} * 1024, 'x');
    EXPECT_EQ(parser.Parse(buf, {}), ParseResult::kError);
    EXPECT_EQ(parser.error(), prefix[2] == '\0' ? "Protocol error: too big mbulk count string"
                                                : "Protocol error: too big bulk count string");
  }
}

TEST(RequestParserTest, NulAfterHeaderLineIsHarmless) {
  FeedOutcome out = Feed("*1\r\n$1\r\n\0\r\n"s, 1);
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Args{std::string(1, '\0')}));
  EXPECT_TRUE(out.leftover.empty());
}

TEST(RequestParserTest, ParserRejectsNegativeBulkLength) {
  EXPECT_EQ(ErrorFor("*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(ErrorFor("*1\r\n$-5\r\n"), "Protocol error: invalid bulk length");
}

TEST(RequestParserTest, ParserRejectsNonIntegerBulkLength) {
  for (const char* input : {"*1\r\n$abc\r\n", "*1\r\n$\r\n", "*1\r\n$+3\r\n", "*1\r\n$03\r\n",
                            "*1\r\n$ 3\r\n", "*1\r\n$3x\r\n", "*1\r\n$-0\r\n"}) {
    EXPECT_EQ(ErrorFor(input), "Protocol error: invalid bulk length") << input;
  }
}

TEST(RequestParserTest, ParserRejectsBulkLengthAboveLimit) {
  ParserLimits limits;
  limits.max_bulk_len = 10;
  EXPECT_EQ(ErrorFor("*1\r\n$11\r\n", limits), "Protocol error: invalid bulk length");
  FeedOutcome out = Feed(Multibulk({"0123456789"}), 1 << 20, limits);
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(ErrorFor("*1\r\n$536870913\r\n"), "Protocol error: invalid bulk length");
}

TEST(RequestParserTest, ParserRejectsUnauthenticatedBulkLength) {
  ParserLimits limits;
  limits.unauthenticated = true;
  EXPECT_EQ(ErrorFor("*2\r\n$4\r\nAUTH\r\n$16385\r\n", limits),
            "Protocol error: unauthenticated bulk length");
  FeedOutcome out = Feed(Multibulk({"AUTH", std::string(16384, 'p')}), 1 << 20, limits);
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_FALSE(out.error);
}

TEST(RequestParserTest, InvalidBulkLengthIsReportedBeforeUnauthenticatedLimit) {
  ParserLimits limits;
  limits.unauthenticated = true;
  limits.max_bulk_len = 20000;
  EXPECT_EQ(ErrorFor("*1\r\n$20001\r\n", limits), "Protocol error: invalid bulk length");
}

TEST(RequestParserTest, ErrorDuringIncrementalParseIsReported) {
  FeedOutcome out = Feed(Multibulk({"SET", "k", "v"}) + "*2\r\n$3\r\nGET\r\n?1\r\n", 1);
  EXPECT_EQ(out.commands, (std::vector<Args>{{"SET", "k", "v"}}));
  EXPECT_TRUE(out.error);
  EXPECT_EQ(out.error_text, "Protocol error: expected '$', got '?'");
}

// --- Inline requests ------------------------------------------------------------------------

TEST(RequestParserTest, ParsesInlineCommandEndingInCrlfOrLf) {
  RequestParser parser;
  ASSERT_EQ(parser.Parse("SET key value\r\nrest", {}), ParseResult::kCommand);
  EXPECT_EQ(CopyArgs(parser), (Args{"SET", "key", "value"}));
  EXPECT_EQ(parser.consumed(), 15u);
  ASSERT_EQ(parser.Parse("PING\n", {}), ParseResult::kCommand);
  EXPECT_EQ(CopyArgs(parser), (Args{"PING"}));
  EXPECT_EQ(parser.consumed(), 5u);
}

TEST(RequestParserTest, InlineSplitsOnRunsOfWhitespace) {
  FeedOutcome out = Feed("  SET\t key  \v value \r\n", 100);
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Args{"SET", "key", "value"}));
}

TEST(RequestParserTest, InlineKeepsVerticalTabInsideToken) {
  // sdssplitargs() skips isspace() between tokens but ends a token only at " \n\r\t".
  FeedOutcome out = Feed("a\vb\fc\n", 100);
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Args{"a\vb\fc"}));
}

TEST(RequestParserTest, EmptyInlineLineIsEmpty) {
  RequestParser parser;
  ASSERT_EQ(parser.Parse("\r\nPING\r\n", {}), ParseResult::kEmpty);
  EXPECT_EQ(parser.consumed(), 2u);
  ASSERT_EQ(parser.Parse("\n", {}), ParseResult::kEmpty);
  EXPECT_EQ(parser.consumed(), 1u);
  ASSERT_EQ(parser.Parse("   \t \r\n", {}), ParseResult::kEmpty);
  EXPECT_EQ(parser.consumed(), 7u);
}

TEST(RequestParserTest, InlineDoubleQuotesGroupWordsAndUnescape) {
  FeedOutcome out = Feed(
      "SET \"hello world\" \"\\n\\r\\t\\b\\a\\\\\\\"\\x41\\x7a\\xff\" \"\" \"\\q\\xzz\"\r\n", 1000);
  ASSERT_FALSE(out.error) << out.error_text;
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Args{"SET", "hello world", "\n\r\t\b\a\\\"Az\xff", "", "qxzz"}));
}

TEST(RequestParserTest, InlineSingleQuotesOnlyUnescapeQuote) {
  FeedOutcome out = Feed("SET 'it\\'s' 'a\\nb \"c\"'\r\n", 1000);
  ASSERT_FALSE(out.error) << out.error_text;
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Args{"SET", "it's", "a\\nb \"c\""}));
}

TEST(RequestParserTest, InlineQuoteMayStartInsideToken) {
  FeedOutcome out = Feed("SET foo\"bar baz\" x'y z'\n", 1000);
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Args{"SET", "foobar baz", "xy z"}));
}

TEST(RequestParserTest, InlineRequestWithNulBeforeNewlineNeverCompletes) {
  // Redis finds the newline with strchr(), which stops at NUL; such a request waits until it
  // passes the inline limit and then fails.
  ParserLimits limits;
  limits.max_inline_len = 32;
  RequestParser parser;
  std::string buf = "GET a\0b\r\nPING\r\n"s;
  EXPECT_EQ(parser.Parse(buf, limits), ParseResult::kIncomplete);
  buf += "PING\r\n";
  EXPECT_EQ(parser.Parse(buf, limits), ParseResult::kIncomplete);
  buf += std::string(20, 'x');
  EXPECT_EQ(parser.Parse(buf, limits), ParseResult::kError);
  EXPECT_EQ(parser.error(), "Protocol error: too big inline request");
}

TEST(RequestParserTest, DesynchronizedBinaryStreamEndsInProtocolError) {
  // Redis's "Protocol desync regression" sequences followed by lines of 'A's.
  std::string lines;
  for (int i = 0; i < 80; ++i) lines += std::string(1024, 'A') + "\n";
  const std::pair<std::string, const char*> cases[] = {
      {std::string(1, '\0'), "Protocol error: too big inline request"},
      {"*\0"s, "Protocol error: too big mbulk count string"},
      {"$\0"s, "Protocol error: too big inline request"},
  };
  for (const auto& [prefix, error] : cases) {
    FeedOutcome out = Feed(prefix + lines, 1024);
    EXPECT_TRUE(out.commands.empty());
    EXPECT_TRUE(out.error);
    EXPECT_EQ(out.error_text, error);
  }
}

TEST(RequestParserTest, InlineCarriageReturnInsideLineSeparatesTokens) {
  FeedOutcome out = Feed("GET a\rb\r\n", 1000);
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Args{"GET", "a", "b"}));
}

TEST(RequestParserTest, ParserRejectsUnbalancedQuotes) {
  const char* kError = "Protocol error: unbalanced quotes in request";
  EXPECT_EQ(ErrorFor("SET \"foo\r\n"), kError);
  EXPECT_EQ(ErrorFor("SET 'foo\r\n"), kError);
  EXPECT_EQ(ErrorFor("SET \"foo\\\"\n"), kError);
  EXPECT_EQ(ErrorFor("SET 'foo\\'\n"), kError);
}

TEST(RequestParserTest, ParserRejectsClosingQuoteFollowedByNonSpace) {
  const char* kError = "Protocol error: unbalanced quotes in request";
  EXPECT_EQ(ErrorFor("SET \"foo\"bar\r\n"), kError);
  EXPECT_EQ(ErrorFor("SET 'foo'bar\r\n"), kError);
  EXPECT_EQ(ErrorFor("SET \"a\"\"b\"\r\n"), kError);
  // Followed by a space, a tab, or the end of the line is fine.
  RequestParser parser;
  EXPECT_EQ(parser.Parse("SET \"foo\"\t'bar'\r\n", {}), ParseResult::kCommand);
}

TEST(RequestParserTest, ParserRejectsTooBigInlineRequest) {
  ParserLimits limits;
  limits.max_inline_len = 16;
  RequestParser parser;
  EXPECT_EQ(parser.Parse(std::string(16, 'a'), limits), ParseResult::kIncomplete);
  EXPECT_EQ(parser.Parse(std::string(17, 'a'), limits), ParseResult::kError);
  EXPECT_EQ(parser.error(), "Protocol error: too big inline request");
  EXPECT_EQ(ErrorFor(std::string(64 * 1024 + 1, 'a')), "Protocol error: too big inline request");
}

TEST(RequestParserTest, InlineLimitAppliesOnlyWhileNoNewlineIsBuffered) {
  // Like Redis: a long line that arrives together with its newline is accepted.
  ParserLimits limits;
  limits.max_inline_len = 16;
  RequestParser parser;
  std::string line = "SET k " + std::string(40, 'v') + "\r\n";
  ASSERT_EQ(parser.Parse(line, limits), ParseResult::kCommand);
  EXPECT_EQ(parser.args()[2].size(), 40u);
}

TEST(RequestParserTest, InlineArgsStayValidAcrossStorageGrowth) {
  // Many short tokens: storage grows while splitting, and every view must still be right.
  std::string line;
  Args expected;
  for (int i = 0; i < 100; ++i) {
    expected.push_back("t" + std::to_string(i));
    line += expected.back() + " ";
  }
  FeedOutcome out = Feed(line + "\n" + line + "\n", 1 << 20);
  EXPECT_EQ(out.commands, (std::vector<Args>{expected, expected}));
}

}  // namespace
}  // namespace groupd::protocol
