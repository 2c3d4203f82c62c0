#include "server/gcommand_util.h"

#include <fmt/format.h>

#include "server/errors.h"

namespace groupd {

bool CheckClusterAccess(CommandContext& ctx, std::string_view cluster) {
  const auto& u = ctx.client.acl_user;
  if (u == nullptr || Acl::ClusterAllowed(*u, cluster)) return true;
  ctx.reply.Error(fmt::format(fmt::runtime(errors::kNoPermClusterFmt),
                              cluster.empty() ? std::string_view("default") : cluster));
  return false;
}

ClusterState* ResolveCluster(CommandContext& ctx, const GOptions& opts) {
  std::string_view name = opts.cluster.value_or("");
  if (!CheckClusterAccess(ctx, name)) return nullptr;
  ClusterState* cl = ctx.server.FindCluster(name);
  if (cl == nullptr) {
    ctx.reply.Error(fmt::format(fmt::runtime(errors::kNoClusterFmt), name));
  }
  return cl;
}

bool ValidateKey(CommandContext& ctx, std::string_view key, bool allow_prefix) {
  if (key.empty()) {
    ctx.reply.Error(errors::kEmptyKey);
    return false;
  }
  if (static_cast<int64_t>(key.size()) > ctx.server.config().max_key_len) {
    ctx.server.stats().key_limit_rejections++;
    ctx.reply.Error(errors::kKeyTooLong);
    return false;
  }
  if (!allow_prefix && IsPrefixQuery(key)) {
    ctx.reply.Error(errors::kPrefixNotAllowed);
    return false;
  }
  return true;
}

bool ValidateMeta(CommandContext& ctx, std::span<const std::string_view> meta) {
  const Config& cfg = ctx.server.config();
  if (static_cast<int64_t>(meta.size() / 2) > cfg.max_meta_fields) {
    ctx.server.stats().meta_limit_rejections++;
    ctx.reply.Error(errors::kMetaTooManyFields);
    return false;
  }
  int64_t bytes = 0;
  for (auto s : meta) bytes += static_cast<int64_t>(s.size());
  if (bytes > cfg.max_meta_bytes) {
    ctx.server.stats().meta_limit_rejections++;
    ctx.reply.Error(errors::kMetaTooBig);
    return false;
  }
  return true;
}

std::span<const std::string_view> ReadFields(CommandContext& ctx, const GOptions& opts,
                                             std::vector<std::string_view>* storage) {
  if (opts.has_fields) return opts.fields;
  const auto& extract = ctx.server.config().extract_meta;
  storage->assign(extract.begin(), extract.end());
  return *storage;
}

bool IsValidClusterName(std::string_view name) {
  if (name.empty() || name.size() > 256) return false;
  // Bytes >= 0x80 are allowed, so UTF-8 names work.
  for (unsigned char ch : name) {
    if (ch <= ' ' || ch == ':' || ch == 0x7f) return false;
  }
  return true;
}

}  // namespace groupd
