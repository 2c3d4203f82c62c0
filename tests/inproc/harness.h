#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/client.h"
#include "server/server.h"
#include "tests/support/resp_value.h"

namespace groupd::testing {

// Drives a Server without sockets: each test client is a Client whose output buffer the test
// reads. Run() executes one command and returns its reply; Frames() drains what other clients'
// actions pushed to it (events, messages).
class InProcServer {
 public:
  explicit InProcServer(Config config = TestConfig()) : server_(std::move(config)) {}
  ~InProcServer() {
    for (auto& c : clients_) {
      if (c) server_.DetachClient(c.get());
    }
  }

  static Config TestConfig() {
    Config c;
    c.node_name = "test-node";
    c.loglevel = "off";
    return c;
  }

  Server& server() { return server_; }

  Client& NewClient() {
    auto c = std::make_unique<Client>(server_.NextClientId());
    EXPECT_TRUE(server_.AttachClient(c.get()));
    clients_.push_back(std::move(c));
    return *clients_.back();
  }

  // Executes args for c and returns the single reply it produced. Frames pushed to c before the
  // command are kept for Frames(); only the new bytes are parsed.
  RespValue Run(Client& c, std::initializer_list<std::string_view> args) {
    return Run(c, std::vector<std::string_view>(args));
  }
  RespValue Run(Client& c, const std::vector<std::string_view>& args) {
    Drain(c);
    server_.Execute(c, args);
    std::vector<RespValue> replies = ParseAllReplies(c.out);
    c.out.clear();
    EXPECT_EQ(replies.size(), 1u) << "command produced " << replies.size() << " replies";
    return replies.empty() ? RespValue{} : replies.front();
  }
  // Executes args and returns every frame written (for SUBSCRIBE-like multi-frame replies).
  std::vector<RespValue> RunMulti(Client& c, const std::vector<std::string_view>& args) {
    Drain(c);
    server_.Execute(c, args);
    std::vector<RespValue> replies = ParseAllReplies(c.out);
    c.out.clear();
    return replies;
  }

  // Frames pushed to c by other clients since the last call.
  std::vector<RespValue> Frames(Client& c) {
    Drain(c);
    std::vector<RespValue> f = std::move(saved_[c.id]);
    saved_.erase(c.id);
    return f;
  }

  // Closes c as the network layer would (reason disconnect unless set).
  void Close(Client& c, Reason reason = Reason::kDisconnect) {
    c.close_reason = reason;
    server_.DetachClient(&c);
    for (auto& p : clients_) {
      if (p.get() == &c) p.reset();
    }
  }

 private:
  void Drain(Client& c) {
    if (c.out.empty()) return;
    for (auto& v : ParseAllReplies(c.out)) saved_[c.id].push_back(std::move(v));
    c.out.clear();
  }

  Server server_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::map<uint64_t, std::vector<RespValue>> saved_;
};

}  // namespace groupd::testing
