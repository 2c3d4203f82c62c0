#include "server/arg_parser.h"

#include <charconv>

#include "server/errors.h"

namespace groupd {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // ASCII folding, as tolower() in the C locale, without a library call per byte.
  auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  for (size_t i = 0; i < a.size(); i++) {
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

std::optional<int64_t> ParseInt64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s[0] == '+' || (s[0] == '0' && s.size() > 1)) return std::nullopt;
  if (s[0] == '-' && (s.size() == 1 || s[1] == '0')) return std::nullopt;
  int64_t v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

const char* ParseGOptions(std::span<const std::string_view> args, size_t start, uint32_t allowed,
                          GOptions* out) {
  size_t i = start;
  while (i < args.size()) {
    std::string_view kw = args[i];
    size_t left = args.size() - i - 1;
    if ((allowed & kOptCluster) && EqualsIgnoreCase(kw, "cluster") && left >= 1) {
      out->cluster = args[i + 1];
      i += 2;
    } else if ((allowed & kOptWithKeys) && EqualsIgnoreCase(kw, "withkeys")) {
      out->withkeys = true;
      i++;
    } else if ((allowed & kOptTtl) && EqualsIgnoreCase(kw, "ttl") && left >= 1) {
      auto ttl = ParseInt64(args[i + 1]);
      if (!ttl || *ttl <= 0) return errors::kNotInteger;
      out->ttl_ms = *ttl;
      i += 2;
    } else if ((allowed & kOptFields) && EqualsIgnoreCase(kw, "fields") && left >= 1) {
      out->has_fields = true;
      out->fields = args.subspan(i + 1);
      return nullptr;
    } else if ((allowed & kOptMeta) && EqualsIgnoreCase(kw, "meta")) {
      if (left == 0 || left % 2 != 0) return errors::kMetaPairs;
      out->has_meta = true;
      out->meta = args.subspan(i + 1);
      return nullptr;
    } else {
      return errors::kSyntax;
    }
  }
  return nullptr;
}

void WriteMeta(protocol::ReplyWriter& w, MetaView meta,
               std::span<const std::string_view> fields) {
  if (fields.empty()) {
    w.Commit(meta.PutResp(w.Reserve(meta.RespBound()), w.resp3()));
    return;
  }
  size_t n = 0;
  for (auto f : fields) n += MetaFind(meta, f).has_value();
  w.Map(n);
  for (auto f : fields) {
    if (std::optional<std::string_view> v = MetaFind(meta, f)) {
      w.Bulk(f);
      w.Bulk(*v);
    }
  }
}

}  // namespace groupd
