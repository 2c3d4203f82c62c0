// TLS on the client port (tls-port) and between nodes (tls-replication): redis-cli --tls, a
// blocking OpenSSL client for pipelines and large replies, plain clients on the TLS port, client
// certificates as tls-auth-clients says, and nodes that form a mesh and replicate over TLS while
// nodes without TLS, with a certificate from another CA or with another cluster-secret cannot
// join. The certificates are made per test binary run with the openssl command-line tool.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/groupd_process.h"

namespace groupd::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kRedisCli = "/usr/bin/redis-cli";
constexpr const char* kOpenssl = "/usr/bin/openssl";

// --- Throwaway certificates ---------------------------------------------------------------------

// A CA; a certificate for the nodes, valid as server and as client (peers are both) for
// 127.0.0.1; a client certificate; and a second, unrelated CA with a node certificate of its
// own. EC keys: quick to make.
class Pki {
 public:
  // Makes the files in a new temporary directory; error() says what failed, if anything.
  Pki() {
    const char* tmp_root = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp_root != nullptr && tmp_root[0] ? tmp_root : "/tmp") + "/groupd-tls-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = buf.data();
    std::ofstream(dir_ + "/ext.cnf") << "[node]\n"
                                        "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                        "extendedKeyUsage=serverAuth,clientAuth\n"
                                        "[client]\n"
                                        "extendedKeyUsage=clientAuth\n";
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    auto ca = [&](const std::string& name) {
      return std::string(kOpenssl) + " req -x509" + key + " -keyout " + name + ".key -out " + name +
             ".crt -days 2 -subj /CN=" + name;
    };
    auto cert = [&](const std::string& name, const std::string& ca, const std::string& ext) {
      return std::string(kOpenssl) + " req" + key + " -keyout " + name + ".key -out " + name +
             ".csr -subj /CN=" + name + " && " + kOpenssl + " x509 -req -in " + name + ".csr -CA " +
             ca + ".crt -CAkey " + ca + ".key -CAcreateserial -days 2 -out " + name +
             ".crt -extfile ext.cnf -extensions " + ext;
    };
    const std::string script = "cd '" + dir_ + "' && " + ca("ca") + " && " +
                               cert("node", "ca", "node") + " && " +
                               cert("client", "ca", "client") + " && " + ca("rogue-ca") + " && " +
                               cert("rogue-node", "rogue-ca", "node");
    int status = 0;
    std::string out = RunShell("( " + script + " ) 2>&1", &status);
    if (status != 0) error_ = "openssl failed: " + out;
  }

  ~Pki() {
    if (!dir_.empty() && std::getenv("GROUPD_KEEP_TMP") == nullptr) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  const std::string& error() const { return error_; }
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

 private:
  std::string dir_;
  std::string error_;
};

// --- A blocking TLS client ----------------------------------------------------------------------

// Like RawClient, over TLS. Every read is bounded by a receive timeout.
class TlsClient {
 public:
  TlsClient() = default;
  ~TlsClient() { Close(); }
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // Connects to 127.0.0.1:port and runs the handshake, verifying the server against ca and
  // presenting cert/key when given. With TLS 1.3 the handshake completes on this side before
  // the server has checked the client's certificate, so a refusal may show only on the first
  // read. Returns false with OpenSSL's reason in *error.
  bool Connect(int port, const std::string& ca, const std::string& cert = "",
               const std::string& key = "", std::string* error = nullptr) {
    Close();
    auto fail = [&](const std::string& what) {
      if (error) {
        char buf[256] = "";
        if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof(buf));
        *error = what + ": " + buf;
      }
      ERR_clear_error();
      return false;
    };
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (ctx_ == nullptr) return fail("SSL_CTX_new");
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr) != 1) return fail("CA");
    if (!cert.empty() && (SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str()) != 1 ||
                          SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1)) {
      return fail("client certificate");
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail("socket");
    SetTimeout(5s);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return fail("connect");
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) return fail("handshake");
    return true;
  }

  bool Send(std::string_view bytes) {
    if (ssl_ == nullptr) return false;
    while (!bytes.empty()) {
      int n = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      if (n <= 0) {
        ERR_clear_error();
        return false;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One reply, or nullopt on timeout, error or close.
  std::optional<RespValue> ReadReply(std::chrono::milliseconds timeout = 5s) {
    SetTimeout(timeout);
    while (true) {
      RespValue v;
      if (size_t used = ParseRespValue(in_, &v); used > 0) {
        in_.erase(0, used);
        return v;
      }
      if (!Fill()) return std::nullopt;
    }
  }

  RespValue Command(const std::vector<std::string>& args) {
    RespValue missing;
    missing.type = RespValue::kError;
    missing.str = "(no reply)";
    if (!Send(EncodeCommand(args))) return missing;
    auto v = ReadReply();
    return v ? *v : missing;
  }

  void Close() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
    ssl_ = nullptr;
    ctx_ = nullptr;
    fd_ = -1;
    in_.clear();
  }

 private:
  void SetTimeout(std::chrono::milliseconds t) {
    timeval tv{static_cast<time_t>(t.count() / 1000),
               static_cast<suseconds_t>((t.count() % 1000) * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  }

  // Appends what one SSL_read returns; false on timeout, alert or close.
  bool Fill() {
    if (ssl_ == nullptr) return false;
    char buf[64 * 1024];
    int n = SSL_read(ssl_, buf, sizeof(buf));
    if (n <= 0) {
      ERR_clear_error();
      return false;
    }
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  std::string in_;
};

// --- Fixture ------------------------------------------------------------------------------------

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (access(kOpenssl, X_OK) == 0) pki_ = new Pki;
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    if (pki_ == nullptr) GTEST_SKIP() << kOpenssl << " is not installed";
    ASSERT_EQ(pki_->error(), "");
  }

  static std::string P(const std::string& file) { return pki_->Path(file); }

  // Arguments that give a node a TLS client port with the node certificate.
  static std::vector<std::string> TlsPortArgs(const std::string& auth_clients = "yes") {
    return {"--tls-port",         "-1",          "--tls-cert-file",    P("node.crt"),
            "--tls-key-file",     P("node.key"), "--tls-ca-cert-file", P("ca.crt"),
            "--tls-auth-clients", auth_clients};
  }

  // Arguments for a node whose peer links use TLS with the given certificate and CA.
  static std::vector<std::string> TlsPeerArgs(const std::string& cert = "node",
                                              const std::string& ca = "ca") {
    return {"--tls-replication",  "yes",
            "--tls-cert-file",    P(cert + ".crt"),
            "--tls-key-file",     P(cert + ".key"),
            "--tls-ca-cert-file", P(ca + ".crt")};
  }

  static std::vector<std::string> Join(std::vector<std::string> a,
                                       const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  // Runs redis-cli over TLS against port with extra (shell-quoted) args and optional stdin.
  // *status gets its exit status.
  static std::string TlsCli(int port, const std::string& tls_args, const std::string& args,
                            const std::string& stdin_text = "", int* status = nullptr) {
    std::string cmd;
    if (!stdin_text.empty()) cmd = "printf '" + stdin_text + "' | ";
    cmd += std::string(kRedisCli) + " --tls " + tls_args + " -p " + std::to_string(port) + " " +
           args + " 2>&1";
    return RunShell(cmd, status);
  }

  static std::string CliCert() {
    return "--cacert " + P("ca.crt") + " --cert " + P("client.crt") + " --key " + P("client.key");
  }

  static bool HaveRedisCli() { return access(kRedisCli, X_OK) == 0; }

  static Pki* pki_;
};

Pki* TlsTest::pki_ = nullptr;

// GNODES of the node at port, over the plain port.
std::vector<std::string> Nodes(int port) {
  RawClient c;
  std::vector<std::string> out;
  if (!c.Connect(port)) return {"(cannot connect)"};
  RespValue v = c.Command({"GNODES"});
  for (const auto& e : v.elems) out.push_back(e.str);
  return out;
}

int64_t InfoInt(int port, const std::string& section, const std::string& field) {
  RawClient c;
  if (!c.Connect(port)) return -1;
  auto v = InfoField(c.Command({"INFO", section}).str, field);
  return v ? std::atoll(v->c_str()) : -1;
}

// --- Client port
// ----------------------------------------------------------------------------------

TEST_F(TlsTest, RedisCliSupportsTls) {
  if (!HaveRedisCli()) GTEST_SKIP() << kRedisCli << " is not installed";
  EXPECT_THAT(RunShell(std::string(kRedisCli) + " --help 2>&1"), HasSubstr("--tls"));
}

TEST_F(TlsTest, PortsFileAndInfoNameTheTlsPort) {
  GroupdProcess plain;
  ASSERT_EQ(plain.Start(), "");
  EXPECT_EQ(plain.tls_port(), 0) << "no third field without tls-port";
  EXPECT_EQ(InfoInt(plain.port(), "server", "tls_port"), 0);

  GroupdProcess node(TlsPortArgs());
  ASSERT_EQ(node.Start(), "");
  ASSERT_GT(node.tls_port(), 0);
  EXPECT_NE(node.tls_port(), node.port());
  EXPECT_EQ(InfoInt(node.port(), "server", "tls_port"), node.tls_port());
}

TEST_F(TlsTest, RedisCliRegistersAndLooksUpOverTls) {
  if (!HaveRedisCli()) GTEST_SKIP() << kRedisCli << " is not installed";
  GroupdProcess node(TlsPortArgs());
  ASSERT_EQ(node.Start(), "");
  int status = -1;
  EXPECT_EQ(TlsCli(node.tls_port(), CliCert(), "PING", "", &status), "PONG\n");
  EXPECT_EQ(status, 0);
  // One session: the registration lives as long as redis-cli's connection.
  const std::string out =
      TlsCli(node.tls_port(), CliCert(), "-2 --no-raw", "GREG k META a b\\nGLOOKUP k\\n", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_TRUE(std::regex_match(
      out, std::regex("OK\n1\\) \"[0-9]+\\.[0-9a-z]+@[^\"]+\"\n2\\) 1\\) \"a\"\n   2\\) \"b\"\n")))
      << out;
  // TLS and plain clients share one keyspace: the entry goes once the server sees redis-cli
  // leave.
  RawClient plain;
  ASSERT_TRUE(plain.Connect(node.port()));
  EXPECT_TRUE(WaitFor([&] { return plain.Command({"GLOOKUP", "k"}).IsNull(); }));
}

TEST_F(TlsTest, InlinePipelineAndLargeValuesOverTls) {
  GroupdProcess node(TlsPortArgs());
  ASSERT_EQ(node.Start(), "");
  TlsClient c;
  std::string error;
  ASSERT_TRUE(c.Connect(node.tls_port(), P("ca.crt"), P("client.crt"), P("client.key"), &error))
      << error;
  // Three inline commands in one write.
  ASSERT_TRUE(c.Send("PING\r\nPING hello\r\nGREG k META a b\r\n"));
  auto r1 = c.ReadReply(), r2 = c.ReadReply(), r3 = c.ReadReply();
  ASSERT_TRUE(r1 && r2 && r3);
  EXPECT_TRUE(r1->IsString("PONG")) << *r1;
  EXPECT_TRUE(r2->IsString("hello")) << *r2;
  EXPECT_TRUE(r3->IsString("OK")) << *r3;
  // A value far larger than a TLS record and than the server's read buffer, both ways.
  std::string big(3 * 1024 * 1024 + 17, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  RespValue echo = c.Command({"ECHO", big});
  EXPECT_EQ(echo.type, RespValue::kBulk);
  EXPECT_TRUE(echo.str == big) << "echo of " << big.size() << " bytes came back as "
                               << echo.str.size() << " bytes";
  // The TLS client's entry is visible to plain clients.
  RawClient plain;
  ASSERT_TRUE(plain.Connect(node.port()));
  RespValue v = plain.Command({"GLOOKUP", "k"});
  ASSERT_EQ(v.type, RespValue::kArray) << v;
}

TEST_F(TlsTest, PlainClientOnTlsPortGetsNoReplyAndServerKeepsServing) {
  GroupdProcess node(TlsPortArgs());
  ASSERT_EQ(node.Start(), "");
  for (int i = 0; i < 3; i++) {
    RawClient raw;
    ASSERT_TRUE(raw.Connect(node.tls_port()));
    raw.Send(i == 0 ? std::string("PING\r\n") : EncodeCommand({"PING"}));
    std::string received;
    EXPECT_TRUE(raw.ReadUntilClosed(&received, 5s)) << "the server kept the connection open";
    EXPECT_THAT(received, Not(HasSubstr("PONG")));
  }
  EXPECT_TRUE(node.IsAlive());
  TlsClient c;
  std::string error;
  ASSERT_TRUE(c.Connect(node.tls_port(), P("ca.crt"), P("client.crt"), P("client.key"), &error))
      << error;
  EXPECT_TRUE(c.Command({"PING"}).IsString("PONG"));
  RawClient plain;
  ASSERT_TRUE(plain.Connect(node.port()));
  EXPECT_TRUE(plain.Command({"PING"}).IsString("PONG"));
}

TEST_F(TlsTest, ClientWithoutCertificateIsRefusedWhenTlsAuthClientsYes) {
  GroupdProcess node(TlsPortArgs("yes"));
  ASSERT_EQ(node.Start(), "");
  for (const std::string cert : {"", "rogue-node"}) {
    SCOPED_TRACE(cert.empty() ? "no certificate" : "certificate from another CA");
    TlsClient c;
    std::string error;
    bool connected = cert.empty() ? c.Connect(node.tls_port(), P("ca.crt"), "", "", &error)
                                  : c.Connect(node.tls_port(), P("ca.crt"), P(cert + ".crt"),
                                              P(cert + ".key"), &error);
    if (connected) {
      EXPECT_FALSE(c.Command({"PING"}).IsString("PONG"));
    }
  }
  if (HaveRedisCli()) {
    int status = 0;
    std::string out = TlsCli(node.tls_port(), "--cacert " + P("ca.crt"), "PING", "", &status);
    EXPECT_THAT(out, Not(HasSubstr("PONG")));
  }
  // Refusing them did not disturb the node.
  TlsClient ok;
  std::string error;
  ASSERT_TRUE(ok.Connect(node.tls_port(), P("ca.crt"), P("client.crt"), P("client.key"), &error))
      << error;
  EXPECT_TRUE(ok.Command({"PING"}).IsString("PONG"));
}

TEST_F(TlsTest, ClientWithoutCertificateIsAcceptedWhenTlsAuthClientsNo) {
  GroupdProcess node(TlsPortArgs("no"));
  ASSERT_EQ(node.Start(), "");
  TlsClient c;
  std::string error;
  ASSERT_TRUE(c.Connect(node.tls_port(), P("ca.crt"), "", "", &error)) << error;
  EXPECT_TRUE(c.Command({"PING"}).IsString("PONG"));
  if (HaveRedisCli()) {
    int status = -1;
    EXPECT_EQ(TlsCli(node.tls_port(), "--cacert " + P("ca.crt"), "PING", "", &status), "PONG\n");
    EXPECT_EQ(status, 0);
  }
}

TEST_F(TlsTest, OptionalClientCertificateMustVerifyWhenSent) {
  GroupdProcess node(TlsPortArgs("optional"));
  ASSERT_EQ(node.Start(), "");
  TlsClient none, good, rogue;
  std::string error;
  ASSERT_TRUE(none.Connect(node.tls_port(), P("ca.crt"), "", "", &error)) << error;
  EXPECT_TRUE(none.Command({"PING"}).IsString("PONG"));
  ASSERT_TRUE(good.Connect(node.tls_port(), P("ca.crt"), P("client.crt"), P("client.key"), &error))
      << error;
  EXPECT_TRUE(good.Command({"PING"}).IsString("PONG"));
  if (rogue.Connect(node.tls_port(), P("ca.crt"), P("rogue-node.crt"), P("rogue-node.key"))) {
    EXPECT_FALSE(rogue.Command({"PING"}).IsString("PONG"));
  }
}

// A client refused before its handshake finished still gets the error: the server keeps reading
// the handshake, sends the reply once the session is up, then closes.
TEST_F(TlsTest, MaxclientsErrorReachesTlsClientBeforeClose) {
  GroupdProcess node(Join(TlsPortArgs(), {"--maxclients", "1"}));
  ASSERT_EQ(node.Start(), "");
  RawClient first;
  ASSERT_TRUE(first.Connect(node.port()));
  ASSERT_TRUE(WaitFor([&] {
    auto v = InfoField(first.Command({"INFO", "clients"}).str, "connected_clients");
    return v && *v == "1";
  }));
  TlsClient c;
  std::string error;
  ASSERT_TRUE(c.Connect(node.tls_port(), P("ca.crt"), P("client.crt"), P("client.key"), &error))
      << error;
  auto reply = c.ReadReply();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->type, RespValue::kError) << *reply;
  EXPECT_THAT(reply->str, HasSubstr("max number of clients")) << *reply;
  EXPECT_FALSE(c.ReadReply(2s)) << "the connection stayed open";
  EXPECT_TRUE(first.Command({"PING"}).IsString("PONG"));
}

TEST_F(TlsTest, MissingCertificateStopsStartup) {
  GroupdProcess node({"--tls-port", "-1"});
  std::string err = node.Start();
  EXPECT_THAT(err, HasSubstr("tls-cert-file"));
  GroupdProcess no_ca(
      {"--tls-port", "-1", "--tls-cert-file", P("node.crt"), "--tls-key-file", P("node.key")});
  EXPECT_THAT(no_ca.Start(), HasSubstr("tls-ca-cert-file"));
  GroupdProcess wrong_key({"--tls-replication", "yes", "--tls-cert-file", P("node.crt"),
                           "--tls-key-file", P("client.key"), "--tls-ca-cert-file", P("ca.crt")});
  EXPECT_THAT(wrong_key.Start(), HasSubstr("client.key"));
}

// --- Peer port
// ------------------------------------------------------------------------------------

class TlsReplicationTest : public TlsTest {
 protected:
  static std::vector<std::string> Node(const std::vector<std::string>& tls,
                                       const std::string& secret, int seed_peer_port = 0) {
    std::vector<std::string> args = {"--cluster-secret", secret, "--peer-timeout", "2000"};
    if (seed_peer_port != 0) {
      args.push_back("--seeds");
      args.push_back("127.0.0.1:" + std::to_string(seed_peer_port));
    }
    return Join(args, tls);
  }

  // Starts two TLS nodes that form a mesh.
  void StartPair() {
    a_ = std::make_unique<GroupdProcess>(Node(TlsPeerArgs(), "s3cret"));
    ASSERT_EQ(a_->Start(), "");
    b_ = std::make_unique<GroupdProcess>(Node(TlsPeerArgs(), "s3cret", a_->peer_port()));
    ASSERT_EQ(b_->Start(), "");
    ASSERT_TRUE(WaitFor([&] { return Nodes(a_->port()).size() == 1; }, 10s));
    ASSERT_TRUE(WaitFor([&] { return Nodes(b_->port()).size() == 1; }, 10s));
  }

  // Starts a node that dials a's peer port, waits until a has refused it at least once, and
  // checks that nobody counts it as a peer.
  void ExpectRefused(const std::vector<std::string>& args) {
    const int64_t refused_before = InfoInt(a_->port(), "replication", "handshakes_refused");
    GroupdProcess intruder(args);
    ASSERT_EQ(intruder.Start(), "");
    EXPECT_TRUE(WaitFor(
        [&] {
          return InfoInt(a_->port(), "replication", "handshakes_refused") > refused_before ||
                 InfoInt(intruder.port(), "replication", "handshakes_refused") > 0;
        },
        10s))
        << "no refused handshake";
    // Give it time for a few more dial attempts.
    SleepFor(1s);
    EXPECT_EQ(Nodes(intruder.port()), std::vector<std::string>{});
    EXPECT_EQ(Nodes(a_->port()).size(), 1u);
    EXPECT_EQ(Nodes(b_->port()).size(), 1u);
  }

  std::unique_ptr<GroupdProcess> a_, b_;
};

TEST_F(TlsReplicationTest, TwoTlsNodesFormAMeshAndReplicate) {
  StartPair();
  EXPECT_EQ(InfoInt(a_->port(), "replication", "peers"), 1);
  RawClient ia;
  ASSERT_TRUE(ia.Connect(a_->port()));
  EXPECT_EQ(InfoField(ia.Command({"INFO", "replication"}).str, "tls_replication"), "yes");
  // A registration on a reaches b over the TLS link, and its removal too.
  RawClient owner;
  ASSERT_TRUE(owner.Connect(a_->port()));
  const std::string pid = owner.Command({"GPID"}).str;
  ASSERT_TRUE(owner.Command({"GREG", "tls/k", "META", "a", "b"}).IsString("OK"));
  RawClient reader;
  ASSERT_TRUE(reader.Connect(b_->port()));
  RespValue seen;
  EXPECT_TRUE(WaitFor([&] {
    seen = reader.Command({"GLOOKUP", "tls/k"});
    return seen.type == RespValue::kArray;
  })) << seen;
  ASSERT_GE(seen.elems.size(), 1u);
  EXPECT_EQ(seen.elems[0].str, pid);
  owner.Close();
  EXPECT_TRUE(WaitFor([&] { return reader.Command({"GLOOKUP", "tls/k"}).IsNull(); }));
}

TEST_F(TlsReplicationTest, NodeWithoutTlsCannotJoin) {
  StartPair();
  ExpectRefused(Node({}, "s3cret", a_->peer_port()));
  EXPECT_THAT(a_->LogTail(100000), HasSubstr("TLS error"));
}

TEST_F(TlsReplicationTest, NodeWithCertificateFromAnotherCaCannotJoin) {
  StartPair();
  ExpectRefused(Node(TlsPeerArgs("rogue-node", "ca"), "s3cret", a_->peer_port()));
}

TEST_F(TlsReplicationTest, ClusterSecretIsStillCheckedUnderTls) {
  StartPair();
  ExpectRefused(Node(TlsPeerArgs(), "other", a_->peer_port()));
}

}  // namespace
}  // namespace groupd::testing
