#include "replication/conflict_policy.h"

#include <charconv>

#include "server/config.h"

namespace groupd::replication {

std::optional<ConflictPolicy> ConflictPolicy::Parse(std::string_view text) {
  auto words = SplitConfigLine(text);
  if (!words || words->empty()) return std::nullopt;
  ConflictPolicy p;
  const std::string& k = (*words)[0];
  if (k == "oldest" && words->size() == 1) {
    p.kind = Kind::kOldest;
  } else if (k == "newest" && words->size() == 1) {
    p.kind = Kind::kNewest;
  } else if ((k == "meta-max" || k == "meta-min") && words->size() == 2) {
    p.kind = k == "meta-max" ? Kind::kMetaMax : Kind::kMetaMin;
    p.field = (*words)[1];
  } else {
    return std::nullopt;
  }
  return p;
}

namespace {

std::optional<int64_t> AsInt(std::string_view s) {
  int64_t v;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// <0 when a's field value is smaller than b's, 0 when equal, >0 when larger. A missing field is
// smaller than any value.
int CompareField(const std::optional<std::string_view>& a, const std::optional<std::string_view>& b) {
  if (!a || !b) return a.has_value() - b.has_value();
  auto ia = AsInt(*a), ib = AsInt(*b);
  if (ia && ib) return (*ia > *ib) - (*ia < *ib);
  // One total order for mixed values: every integer sorts below every non-integer, so the
  // comparison stays transitive ("10" > "9" as integers, and "1a" > both).
  if (ia || ib) return ia ? -1 : 1;
  int c = a->compare(*b);
  return (c > 0) - (c < 0);
}

}  // namespace

bool Wins(const ConflictPolicy& policy, const Candidate& a, const Candidate& b) {
  int c = 0;  // >0: a wins on the policy's own criterion.
  switch (policy.kind) {
    case ConflictPolicy::Kind::kOldest:
      c = (a.time_us < b.time_us) - (a.time_us > b.time_us);
      break;
    case ConflictPolicy::Kind::kNewest:
      c = (a.time_us > b.time_us) - (a.time_us < b.time_us);
      break;
    case ConflictPolicy::Kind::kMetaMax:
    case ConflictPolicy::Kind::kMetaMin: {
      std::optional<std::string_view> fa, fb;
      fa = MetaFind(a.meta, policy.field);
      fb = MetaFind(b.meta, policy.field);
      c = CompareField(fa, fb);
      // A missing field always loses, for meta-min too.
      if (policy.kind == ConflictPolicy::Kind::kMetaMin && fa && fb) c = -c;
      break;
    }
  }
  if (c != 0) return c > 0;
  if (a.time_us != b.time_us) return a.time_us < b.time_us;
  if (a.node != b.node) return a.node < b.node;
  return a.pid < b.pid;
}

}  // namespace groupd::replication
