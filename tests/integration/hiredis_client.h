#pragma once

// A thin RAII wrapper around a blocking hiredis context (RESP2 only: hiredis 0.14), returning
// replies as RespValue so tests compare them the same way as raw-socket replies.

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/resp_value.h"

namespace groupd::testing {

// Converts a hiredis reply. hiredis 0.14 does not tell a null bulk from a null array; both become
// a null with marker '$' (printed "(nil)").
RespValue FromRedisReply(const redisReply* r);

class HiredisClient {
 public:
  HiredisClient() = default;
  HiredisClient(const HiredisClient&) = delete;
  HiredisClient& operator=(const HiredisClient&) = delete;

  // Connects to 127.0.0.1:port with a 5 s connect and read timeout. On failure returns false and
  // puts hiredis's message in *error.
  [[nodiscard]] bool Connect(int port, std::string* error = nullptr);

  // Runs one command through redisCommandArgv. When hiredis fails (connection closed, timeout)
  // returns an error value "(hiredis) <errstr>", so a comparison fails readably.
  RespValue Command(const std::vector<std::string>& args);

  // Reads the next reply without sending anything (subscribed contexts); nullopt on timeout or
  // a closed connection. Sets the read timeout to `timeout` for this call. hiredis marks the
  // context failed after a timeout, so only the last read of a test may time out.
  std::optional<RespValue> GetReply(std::chrono::milliseconds timeout);

  // hiredis's error state: 0 while the connection is usable.
  int err() const { return ctx_ ? ctx_->err : REDIS_ERR_OTHER; }
  redisContext* get() { return ctx_.get(); }

 private:
  struct Free {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  std::unique_ptr<redisContext, Free> ctx_;
};

}  // namespace groupd::testing
