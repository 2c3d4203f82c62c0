#include "tests/integration/hiredis_client.h"

#include <sys/time.h>

namespace groupd::testing {

namespace {

timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

RespValue HiredisError(const redisContext* c) {
  RespValue v;
  v.type = RespValue::kError;
  v.str = std::string("(hiredis) ") + (c != nullptr ? c->errstr : "not connected");
  return v;
}

struct FreeReply {
  void operator()(void* r) const { freeReplyObject(r); }
};

}  // namespace

RespValue FromRedisReply(const redisReply* r) {
  RespValue v;
  switch (r->type) {
    case REDIS_REPLY_STATUS:
      v.type = RespValue::kSimple;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      v.type = RespValue::kError;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STRING:
      v.type = RespValue::kBulk;
      v.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      v.type = RespValue::kInteger;
      v.integer = r->integer;
      break;
    case REDIS_REPLY_NIL:
      v.type = RespValue::kNull;
      v.null_marker = '$';
      break;
    case REDIS_REPLY_ARRAY:
      v.type = RespValue::kArray;
      for (size_t i = 0; i < r->elements; ++i) v.elems.push_back(FromRedisReply(r->element[i]));
      break;
    default:
      v.type = RespValue::kError;
      v.str = "(hiredis) unknown reply type " + std::to_string(r->type);
  }
  return v;
}

bool HiredisClient::Connect(int port, std::string* error) {
  ctx_.reset(redisConnectWithTimeout("127.0.0.1", port, ToTimeval(std::chrono::seconds(5))));
  if (ctx_ == nullptr || ctx_->err != 0) {
    if (error) *error = ctx_ ? ctx_->errstr : "redisConnectWithTimeout returned null";
    ctx_.reset();
    return false;
  }
  redisSetTimeout(ctx_.get(), ToTimeval(std::chrono::seconds(5)));
  return true;
}

RespValue HiredisClient::Command(const std::vector<std::string>& args) {
  if (!ctx_ || ctx_->err != 0) return HiredisError(ctx_.get());
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  std::unique_ptr<void, FreeReply> reply(
      redisCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data()));
  if (reply == nullptr) return HiredisError(ctx_.get());
  return FromRedisReply(static_cast<redisReply*>(reply.get()));
}

std::optional<RespValue> HiredisClient::GetReply(std::chrono::milliseconds timeout) {
  if (!ctx_ || ctx_->err != 0) return std::nullopt;
  redisSetTimeout(ctx_.get(), ToTimeval(timeout));
  void* raw = nullptr;
  int rc = redisGetReply(ctx_.get(), &raw);
  std::unique_ptr<void, FreeReply> reply(raw);
  redisSetTimeout(ctx_.get(), ToTimeval(std::chrono::seconds(5)));
  if (rc != REDIS_OK || reply == nullptr) return std::nullopt;
  return FromRedisReply(static_cast<redisReply*>(reply.get()));
}

}  // namespace groupd::testing
