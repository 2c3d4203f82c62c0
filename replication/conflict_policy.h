#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/meta.h"

namespace groupd::replication {

// The deterministic rule every node applies when two processes hold the same registry key: all
// nodes pick the same winner from the same two candidates, whatever order they saw them in.
struct ConflictPolicy {
  enum class Kind { kOldest, kNewest, kMetaMax, kMetaMin };
  Kind kind = Kind::kOldest;
  std::string field;  // For kMetaMax / kMetaMin.

  // Parses the resolve-registry-conflict option ("oldest", "newest", "meta-max f", "meta-min f").
  static std::optional<ConflictPolicy> Parse(std::string_view text);
};

struct Candidate {
  std::string_view pid;
  std::string_view node;  // Owner node's name.
  int64_t time_us;
  MetaView meta;
};

// True when a beats b. Ties on the policy's criterion fall back to the older registration, then
// the smaller node name, then the smaller pid, so the order is total. For meta-max/meta-min a
// candidate lacking the field loses to one that has it; values compare as integers when both
// parse as integers, as byte strings when neither does, and every integer sorts below every
// non-integer, so the order is total and transitive.
bool Wins(const ConflictPolicy& policy, const Candidate& a, const Candidate& b);

}  // namespace groupd::replication
