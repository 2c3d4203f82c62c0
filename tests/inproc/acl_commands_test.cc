// In-process tests of ACL users: Redis's rules for commands, keys and channels, and groupd's
// named-cluster permissions that keep tenants apart.
#include <gtest/gtest.h>

#include <string>

#include "server/errors.h"
#include "tests/inproc/harness.h"

namespace groupd {
namespace {

using testing::InProcServer;
using testing::RespValue;

class AclTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Client& admin = srv_.NewClient();
    ASSERT_EQ(Run(admin, {"GCONNECT", "tenant-a"}).str, "OK");
    ASSERT_EQ(Run(admin, {"GCONNECT", "tenant-b"}).str, "OK");
    ASSERT_EQ(Run(admin, {"ACL", "SETUSER", "alice", "on", ">pw", "~app/*", "+@all",
                          "%tenant-a"})
                  .str,
              "OK");
  }
  RespValue Run(Client& c, std::initializer_list<std::string_view> args) {
    return srv_.Run(c, args);
  }
  Client& Alice() {
    Client& c = srv_.NewClient();
    EXPECT_EQ(Run(c, {"AUTH", "alice", "pw"}).str, "OK");
    return c;
  }
  static bool IsError(const RespValue& v, std::string_view text) {
    return v.type == RespValue::kError && v.str == text;
  }

  InProcServer srv_;
};

TEST_F(AclTest, AuthWithWrongPasswordOrUnknownUserIsWrongpass) {
  Client& c = srv_.NewClient();
  EXPECT_TRUE(IsError(Run(c, {"AUTH", "alice", "nope"}), errors::kWrongPass));
  EXPECT_TRUE(IsError(Run(c, {"AUTH", "bob", "pw"}), errors::kWrongPass));
  EXPECT_EQ(Run(c, {"ACL", "WHOAMI"}).str, "default");
  EXPECT_EQ(Run(c, {"AUTH", "alice", "pw"}).str, "OK");
  EXPECT_EQ(Run(c, {"ACL", "WHOAMI"}).str, "alice");
}

TEST_F(AclTest, UserReachesOnlyItsOwnClusters) {
  Client& a = Alice();
  EXPECT_EQ(Run(a, {"GREG", "app/x", "CLUSTER", "tenant-a"}).str, "OK");
  EXPECT_TRUE(IsError(Run(a, {"GREG", "app/y", "CLUSTER", "tenant-b"}),
                      "NOPERM No permissions to access cluster 'tenant-b'"));
  EXPECT_TRUE(IsError(Run(a, {"GREG", "app/y"}),
                      "NOPERM No permissions to access cluster 'default'"));
  EXPECT_TRUE(IsError(Run(a, {"GLOOKUP", "app/x", "CLUSTER", "tenant-b"}),
                      "NOPERM No permissions to access cluster 'tenant-b'"));
  EXPECT_TRUE(IsError(Run(a, {"GDISCONNECT", "tenant-b"}),
                      "NOPERM No permissions to access cluster 'tenant-b'"));
  EXPECT_TRUE(IsError(Run(a, {"GMONITOR", "*", "CLUSTER", "tenant-b"}),
                      "NOPERM No permissions to access cluster 'tenant-b'"));
  EXPECT_EQ(Run(srv_.NewClient(), {"GCONNECTED", "tenant-b"}).integer, 1)
      << "the refused GDISCONNECT changed nothing";
}

TEST_F(AclTest, KeysOutsideTheUsersPatternsAreRefused) {
  Client& a = Alice();
  EXPECT_TRUE(IsError(Run(a, {"GREG", "other", "CLUSTER", "tenant-a"}), errors::kNoPermKey));
  EXPECT_TRUE(IsError(Run(a, {"GJOIN", "other", "CLUSTER", "tenant-a"}), errors::kNoPermKey));
  EXPECT_EQ(Run(a, {"GJOIN", "app/room", "CLUSTER", "tenant-a"}).str, "OK");
}

TEST_F(AclTest, CommandsOutsideTheUsersRulesAreRefusedWithRedisWording) {
  Client& admin = srv_.NewClient();
  ASSERT_EQ(Run(admin, {"ACL", "SETUSER", "reader", "on", "nopass", "allkeys", "allclusters",
                        "+@read", "+@connection"})
                .str,
            "OK");
  Client& r = srv_.NewClient();
  ASSERT_EQ(Run(r, {"AUTH", "reader", "x"}).str, "OK");
  EXPECT_TRUE(IsError(Run(r, {"GREG", "k"}),
                      "NOPERM User reader has no permissions to run the 'greg' command"));
  EXPECT_NE(Run(r, {"GLOOKUP", "k"}).type, RespValue::kError);
  EXPECT_TRUE(IsError(Run(r, {"CONFIG", "SET", "maxclients", "5"}),
                      "NOPERM User reader has no permissions to run the 'config|set' command"));
}

TEST_F(AclTest, OtherTenantsEventsCannotBeSubscribedToEvenByPattern) {
  Client& a = Alice();
  EXPECT_TRUE(IsError(Run(a, {"SUBSCRIBE", "__gevent__@tenant-b:*"}), errors::kNoPermChannel));
  EXPECT_TRUE(IsError(Run(a, {"SUBSCRIBE", "__gevent__:*"}), errors::kNoPermChannel));
  EXPECT_TRUE(IsError(Run(a, {"PSUBSCRIBE", "*"}), errors::kNoPermChannel));
  EXPECT_TRUE(IsError(Run(a, {"PSUBSCRIBE", "__g*"}), errors::kNoPermChannel));
  EXPECT_TRUE(IsError(Run(a, {"PUBLISH", "__gevent__@tenant-b:x", "fake"}), errors::kNoPermChannel));
  auto frames = srv_.RunMulti(a, {"PSUBSCRIBE", "__gevent__@tenant-a:*"});
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].elems[0].str, "psubscribe");
}

TEST_F(AclTest, MonitorOfOwnClusterSeesOwnEventsOnly) {
  Client& a = Alice();
  ASSERT_EQ(srv_.RunMulti(a, {"GMONITOR", "*", "CLUSTER", "tenant-a"}).size(), 1u);
  Client& other = srv_.NewClient();
  ASSERT_EQ(Run(other, {"GREG", "app/b", "CLUSTER", "tenant-b"}).str, "OK");
  EXPECT_TRUE(srv_.Frames(a).empty());
  ASSERT_EQ(Run(other, {"GREG", "app/a", "CLUSTER", "tenant-a"}).str, "OK");
  EXPECT_EQ(srv_.Frames(a).size(), 1u);
}

TEST_F(AclTest, GlocalentriesListsOnlyPermittedClusters) {
  Client& admin = srv_.NewClient();
  ASSERT_EQ(Run(admin, {"GREG", "app/b", "CLUSTER", "tenant-b"}).str, "OK");
  ASSERT_EQ(Run(admin, {"GREG", "app/a", "CLUSTER", "tenant-a"}).str, "OK");
  EXPECT_EQ(Run(admin, {"GLOCALENTRIES"}).elems.size(), 2u);
  RespValue mine = Run(Alice(), {"GLOCALENTRIES"});
  ASSERT_EQ(mine.elems.size(), 1u);
  EXPECT_EQ(mine.elems[0].elems[1].str, "tenant-a");
}

TEST_F(AclTest, RevokingAPermissionAppliesToConnectedClientsAtOnce) {
  Client& a = Alice();
  EXPECT_EQ(Run(a, {"GREG", "app/x", "CLUSTER", "tenant-a"}).str, "OK");
  Client& admin = srv_.NewClient();
  ASSERT_EQ(Run(admin, {"ACL", "SETUSER", "alice", "resetclusters"}).str, "OK");
  EXPECT_TRUE(IsError(Run(a, {"GREG", "app/y", "CLUSTER", "tenant-a"}),
                      "NOPERM No permissions to access cluster 'tenant-a'"));
}

TEST_F(AclTest, DeletingAUserClosesItsConnectionsAndRemovesTheirEntries) {
  Client& a = Alice();
  ASSERT_EQ(Run(a, {"GREG", "app/x", "CLUSTER", "tenant-a"}).str, "OK");
  Client& admin = srv_.NewClient();
  EXPECT_EQ(Run(admin, {"ACL", "DELUSER", "alice", "nobody"}).integer, 1);
  EXPECT_TRUE(a.close_asap);
  EXPECT_TRUE(Run(admin, {"GLOOKUP", "app/x", "CLUSTER", "tenant-a"}).IsNull());
  EXPECT_EQ(Run(admin, {"ACL", "DELUSER", "default"}).type, RespValue::kError);
}

TEST_F(AclTest, RequirepassIsTheDefaultUsersPassword) {
  Client& admin = srv_.NewClient();
  ASSERT_EQ(Run(admin, {"CONFIG", "SET", "requirepass", "secret"}).str, "OK");
  Client& c = srv_.NewClient();
  EXPECT_TRUE(IsError(Run(c, {"GPID"}), errors::kNoAuth));
  EXPECT_TRUE(IsError(Run(c, {"AUTH", "wrong"}), errors::kWrongPass));
  EXPECT_EQ(Run(c, {"AUTH", "secret"}).str, "OK");
  EXPECT_EQ(Run(c, {"GPID"}).type, RespValue::kBulk);
  EXPECT_EQ(Run(admin, {"GPID"}).type, RespValue::kBulk) << "already connected stays logged in";
}

TEST_F(AclTest, DisabledUserCannotAuthenticate) {
  Client& admin = srv_.NewClient();
  ASSERT_EQ(Run(admin, {"ACL", "SETUSER", "alice", "off"}).str, "OK");
  EXPECT_TRUE(IsError(Run(srv_.NewClient(), {"AUTH", "alice", "pw"}), errors::kWrongPass));
}

TEST_F(AclTest, BadRulesAreRefusedAndChangeNothing) {
  Client& admin = srv_.NewClient();
  RespValue r = Run(admin, {"ACL", "SETUSER", "alice", "resetclusters", "+nosuchcommand"});
  ASSERT_EQ(r.type, RespValue::kError);
  EXPECT_NE(r.str.find("Unknown command or category name in ACL"), std::string::npos);
  EXPECT_EQ(Run(Alice(), {"GREG", "app/x", "CLUSTER", "tenant-a"}).str, "OK");
  EXPECT_EQ(Run(admin, {"ACL", "SETUSER", "x", "bogus"}).type, RespValue::kError);
}

TEST_F(AclTest, AclListUsersAndCatDescribeTheTable) {
  Client& admin = srv_.NewClient();
  RespValue users = Run(admin, {"ACL", "USERS"});
  ASSERT_EQ(users.elems.size(), 2u);
  EXPECT_EQ(users.elems[0].str, "alice");
  RespValue list = Run(admin, {"ACL", "LIST"});
  ASSERT_EQ(list.elems.size(), 2u);
  std::string alice = list.elems[1].str;
  EXPECT_NE(alice.find("user alice on #"), std::string::npos) << alice;
  EXPECT_EQ(alice.find(">pw"), std::string::npos) << "passwords are listed as hashes only";
  EXPECT_NE(alice.find("%tenant-a"), std::string::npos) << alice;
  RespValue cat = Run(admin, {"ACL", "CAT", "groupd"});
  bool has_greg = false;
  for (const auto& e : cat.elems) has_greg |= e.str == "greg";
  EXPECT_TRUE(has_greg);
}

}  // namespace
}  // namespace groupd
