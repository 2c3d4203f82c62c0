// In-process tests of MULTI / EXEC / DISCARD: Redis's replies and errors, what runs when, and the
// frames a transaction must never split (its own events) or lose.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "server/errors.h"
#include "tests/inproc/harness.h"
#include "tests/support/resp_builders.h"

namespace groupd {
namespace {

using testing::Arr;
using testing::Bulk;
using testing::Err;
using testing::InProcServer;
using testing::Int;
using testing::RespValue;
using testing::Simple;

const RespValue kOk = Simple("OK");
const RespValue kQueued = Simple("QUEUED");

class TransactionTest : public ::testing::Test {
 protected:
  RespValue Run(Client& c, std::initializer_list<std::string_view> args) {
    return srv_.Run(c, args);
  }
  // The pid GLOOKUP reports for key, or "" when it is not registered.
  std::string Owner(std::string_view key) {
    RespValue v = Run(observer(), {"GLOOKUP", key});
    return v.type == RespValue::kArray ? v.elems.at(0).str : "";
  }
  Client& observer() {
    if (observer_ == nullptr) observer_ = &srv_.NewClient();
    return *observer_;
  }

  InProcServer srv_;
  Client* observer_ = nullptr;
};

TEST_F(TransactionTest, QueuedCommandsRunOnlyAtExecAndReplyAsOneArray) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  const uint64_t after_multi = srv_.server().stats().total_commands;
  EXPECT_EQ(Run(c, {"GREG", "a", "META", "x", "1"}), kQueued);
  EXPECT_EQ(Run(c, {"GJOIN", "g"}), kQueued);
  EXPECT_EQ(Run(c, {"GCOUNT", "g"}), kQueued);
  EXPECT_EQ(Run(c, {"PING"}), kQueued);
  EXPECT_EQ(srv_.server().stats().total_commands, after_multi) << "queueing is not a call";
  EXPECT_EQ(Owner("a"), "") << "nothing runs before EXEC";
  EXPECT_EQ(Run(observer(), {"GCOUNT", "g"}), Int(0));

  const uint64_t calls = srv_.server().stats().total_commands;
  EXPECT_EQ(Run(c, {"EXEC"}), Arr({kOk, kOk, Int(1), Simple("PONG")}));
  // As Redis counts calls: EXEC and the four it ran; queueing counted nothing.
  EXPECT_EQ(srv_.server().stats().total_commands, calls + 5);
  EXPECT_EQ(Owner("a"), c.owner.pid.view());
  EXPECT_EQ(c.multi, nullptr);
  EXPECT_EQ(Run(c, {"EXEC"}), Err(errors::kExecWithoutMulti)) << "EXEC ends the transaction";
}

TEST_F(TransactionTest, AnEmptyTransactionRepliesWithAnEmptyArray) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"EXEC"}), Arr({}));
}

TEST_F(TransactionTest, ErrorsOfRunningCommandsAreElementsAndTheOthersStillRun) {
  Client& c = srv_.NewClient();
  Client& other = srv_.NewClient();
  ASSERT_EQ(Run(other, {"GREG", "taken"}), kOk);
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"GREG", "taken"}), kQueued);
  EXPECT_EQ(Run(c, {"GREG", "mine", "META", "odd"}), kQueued);  // Checked when it runs.
  EXPECT_EQ(Run(c, {"GREG", "mine"}), kQueued);
  RespValue r = Run(c, {"EXEC"});
  ASSERT_EQ(r.type, RespValue::kArray);
  ASSERT_EQ(r.elems.size(), 3u);
  EXPECT_EQ(r.elems[0].type, RespValue::kError);
  EXPECT_EQ(r.elems[0].str.rfind("TAKEN ", 0), 0u) << r.elems[0];
  EXPECT_EQ(r.elems[1], Err(errors::kMetaPairs));
  EXPECT_EQ(r.elems[2], kOk);
  EXPECT_EQ(Owner("mine"), c.owner.pid.view());
}

TEST_F(TransactionTest, ACommandRefusedWhileQueuedAbortsTheWholeTransaction) {
  struct Case {
    std::vector<std::string_view> bad;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"NOSUCH", "x"}, "ERR unknown command 'NOSUCH', with args beginning with: 'x' "},
      {{"GREG"}, "ERR wrong number of arguments for 'greg' command"},
      {{"CLIENT", "NOSUCH"}, "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."},
      {{"SUBSCRIBE", "ch"}, errors::kNotInTransaction},
      {{"CLIENT", "REPLY", "OFF"}, errors::kNotInTransaction},
      {{"HELLO", "3"}, errors::kNotInTransaction},
      {{"SHUTDOWN"}, errors::kNotInTransaction},
      {{"GMONITOR", "*"}, errors::kNotInTransaction},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(std::string(k.bad[0]));
    Client& c = srv_.NewClient();
    EXPECT_EQ(Run(c, {"MULTI"}), kOk);
    EXPECT_EQ(Run(c, {"GREG", "aborted"}), kQueued);
    EXPECT_EQ(srv_.Run(c, k.bad), Err(k.error));
    EXPECT_EQ(Run(c, {"GJOIN", "aborted-group"}), kQueued) << "queueing goes on after an error";
    EXPECT_EQ(Run(c, {"EXEC"}), Err(errors::kExecAbort));
    EXPECT_EQ(Owner("aborted"), "");
    EXPECT_EQ(Run(observer(), {"GCOUNT", "aborted-group"}), Int(0));
    EXPECT_EQ(c.subscription_count(), 0u);
    EXPECT_EQ(c.proto(), 2);
    // The failed EXEC ended the transaction.
    EXPECT_EQ(Run(c, {"GREG", "after"}), kOk);
    EXPECT_EQ(Run(c, {"GUNREG", "after"}), kOk);
  }
}

TEST_F(TransactionTest, NestedMultiIsAnErrorThatKeepsTheTransaction) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"GREG", "k"}), kQueued);
  EXPECT_EQ(Run(c, {"MULTI"}), Err(errors::kMultiNested));
  EXPECT_EQ(Run(c, {"EXEC"}), Arr({kOk}));
}

TEST_F(TransactionTest, DiscardDropsTheQueue) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"DISCARD"}), Err(errors::kDiscardWithoutMulti));
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"GREG", "k"}), kQueued);
  EXPECT_EQ(Run(c, {"DISCARD"}), kOk);
  EXPECT_EQ(Owner("k"), "");
  EXPECT_EQ(Run(c, {"EXEC"}), Err(errors::kExecWithoutMulti));
  EXPECT_EQ(Run(c, {"GREG", "k"}), kOk) << "commands run at once again";
}

TEST_F(TransactionTest, ResetDropsTheTransaction) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"GREG", "k"}), kQueued);
  EXPECT_EQ(Run(c, {"RESET"}), Simple("RESET"));
  EXPECT_EQ(Run(c, {"EXEC"}), Err(errors::kExecWithoutMulti));
  EXPECT_EQ(Owner("k"), "");
}

TEST_F(TransactionTest, QuitRunsAtOnceInsideMulti) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"QUIT"}), kOk);
  EXPECT_TRUE(c.close_after_reply);
}

TEST_F(TransactionTest, ClientListShowsTheQueue) {
  Client& c = srv_.NewClient();
  auto line = [&] { return Run(c, {"CLIENT", "INFO"}).str; };
  EXPECT_NE(line().find(" flags=N "), std::string::npos);
  EXPECT_NE(line().find(" multi=-1 "), std::string::npos);
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"GREG", "k"}), kQueued);
  EXPECT_EQ(Run(c, {"GREG", "l"}), kQueued);
  Client& other = srv_.NewClient();
  std::string list = Run(other, {"CLIENT", "LIST", "ID", std::to_string(c.id)}).str;
  EXPECT_NE(list.find(" flags=x "), std::string::npos) << list;
  EXPECT_NE(list.find(" multi=2 "), std::string::npos) << list;
  EXPECT_EQ(list.find(" multi-mem=0 "), std::string::npos) << list;
}

// A RESP3 client that monitors its own keys gets its events as push frames after EXEC's array,
// never inside it, where a client library would take them for replies.
TEST_F(TransactionTest, OwnEventsFollowTheExecArrayInResp3) {
  Client& c = srv_.NewClient();
  c.writer.set_proto(3);
  ASSERT_EQ(srv_.RunMulti(c, {"GMONITOR", "*"}).size(), 1u);
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"GREG", "a"}), kQueued);
  EXPECT_EQ(Run(c, {"GJOIN", "g"}), kQueued);
  EXPECT_EQ(Run(c, {"GLOOKUP", "a"}), kQueued);
  std::vector<RespValue> frames = srv_.RunMulti(c, {"EXEC"});
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].type, RespValue::kArray);
  ASSERT_EQ(frames[0].elems.size(), 3u);
  EXPECT_EQ(frames[0].elems[0], kOk);
  EXPECT_EQ(frames[0].elems[1], kOk);
  EXPECT_EQ(frames[0].elems[2].type, RespValue::kArray);
  for (size_t i = 1; i < 3; i++) {
    EXPECT_EQ(frames[i].type, RespValue::kPush);
    EXPECT_EQ(frames[i].elems.at(1), Bulk("__gevent__:*"));
  }
  EXPECT_NE(frames[1].elems.at(2).str.find("\"registered\""), std::string::npos);
  EXPECT_NE(frames[2].elems.at(2).str.find("\"joined\""), std::string::npos);
}

TEST_F(TransactionTest, OverMaxmemoryQueueingIsRefusedAndAbortsExec) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  srv_.server().config().maxmemory = 1;  // Any real process is over one byte.
  EXPECT_EQ(Run(c, {"GLOOKUP", "k"}), Err(errors::kOom));
  EXPECT_EQ(Run(c, {"EXEC"}), Err(errors::kExecAbort));
  srv_.server().config().maxmemory = 0;
}

TEST_F(TransactionTest, ExecOfCommandsThatAddDataIsAbortedOverMaxmemory) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"GREG", "k"}), kQueued);
  srv_.server().config().maxmemory = 1;
  EXPECT_EQ(Run(c, {"EXEC"}),
            Err(std::string("EXECABORT Transaction discarded because of: ") + errors::kOom));
  EXPECT_EQ(Owner("k"), "");
  // Reads and deletions still run in a transaction over maxmemory.
  srv_.server().config().maxmemory = 0;
  ASSERT_EQ(Run(c, {"GREG", "k"}), kOk);
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"GUNREG", "k"}), kQueued);
  srv_.server().config().maxmemory = 1;
  EXPECT_EQ(Run(c, {"EXEC"}), Arr({kOk}));
  srv_.server().config().maxmemory = 0;
  EXPECT_EQ(Owner("k"), "");
}

TEST_F(TransactionTest, AQueueOverTheQueryBufferLimitClosesTheClient) {
  srv_.server().config().client_query_buffer_limit = 64 * 1024;
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  const std::string meta(1000, 'm');
  int queued = 0;
  while (!c.close_asap && queued < 1000) {
    srv_.RunMulti(c, {"GREG", "k", "META", "f", meta});
    queued++;
  }
  EXPECT_TRUE(c.close_asap);
  EXPECT_GT(queued, 30);
  EXPECT_LT(queued, 80);
  EXPECT_EQ(c.multi, nullptr) << "the queue is freed at once";
  EXPECT_EQ(srv_.server().stats().query_buffer_disconnects, 1u);
}

TEST_F(TransactionTest, AClientThatKillsItselfGetsEveryReplyAndLosesEverything) {
  Client& c = srv_.NewClient();
  EXPECT_EQ(Run(c, {"GREG", "held"}), kOk);
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"CLIENT", "KILL", "ID", std::to_string(c.id), "SKIPME", "no"}), kQueued);
  EXPECT_EQ(Run(c, {"GREG", "late"}), kQueued);
  EXPECT_EQ(Run(c, {"EXEC"}), Arr({Int(1), kOk}));
  EXPECT_TRUE(c.close_after_reply);
  EXPECT_EQ(Owner("held"), "") << "killed: its entries went at once";
  srv_.Close(c, c.close_reason);
  EXPECT_EQ(Owner("late"), "") << "what it registered after the kill went when it closed";
}

// As in Redis, a transaction runs completely even when an output limit closes its connection
// halfway: here its own event, delivered while its large reply is still in the output, does.
TEST_F(TransactionTest, ATransactionRunsCompletelyEvenWhenAnOutputLimitClosesItsConnection) {
  Client& member = srv_.NewClient();
  ASSERT_EQ(Run(member, {"GJOIN", "big", "META", "f", std::string(4000, 'x')}), kOk);
  Client& c = srv_.NewClient();
  c.writer.set_proto(3);
  ASSERT_EQ(srv_.RunMulti(c, {"GMONITOR", "*"}).size(), 1u);
  EXPECT_EQ(Run(c, {"MULTI"}), kOk);
  EXPECT_EQ(Run(c, {"GMEMBERS", "big"}), kQueued);
  EXPECT_EQ(Run(c, {"GREG", "before-close"}), kQueued);
  EXPECT_EQ(Run(c, {"GREG", "after-close"}), kQueued);
  srv_.server().config().obuf_pubsub.hard = 2000;
  srv_.server().Execute(c, std::vector<std::string_view>{"EXEC"});
  srv_.server().config().obuf_pubsub.hard = 0;
  EXPECT_TRUE(c.close_asap);
  EXPECT_EQ(srv_.server().stats().obuf_disconnects_pubsub, 1u);
  EXPECT_EQ(Owner("before-close"), "") << "closed: its entries went at once";
  EXPECT_EQ(Owner("after-close"), c.owner.pid.view()) << "the last command ran too";
  srv_.Close(c);
  EXPECT_EQ(Owner("after-close"), "") << "and its entry went when the connection closed";
}

TEST_F(TransactionTest, PermissionsAreCheckedWhenQueuedAndAgainAtExec) {
  Client& admin = srv_.NewClient();
  ASSERT_EQ(Run(admin, {"ACL", "SETUSER", "bob", "on", ">pw", "allkeys", "allclusters", "+@all"}),
            kOk);
  Client& bob = srv_.NewClient();
  ASSERT_EQ(Run(bob, {"AUTH", "bob", "pw"}), kOk);
  EXPECT_EQ(Run(bob, {"MULTI"}), kOk);
  EXPECT_EQ(Run(bob, {"GREG", "k"}), kQueued);
  EXPECT_EQ(Run(bob, {"PING"}), kQueued);
  ASSERT_EQ(Run(admin, {"ACL", "SETUSER", "bob", "-greg"}), kOk);
  RespValue r = Run(bob, {"EXEC"});
  ASSERT_EQ(r.elems.size(), 2u);
  EXPECT_EQ(r.elems[0], Err("NOPERM User bob has no permissions to run the 'greg' command"));
  EXPECT_EQ(r.elems[1], Simple("PONG"));
  EXPECT_EQ(Owner("k"), "");

  // Refused while queued: the transaction aborts.
  EXPECT_EQ(Run(bob, {"MULTI"}), kOk);
  EXPECT_EQ(Run(bob, {"GREG", "k"}),
            Err("NOPERM User bob has no permissions to run the 'greg' command"));
  EXPECT_EQ(Run(bob, {"EXEC"}), Err(errors::kExecAbort));
}

TEST_F(TransactionTest, CommandInfoAndAclCategoriesDescribeTransactions) {
  Client& c = srv_.NewClient();
  RespValue info = Run(c, {"COMMAND", "INFO", "exec", "subscribe"});
  ASSERT_EQ(info.elems.size(), 2u);
  EXPECT_EQ(info.elems[0].elems.at(0), Bulk("exec"));
  bool no_multi = false;
  for (const RespValue& f : info.elems[1].elems.at(2).elems) no_multi |= f.IsString("no_multi");
  EXPECT_TRUE(no_multi) << info.elems[1];
  RespValue cat = Run(c, {"ACL", "CAT", "transaction"});
  std::vector<std::string> names;
  for (const RespValue& v : cat.elems) names.push_back(v.str);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"discard", "exec", "multi"}));
}

}  // namespace
}  // namespace groupd
