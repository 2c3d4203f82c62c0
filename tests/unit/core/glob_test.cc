#include "server/glob.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace groupd {
namespace {

TEST(GlobMatchTest, LiteralPatternMatchesOnlyTheSameString) {
  EXPECT_TRUE(GlobMatch("hello", "hello"));
  EXPECT_FALSE(GlobMatch("hello", "hell"));
  EXPECT_FALSE(GlobMatch("hello", "helloo"));
  EXPECT_FALSE(GlobMatch("hello", "Hello"));  // Case-sensitive.
  EXPECT_TRUE(GlobMatch("", ""));
  EXPECT_FALSE(GlobMatch("", "a"));
  EXPECT_FALSE(GlobMatch("a", ""));
}

TEST(GlobMatchTest, StarMatchesAnySequenceIncludingEmpty) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything at all"));
  EXPECT_TRUE(GlobMatch("h*llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_FALSE(GlobMatch("h*llo", "heeeellx"));
  EXPECT_TRUE(GlobMatch("*llo", "hello"));
  EXPECT_TRUE(GlobMatch("he*", "hello"));
  EXPECT_TRUE(GlobMatch("**a**", "a"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXcYYb"));
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_FALSE(GlobMatch("*b", "aaa"));
  // Backtracking: the first "b" is not the one that lets the rest match.
  EXPECT_TRUE(GlobMatch("*bc", "abbc"));
  EXPECT_TRUE(GlobMatch("*ab*ab", "xabyabzab"));
}

TEST(GlobMatchTest, QuestionMarkMatchesExactlyOneByte) {
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h?llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_FALSE(GlobMatch("?", ""));
  EXPECT_FALSE(GlobMatch("*?", ""));
  EXPECT_TRUE(GlobMatch("*?", "x"));
  // Bytes, not characters: U+00E9 is two bytes.
  EXPECT_FALSE(GlobMatch("?", "\xc3\xa9"));
  EXPECT_TRUE(GlobMatch("??", "\xc3\xa9"));
}

TEST(GlobMatchTest, ClassMatchesListedBytes) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hllo"));
  EXPECT_TRUE(GlobMatch("[abc]", "c"));
  EXPECT_FALSE(GlobMatch("[abc]", "ab"));
}

TEST(GlobMatchTest, CaretNegatesClass) {
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_FALSE(GlobMatch("[^a]", "a"));
  EXPECT_TRUE(GlobMatch("[^a]", "b"));
  EXPECT_FALSE(GlobMatch("[^a-z]", "q"));
  EXPECT_TRUE(GlobMatch("[^a-z]", "Q"));
}

TEST(GlobMatchTest, RangesMatchInclusiveAndReversedRangesAreSwapped) {
  EXPECT_TRUE(GlobMatch("[a-z]", "a"));
  EXPECT_TRUE(GlobMatch("[a-z]", "m"));
  EXPECT_TRUE(GlobMatch("[a-z]", "z"));
  EXPECT_FALSE(GlobMatch("[a-z]", "A"));
  EXPECT_FALSE(GlobMatch("[a-z]", "{"));
  EXPECT_TRUE(GlobMatch("[z-a]", "m"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  EXPECT_TRUE(GlobMatch("[0-9a-f]x", "ex"));
  EXPECT_FALSE(GlobMatch("[0-9a-f]x", "gx"));
}

TEST(GlobMatchTest, BackslashEscapesSpecialCharacters) {
  EXPECT_TRUE(GlobMatch("h\\*llo", "h*llo"));
  EXPECT_FALSE(GlobMatch("h\\*llo", "hello"));
  EXPECT_TRUE(GlobMatch("\\?", "?"));
  EXPECT_FALSE(GlobMatch("\\?", "x"));
  EXPECT_TRUE(GlobMatch("\\[a]", "[a]"));
  EXPECT_FALSE(GlobMatch("\\[a]", "a"));
  EXPECT_TRUE(GlobMatch("\\\\", "\\"));
  EXPECT_TRUE(GlobMatch("\\a", "a"));
  // Inside a class, a backslash escapes ']' and '-'.
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  EXPECT_TRUE(GlobMatch("[a\\-z]", "-"));
  EXPECT_FALSE(GlobMatch("[a\\-z]", "m"));
}

TEST(GlobMatchTest, TrailingBackslashMatchesItself) {
  EXPECT_TRUE(GlobMatch("a\\", "a\\"));
  EXPECT_FALSE(GlobMatch("a\\", "a"));
}

TEST(GlobMatchTest, UnterminatedClassIsTreatedAsClosedAtPatternEnd) {
  EXPECT_TRUE(GlobMatch("[abc", "a"));
  EXPECT_TRUE(GlobMatch("x[abc", "xc"));
  EXPECT_FALSE(GlobMatch("[abc", "d"));
}

TEST(GlobMatchTest, MatchesGroupdReservedChannels) {
  EXPECT_TRUE(GlobMatch("__gevent__:*", "__gevent__:users/1"));
  EXPECT_FALSE(GlobMatch("__gevent__:*", "__gevent__@c:users/1"));
  EXPECT_TRUE(GlobMatch("__gevent__@*:*", "__gevent__@c:users/1"));
  EXPECT_TRUE(GlobMatch("__gdispatch__:room/?", "__gdispatch__:room/1"));
}

TEST(GlobMatchTest, ManyStarsAgainstLongNonMatchingStringFinishQuickly) {
  // A naive recursive matcher takes exponential time here; the matcher promises
  // O(pattern * string).
  std::string pattern;
  for (int i = 0; i < 40; i++) pattern += "a*";
  pattern += "b";
  std::string str(20000, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(GlobMatch(pattern, str));
  EXPECT_TRUE(GlobMatch(pattern, str + "b"));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

}  // namespace
}  // namespace groupd
