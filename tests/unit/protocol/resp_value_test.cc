#include "tests/support/resp_value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace groupd::testing {
namespace {

using namespace std::string_literals;

// Decodes exactly one complete reply, failing the test if in holds more or less.
RespValue One(std::string_view in) {
  RespValue v;
  size_t n = ParseRespValue(in, &v);
  EXPECT_EQ(n, in.size()) << "for input " << ::testing::PrintToString(std::string(in));
  return v;
}

TEST(RespValueTest, DecodesSimpleStringErrorAndInteger) {
  RespValue s = One("+OK\r\n");
  EXPECT_EQ(s.type, RespValue::kSimple);
  EXPECT_EQ(s.str, "OK");
  EXPECT_TRUE(s.IsString("OK"));
  RespValue e = One("-ERR no\r\n");
  EXPECT_EQ(e.type, RespValue::kError);
  EXPECT_EQ(e.str, "ERR no");
  RespValue i = One(":-12\r\n");
  EXPECT_EQ(i.type, RespValue::kInteger);
  EXPECT_EQ(i.integer, -12);
}

TEST(RespValueTest, DecodesBinaryBulk) {
  RespValue b = One("$5\r\na\0\r\nb\r\n"s);
  EXPECT_EQ(b.type, RespValue::kBulk);
  EXPECT_EQ(b.str, "a\0\r\nb"s);
  EXPECT_EQ(One("$0\r\n\r\n").str, "");
}

TEST(RespValueTest, DistinguishesTheThreeNulls) {
  RespValue bulk = One("$-1\r\n");
  RespValue array = One("*-1\r\n");
  RespValue resp3 = One("_\r\n");
  EXPECT_TRUE(bulk.IsNull() && bulk.IsNullBulk() && !bulk.IsNullArray());
  EXPECT_TRUE(array.IsNull() && array.IsNullArray() && !array.IsNullBulk());
  EXPECT_TRUE(resp3.IsNull() && !resp3.IsNullArray() && !resp3.IsNullBulk());
  EXPECT_EQ(bulk.ToString(), "(nil)");
  EXPECT_EQ(array.ToString(), "(nil array)");
}

TEST(RespValueTest, DecodesAggregates) {
  RespValue a = One("*2\r\n:1\r\n*1\r\n+x\r\n");
  ASSERT_EQ(a.type, RespValue::kArray);
  ASSERT_EQ(a.elems.size(), 2u);
  EXPECT_EQ(a.elems[1].elems[0].str, "x");
  RespValue m = One("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n");
  ASSERT_EQ(m.type, RespValue::kMap);
  ASSERT_EQ(m.elems.size(), 4u);
  EXPECT_EQ(m.elems[2].str, "b");
  EXPECT_EQ(m.elems[3].integer, 2);
  EXPECT_EQ(One("~1\r\n+a\r\n").type, RespValue::kSet);
  RespValue p = One(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  EXPECT_EQ(p.type, RespValue::kPush);
  EXPECT_EQ(p.ToString(), ">[\"message\", \"ch\", \"hi\"]");
  EXPECT_EQ(One("*0\r\n").elems.size(), 0u);
}

TEST(RespValueTest, DecodesResp3Scalars) {
  EXPECT_EQ(One(",1.25\r\n").dbl, 1.25);
  EXPECT_EQ(One(",inf\r\n").dbl, HUGE_VAL);
  EXPECT_EQ(One(",-inf\r\n").dbl, -HUGE_VAL);
  EXPECT_TRUE(std::isnan(One(",nan\r\n").dbl));
  EXPECT_EQ(One(",1e+100\r\n").dbl, 1e100);
  EXPECT_TRUE(One("#t\r\n").boolean);
  EXPECT_FALSE(One("#f\r\n").boolean);
  RespValue big = One("(3492890328409238509324850943850943825024385\r\n");
  EXPECT_EQ(big.type, RespValue::kBigNumber);
  EXPECT_EQ(big.str, "3492890328409238509324850943850943825024385");
  RespValue verbatim = One("=15\r\ntxt:Some string\r\n");
  EXPECT_EQ(verbatim.type, RespValue::kVerbatim);
  EXPECT_EQ(verbatim.format, "txt");
  EXPECT_EQ(verbatim.str, "Some string");
  RespValue blob_error = One("!21\r\nSYNTAX invalid syntax\r\n");
  EXPECT_EQ(blob_error.type, RespValue::kError);
  EXPECT_EQ(blob_error.str, "SYNTAX invalid syntax");
}

TEST(RespValueTest, AttributesAttachToTheFollowingValue) {
  RespValue v = One("|1\r\n+ttl\r\n:3600\r\n*2\r\n:1\r\n:2\r\n");
  ASSERT_EQ(v.type, RespValue::kArray);
  EXPECT_EQ(v.elems.size(), 2u);
  ASSERT_EQ(v.attributes.size(), 2u);
  EXPECT_EQ(v.attributes[0].str, "ttl");
  EXPECT_EQ(v.attributes[1].integer, 3600);
}

TEST(RespValueTest, EveryProperPrefixIsIncomplete) {
  const std::string reply =
      "*4\r\n$3\r\nfoo\r\n%1\r\n+k\r\n,2.5\r\n|1\r\n+a\r\n+b\r\n=7\r\ntxt:abc\r\n_\r\n";
  for (size_t len = 0; len < reply.size(); ++len) {
    RespValue v;
    EXPECT_EQ(ParseRespValue(std::string_view(reply).substr(0, len), &v), 0u) << len;
  }
  RespValue v;
  EXPECT_EQ(ParseRespValue(reply + "+next\r\n", &v), reply.size());
}

TEST(RespValueTest, MalformedInputThrows) {
  for (const char* in :
       {"?\r\n", ":abc\r\n", ":\r\n", "$-2\r\n", "$3\r\nfooXY", "*-2\r\n", "#x\r\n", ",abc\r\n",
        "(12a\r\n", "=3\r\ntxt\r\n", "_x\r\n", "+a\rb\r\n", "%-1\r\n"}) {
    RespValue v;
    EXPECT_THROW(ParseRespValue(in, &v), std::runtime_error) << in;
  }
}

TEST(RespValueTest, ParseAllRepliesReturnsEachReply) {
  std::vector<RespValue> replies = ParseAllReplies("+OK\r\n:1\r\n$-1\r\n*1\r\n+x\r\n");
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(replies[1].integer, 1);
  EXPECT_TRUE(replies[2].IsNullBulk());
  EXPECT_TRUE(ParseAllReplies("").empty());
}

TEST(RespValueTest, ParseAllRepliesThrowsOnTrailingPartialReply) {
  EXPECT_THROW(ParseAllReplies("+OK\r\n$5\r\nab"), std::runtime_error);
}

TEST(RespValueTest, ToStringQuotesAndEscapesBulks) {
  EXPECT_EQ(One("$6\r\na\"\\\n\x01\xff\r\n").ToString(), "\"a\\\"\\\\\\n\\x01\\xff\"");
  EXPECT_EQ(One(":5\r\n").ToString(), "(integer) 5");
  EXPECT_EQ(One("%1\r\n+k\r\n#f\r\n").ToString(), "{+k => (false)}");
  EXPECT_EQ(One("(123\r\n").ToString(), "(bignum) 123");
  EXPECT_EQ(One("|1\r\n+a\r\n+b\r\n:1\r\n").ToString(), "|{+a => +b} (integer) 1");
}

TEST(RespValueTest, EqualityComparesStructure) {
  EXPECT_EQ(One("*2\r\n+a\r\n:1\r\n"), One("*2\r\n+a\r\n:1\r\n"));
  EXPECT_NE(One("*2\r\n+a\r\n:1\r\n"), One("*2\r\n+a\r\n:2\r\n"));
  EXPECT_NE(One("+a\r\n"), One("$1\r\na\r\n"));
}

}  // namespace
}  // namespace groupd::testing
