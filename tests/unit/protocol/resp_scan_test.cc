// The load generator's reply framing (tools/loadgen/resp_scan.cc): what it counts as one reply
// decides every figure the benchmarks report, so it is held to the RESP grammar here.
#include "tools/loadgen/resp_scan.h"

#include <gtest/gtest.h>

#include <string>

namespace groupd::loadgen {
namespace {

using Status = ScanResult::Status;

// Scans `reply` followed by a second reply: the first must be framed exactly, and every strict
// prefix of it must be incomplete (never complete early, never malformed).
void ExpectFrames(const std::string& reply, char type, bool is_error) {
  std::string two = reply + "+NEXT\r\n";
  ScanResult r = ScanReply(two.data(), two.size());
  ASSERT_EQ(r.status, Status::kComplete) << reply;
  EXPECT_EQ(r.consumed, reply.size()) << reply;
  EXPECT_EQ(r.type, type) << reply;
  EXPECT_EQ(r.is_error, is_error) << reply;
  for (size_t n = 0; n < reply.size(); n++) {
    EXPECT_EQ(ScanReply(reply.data(), n).status, Status::kIncomplete) << reply << " cut at " << n;
  }
}

TEST(ScanReplyTest, FramesEveryType) {
  ExpectFrames("+OK\r\n", '+', false);
  ExpectFrames("-ERR no\r\n", '-', true);
  ExpectFrames(":-12\r\n", ':', false);
  ExpectFrames("$5\r\nab\r\nc\r\n", '$', false);  // Bulk bytes may hold CRLF.
  ExpectFrames("$0\r\n\r\n", '$', false);
  ExpectFrames("$-1\r\n", '$', false);
  ExpectFrames("*-1\r\n", '*', false);
  ExpectFrames("$12\r\n0123456789ab\r\n", '$', false);
  ExpectFrames("!3\r\nbad\r\n", '!', true);
  ExpectFrames("=7\r\ntxt:abc\r\n", '=', false);
  ExpectFrames("_\r\n", '_', false);
  ExpectFrames("#t\r\n", '#', false);
  ExpectFrames(",1.5\r\n", ',', false);
  ExpectFrames("(123\r\n", '(', false);
  // A GMEMBERS-shaped reply: array of [pid, map] in RESP3.
  ExpectFrames("*2\r\n*2\r\n$3\r\np@1\r\n%1\r\n$4\r\nhost\r\n$2\r\nh1\r\n"
               "*2\r\n$3\r\np@2\r\n%0\r\n",
               '*', false);
  ExpectFrames(">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n", '>', false);
  ExpectFrames("~2\r\n:1\r\n:2\r\n", '~', false);
  // An error inside an aggregate does not make the reply an error.
  ExpectFrames("*2\r\n-ERR x\r\n:1\r\n", '*', false);
  // An attribute decorates the value after it, which is the reply.
  ExpectFrames("|1\r\n$1\r\na\r\n:1\r\n-ERR after attr\r\n", '-', true);
}

TEST(ScanReplyTest, RejectsMalformedHeaders) {
  for (std::string bad : {"$\r\n", "$x\r\n", "$1x\r\n", "*2\rX", "%-1\r\n", "!-1\r\n",
                          "$12345678901234567890\r\n", "?\r\n", "$3\n\r\n"}) {
    EXPECT_EQ(ScanReply(bad.data(), bad.size()).status, Status::kMalformed) << bad;
  }
  std::string deep;
  for (int i = 0; i < 70; i++) deep += "*1\r\n";
  deep += ":1\r\n";
  EXPECT_EQ(ScanReply(deep.data(), deep.size()).status, Status::kMalformed);
}

TEST(ReplyScannerTest, AReplyEqualToTheLastIsFramedAsItWasAndOthersAreScanned) {
  ReplyScanner scanner;
  const std::string members = "*2\r\n$3\r\np@1\r\n%1\r\n$4\r\nhost\r\n$2\r\nh1\r\n";
  std::string stream = members + members + "-ERR x\r\n" + members.substr(0, 10);
  size_t pos = 0;
  auto next = [&] { return scanner.Next(stream.data() + pos, stream.size() - pos); };
  for (int i = 0; i < 2; i++) {  // Scanned, then remembered.
    ScanResult r = next();
    ASSERT_EQ(r.status, Status::kComplete);
    EXPECT_EQ(r.consumed, members.size());
    EXPECT_EQ(r.type, '*');
    EXPECT_FALSE(r.is_error);
    pos += r.consumed;
  }
  ScanResult err = next();  // Different bytes: scanned, and now the one remembered.
  ASSERT_EQ(err.status, Status::kComplete);
  EXPECT_TRUE(err.is_error);
  EXPECT_EQ(err.consumed, 8u);
  pos += err.consumed;
  EXPECT_EQ(next().status, Status::kIncomplete);  // A cut-off reply is never taken as whole.
  // A reply that starts like the remembered one but goes on differently is scanned.
  ReplyScanner s2;
  std::string a = "$2\r\nab\r\n", b = "$3\r\nabc\r\n";
  EXPECT_EQ(s2.Next(a.data(), a.size()).consumed, a.size());
  EXPECT_EQ(s2.Next(b.data(), b.size()).consumed, b.size());
  std::string bad = "$2\rXab\r\n";  // Malformed input is scanned, and rejected.
  EXPECT_EQ(s2.Next(bad.data(), bad.size()).status, Status::kMalformed);
}

}  // namespace
}  // namespace groupd::loadgen
