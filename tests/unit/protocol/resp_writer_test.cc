#include "protocol/resp_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/resp_value.h"

namespace groupd::protocol {
namespace {

using namespace std::string_literals;

using groupd::testing::ParseAllReplies;
using groupd::testing::RespValue;

// Runs write against a fresh RESP2 writer and a fresh RESP3 writer and returns both outputs.
template <typename Fn>
std::pair<std::string, std::string> Both(Fn write) {
  std::string out2, out3;
  ReplyWriter w2(&out2, 2), w3(&out3, 3);
  write(w2);
  write(w3);
  return {out2, out3};
}

using Outputs = std::pair<std::string, std::string>;

TEST(ReplyWriterTest, ReserveAndCommitAppendWhatWasFramed) {
  std::string long_value(150, 'v');  // A three-digit length.
  std::string out;
  ReplyWriter w(&out);
  w.Bulk("before");
  char* p = w.Reserve(3 * kMaxFrameOverhead + 200);
  p = PutHeader(p, '*', 2);
  p = PutBulk(p, "");
  p = PutBulk(p, long_value);
  w.Commit(p);
  w.Integer(7);
  EXPECT_EQ(out, "$6\r\nbefore\r\n*2\r\n$0\r\n\r\n$150\r\n" + long_value + "\r\n:7\r\n");
}

TEST(PutHeaderTest, WritesEveryDigitCount) {
  for (size_t n : {size_t{0}, size_t{9}, size_t{10}, size_t{99}, size_t{100}, size_t{12345},
                   std::numeric_limits<size_t>::max()}) {
    char buf[kMaxFrameOverhead];
    char* end = PutHeader(buf, '$', n);
    EXPECT_EQ(std::string(buf, end), "$" + std::to_string(n) + "\r\n");
  }
}

TEST(ReplyWriterTest, PutEachFramesEveryElementAcrossRuns) {
  // Elements of up to 2 KB, 100 KB in all: several runs of the 16 KB chunk, and one element
  // larger than a chunk, which gets a run of its own.
  std::vector<std::string> items;
  for (int i = 0; i < 100; i++) items.push_back(std::string(static_cast<size_t>(i * 20), 'a' + i % 26));
  items.insert(items.begin() + 50, std::string(40000, 'z'));
  std::string expected, out;
  for (const auto& s : items) expected += "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
  ReplyWriter w(&out);
  w.PutEach(
      items.begin(), items.end(),
      [](const std::string& s) { return s.size() + kMaxFrameOverhead; },
      [](char* p, const std::string& s) { return PutBulk(p, s); });
  EXPECT_EQ(out, expected);
  // An empty range writes nothing.
  std::vector<std::string> none;
  w.PutEach(none.begin(), none.end(), [](const std::string&) { return size_t{0}; },
            [](char* p, const std::string&) { return p; });
  EXPECT_EQ(out, expected);
}

TEST(ReplyWriterTest, BulkFramesShortAndLongStringsAlike) {
  std::string out;
  ReplyWriter w(&out);
  for (size_t n : {0, 1, 9, 10, 95, 96, 99, 100, 1000}) {
    out.clear();
    std::string s(n, 'x');
    w.Bulk(s);
    EXPECT_EQ(out, "$" + std::to_string(n) + "\r\n" + s + "\r\n") << n;
  }
}

TEST(ReplyWriterTest, DefaultsToResp2) {
  std::string out;
  ReplyWriter w(&out);
  EXPECT_EQ(w.proto(), 2);
  EXPECT_FALSE(w.resp3());
  EXPECT_EQ(w.buffer(), &out);
  w.set_proto(3);
  EXPECT_TRUE(w.resp3());
}

TEST(ReplyWriterTest, AppendsWithoutClearingBuffer) {
  std::string out = "existing";
  ReplyWriter w(&out);
  w.Ok();
  w.Integer(1);
  EXPECT_EQ(out, "existing+OK\r\n:1\r\n");
}

TEST(ReplyWriterTest, SimpleStringAndOkAreTheSameInBothProtocols) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.SimpleString("PONG"); }),
            Outputs("+PONG\r\n", "+PONG\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.SimpleString(""); }), Outputs("+\r\n", "+\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Ok(); }), Outputs("+OK\r\n", "+OK\r\n"));
}

TEST(ReplyWriterTest, SimpleStringReplacesLineBreaksWithSpaces) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.SimpleString("a\r\nb\nc\r"); }),
            Outputs("+a  b c \r\n", "+a  b c \r\n"));
}

TEST(ReplyWriterTest, ErrorWritesMessageWithItsOwnCode) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Error("ERR unknown command"); }),
            Outputs("-ERR unknown command\r\n", "-ERR unknown command\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Error("WRONGTYPE Operation"); }),
            Outputs("-WRONGTYPE Operation\r\n", "-WRONGTYPE Operation\r\n"));
}

TEST(ReplyWriterTest, ErrorReplacesLineBreaksWithSpaces) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Error("ERR bad\r\nthing\n"); }),
            Outputs("-ERR bad  thing \r\n", "-ERR bad  thing \r\n"));
}

TEST(ReplyWriterTest, IntegerCoversFullRange) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Integer(0); }), Outputs(":0\r\n", ":0\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Integer(-42); }), Outputs(":-42\r\n", ":-42\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Integer(INT64_MAX); }),
            Outputs(":9223372036854775807\r\n", ":9223372036854775807\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Integer(INT64_MIN); }),
            Outputs(":-9223372036854775808\r\n", ":-9223372036854775808\r\n"));
}

TEST(ReplyWriterTest, BulkIsLengthPrefixedAndBinarySafe) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Bulk("hello"); }),
            Outputs("$5\r\nhello\r\n", "$5\r\nhello\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Bulk(""); }), Outputs("$0\r\n\r\n", "$0\r\n\r\n"));
  std::string binary = "a\0\r\nb"s;
  std::string expected = "$5\r\n" + binary + "\r\n";
  EXPECT_EQ(Both([&](ReplyWriter& w) { w.Bulk(binary); }), Outputs(expected, expected));
}

TEST(ReplyWriterTest, NullDependsOnProtocol) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Null(); }), Outputs("$-1\r\n", "_\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.NullArray(); }), Outputs("*-1\r\n", "_\r\n"));
}

TEST(ReplyWriterTest, AggregateHeadersDependOnProtocol) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Array(3); }), Outputs("*3\r\n", "*3\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Array(0); }), Outputs("*0\r\n", "*0\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Map(2); }), Outputs("*4\r\n", "%2\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Map(0); }), Outputs("*0\r\n", "%0\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Set(5); }), Outputs("*5\r\n", "~5\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Push(3); }), Outputs("*3\r\n", ">3\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Array(1234567890123); }),
            Outputs("*1234567890123\r\n", "*1234567890123\r\n"));
}

TEST(ReplyWriterTest, DoubleIsShortestRoundTripText) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Double(1.5); }), Outputs("$3\r\n1.5\r\n", ",1.5\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Double(0.1); }), Outputs("$3\r\n0.1\r\n", ",0.1\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Double(3); }), Outputs("$1\r\n3\r\n", ",3\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Double(-2.25); }),
            Outputs("$5\r\n-2.25\r\n", ",-2.25\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Double(1e100); }),
            Outputs("$6\r\n1e+100\r\n", ",1e+100\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Double(1.0 / 3); }),
            Outputs("$18\r\n0.3333333333333333\r\n", ",0.3333333333333333\r\n"));
}

TEST(ReplyWriterTest, DoubleSpellsInfinityAndNanPortably) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Both([&](ReplyWriter& w) { w.Double(inf); }), Outputs("$3\r\ninf\r\n", ",inf\r\n"));
  EXPECT_EQ(Both([&](ReplyWriter& w) { w.Double(-inf); }), Outputs("$4\r\n-inf\r\n", ",-inf\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Double(std::nan("")); }),
            Outputs("$3\r\nnan\r\n", ",nan\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Double(-std::nan("")); }),
            Outputs("$3\r\nnan\r\n", ",nan\r\n"));
}

TEST(ReplyWriterTest, DoubleTextReadsBackAsTheSameValue) {
  for (double d : {0.1, 1e-300, 123456789.123456789, -7.0e22, 5e-324, 1.7976931348623157e308}) {
    std::string out;
    ReplyWriter w(&out, 3);
    w.Double(d);
    std::vector<RespValue> replies = ParseAllReplies(out);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].dbl, d) << out;
  }
}

TEST(ReplyWriterTest, BoolDependsOnProtocol) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Bool(true); }), Outputs(":1\r\n", "#t\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Bool(false); }), Outputs(":0\r\n", "#f\r\n"));
}

TEST(ReplyWriterTest, VerbatimIsPlainBulkInResp2) {
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Verbatim("txt", "Some string"); }),
            Outputs("$11\r\nSome string\r\n", "=15\r\ntxt:Some string\r\n"));
  EXPECT_EQ(Both([](ReplyWriter& w) { w.Verbatim("mkd", ""); }),
            Outputs("$0\r\n\r\n", "=4\r\nmkd:\r\n"));
}

// --- Round trips through the test decoder ----------------------------------------------------

// Writes a reply that uses every method, nested, in the given protocol.
std::string WriteEverything(int proto) {
  std::string out;
  ReplyWriter w(&out, proto);
  w.Array(12);
  w.SimpleString("OK");
  w.Error("ERR oops");
  w.Integer(-7);
  w.Bulk("bin\0ary"s);
  w.Null();
  w.NullArray();
  w.Map(2);
  w.Bulk("k1");
  w.Double(2.5);
  w.Bulk("k2");
  w.Set(2);
  w.Bulk("a");
  w.Bulk("b");
  w.Push(2);
  w.Bulk("message");
  w.Bool(true);
  w.Verbatim("txt", "hello");
  w.Ok();
  w.Array(0);
  w.Double(-std::numeric_limits<double>::infinity());
  return out;
}

TEST(ReplyWriterTest, Resp3OutputDecodesToTheWrittenValues) {
  std::vector<RespValue> replies = ParseAllReplies(WriteEverything(3));
  ASSERT_EQ(replies.size(), 1u);
  const RespValue& r = replies[0];
  ASSERT_EQ(r.type, RespValue::kArray);
  ASSERT_EQ(r.elems.size(), 12u);
  EXPECT_EQ(r.elems[0].type, RespValue::kSimple);
  EXPECT_EQ(r.elems[0].str, "OK");
  EXPECT_EQ(r.elems[1].type, RespValue::kError);
  EXPECT_EQ(r.elems[1].str, "ERR oops");
  EXPECT_EQ(r.elems[2].integer, -7);
  EXPECT_EQ(r.elems[3].str, "bin\0ary"s);
  EXPECT_TRUE(r.elems[4].IsNull());
  EXPECT_TRUE(r.elems[5].IsNull());
  ASSERT_EQ(r.elems[6].type, RespValue::kMap);
  ASSERT_EQ(r.elems[6].elems.size(), 4u);
  EXPECT_EQ(r.elems[6].elems[1].type, RespValue::kDouble);
  EXPECT_EQ(r.elems[6].elems[1].dbl, 2.5);
  EXPECT_EQ(r.elems[6].elems[3].type, RespValue::kSet);
  EXPECT_EQ(r.elems[7].type, RespValue::kPush);
  EXPECT_EQ(r.elems[7].elems[1].type, RespValue::kBool);
  EXPECT_TRUE(r.elems[7].elems[1].boolean);
  EXPECT_EQ(r.elems[8].type, RespValue::kVerbatim);
  EXPECT_EQ(r.elems[8].format, "txt");
  EXPECT_EQ(r.elems[8].str, "hello");
  EXPECT_EQ(r.elems[11].dbl, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(r.ToString(),
            "[+OK, (error) ERR oops, (integer) -7, \"bin\\x00ary\", (nil), (nil), "
            "{\"k1\" => (double) 2.5, \"k2\" => ~{\"a\", \"b\"}}, >[\"message\", (true)], "
            "(verbatim txt) \"hello\", +OK, [], (double) -inf]");
}

TEST(ReplyWriterTest, Resp2OutputDecodesToFlattenedValues) {
  std::vector<RespValue> replies = ParseAllReplies(WriteEverything(2));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].ToString(),
            "[+OK, (error) ERR oops, (integer) -7, \"bin\\x00ary\", (nil), (nil array), "
            "[\"k1\", \"2.5\", \"k2\", [\"a\", \"b\"]], [\"message\", (integer) 1], \"hello\", "
            "+OK, [], \"-inf\"]");
  EXPECT_TRUE(replies[0].elems[4].IsNullBulk());
  EXPECT_TRUE(replies[0].elems[5].IsNullArray());
}

}  // namespace
}  // namespace groupd::protocol
