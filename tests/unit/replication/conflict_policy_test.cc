// Unit tests of the registry conflict policy (replication/conflict_policy.h): parsing the
// resolve-registry-conflict option and the order Wins() defines. Every node must pick the same
// winner whatever order it saw the candidates in, so beyond the per-policy rules these tests
// check that the order is total: antisymmetric and transitive.
#include "replication/conflict_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "server/config.h"

namespace groupd::replication {
namespace {

using Kind = ConflictPolicy::Kind;

ConflictPolicy Policy(std::string_view text) {
  auto p = ConflictPolicy::Parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(ConflictPolicy{});
}

// A candidate whose strings live in the test, so the views in Candidate stay valid.
struct Cand {
  std::string pid;
  std::string node;
  int64_t time_us = 0;
  Meta meta;
  bool no_meta = false;  // An empty Candidate::meta (no fields at all).

  Candidate view() const { return Candidate{pid, node, time_us, no_meta ? MetaView() : meta.view()}; }
};

Cand C(std::string pid, std::string node, int64_t time_us, Meta meta = {}) {
  return Cand{std::move(pid), std::move(node), time_us, std::move(meta)};
}

bool W(const ConflictPolicy& p, const Cand& a, const Cand& b) {
  return Wins(p, a.view(), b.view());
}

// Exactly one of the two wins.
void ExpectWinner(const ConflictPolicy& p, const Cand& winner, const Cand& loser) {
  EXPECT_TRUE(W(p, winner, loser)) << winner.pid << " should beat " << loser.pid;
  EXPECT_FALSE(W(p, loser, winner)) << loser.pid << " should lose to " << winner.pid;
}

// --- Parse -------------------------------------------------------------------------------------

TEST(ConflictPolicyParseTest, ParsesOldestAndNewest) {
  auto oldest = ConflictPolicy::Parse("oldest");
  ASSERT_TRUE(oldest.has_value());
  EXPECT_EQ(oldest->kind, Kind::kOldest);
  EXPECT_TRUE(oldest->field.empty());
  auto newest = ConflictPolicy::Parse("newest");
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(newest->kind, Kind::kNewest);
}

TEST(ConflictPolicyParseTest, ParsesMetaMaxAndMetaMinWithTheirField) {
  auto max = ConflictPolicy::Parse("meta-max priority");
  ASSERT_TRUE(max.has_value());
  EXPECT_EQ(max->kind, Kind::kMetaMax);
  EXPECT_EQ(max->field, "priority");
  auto min = ConflictPolicy::Parse("meta-min  epoch ");
  ASSERT_TRUE(min.has_value());
  EXPECT_EQ(min->kind, Kind::kMetaMin);
  EXPECT_EQ(min->field, "epoch");
}

TEST(ConflictPolicyParseTest, QuotedFieldKeepsItsSpaces) {
  auto p = ConflictPolicy::Parse("meta-max \"my field\"");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->field, "my field");
}

TEST(ConflictPolicyParseTest, SurroundingWhitespaceIsIgnored) {
  auto p = ConflictPolicy::Parse("  newest\t");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->kind, Kind::kNewest);
}

TEST(ConflictPolicyParseTest, RejectsUnknownOrMalformedPolicies) {
  for (std::string_view bad :
       {"", "   ", "youngest", "old", "oldest extra", "newest now", "meta-max", "meta-min",
        "meta-max a b", "meta-min a b", "meta-avg f", "meta-max \"unterminated", "max f"}) {
    EXPECT_FALSE(ConflictPolicy::Parse(bad).has_value()) << "'" << bad << "'";
  }
}

// The config option accepts `meta-max "my field"` but stores it without quotes, and the
// replication layer parses the stored text again with ConflictPolicy::Parse: the field with a
// space no longer parses, and Replication silently falls back to "oldest". Enable once the
// stored form round-trips (quote the field when storing, or keep the parsed policy).
TEST(ConflictPolicyParseTest, ConfigValueWithQuotedFieldRoundTripsThroughParse) {
  for (std::string_view value : {"meta-max \"my field\"", "meta-min \"\""}) {
    Config config;
    ASSERT_FALSE(SetOption(config, "resolve-registry-conflict", value, false).has_value()) << value;
    auto p = ConflictPolicy::Parse(config.resolve_registry_conflict);
    EXPECT_TRUE(p.has_value()) << "stored as '" << config.resolve_registry_conflict << "'";
  }
}

TEST(ConflictPolicyParseTest, EveryValueTheConfigOptionStoresParses) {
  for (std::string_view value : {"oldest", "NEWEST", "Meta-Max prio", "meta-min x"}) {
    Config config;
    ASSERT_FALSE(SetOption(config, "resolve-registry-conflict", value, false).has_value()) << value;
    EXPECT_TRUE(ConflictPolicy::Parse(config.resolve_registry_conflict).has_value())
        << "'" << value << "' stored as '" << config.resolve_registry_conflict << "'";
  }
}

// --- Wins: the policy's own criterion ----------------------------------------------------------

TEST(ConflictPolicyWinsTest, OldestPrefersTheEarlierRegistration) {
  ConflictPolicy p = Policy("oldest");
  ExpectWinner(p, C("1.a@z", "z", 100), C("1.a@a", "a", 200));
}

TEST(ConflictPolicyWinsTest, NewestPrefersTheLaterRegistration) {
  ConflictPolicy p = Policy("newest");
  ExpectWinner(p, C("1.a@z", "z", 200), C("1.a@a", "a", 100));
}

TEST(ConflictPolicyWinsTest, MetaMaxComparesIntegersNumerically) {
  ConflictPolicy p = Policy("meta-max prio");
  // As strings "9" > "10"; as integers 10 wins. The later, larger-named candidate wins anyway.
  ExpectWinner(p, C("p2", "n2", 200, {{"prio", "10"}}), C("p1", "n1", 100, {{"prio", "9"}}));
  ExpectWinner(p, C("p2", "n2", 200, {{"prio", "3"}}), C("p1", "n1", 100, {{"prio", "-5"}}));
  ExpectWinner(p, C("p2", "n2", 200, {{"prio", "9223372036854775807"}}),
               C("p1", "n1", 100, {{"prio", "-9223372036854775808"}}));
}

TEST(ConflictPolicyWinsTest, MetaMinComparesIntegersNumerically) {
  ConflictPolicy p = Policy("meta-min prio");
  ExpectWinner(p, C("p2", "n2", 200, {{"prio", "9"}}), C("p1", "n1", 100, {{"prio", "10"}}));
  ExpectWinner(p, C("p2", "n2", 200, {{"prio", "-5"}}), C("p1", "n1", 100, {{"prio", "3"}}));
}

TEST(ConflictPolicyWinsTest, MetaMaxComparesNonIntegersAsByteStrings) {
  ConflictPolicy p = Policy("meta-max v");
  ExpectWinner(p, C("p2", "n2", 200, {{"v", "abd"}}), C("p1", "n1", 100, {{"v", "abc"}}));
  ExpectWinner(p, C("p2", "n2", 200, {{"v", "b"}}), C("p1", "n1", 100, {{"v", "abc"}}));
  // One side is not an integer: both compare as strings, so "9x" > "10".
  ExpectWinner(p, C("p2", "n2", 200, {{"v", "9x"}}), C("p1", "n1", 100, {{"v", "10"}}));
  // A proper prefix is the smaller string.
  ExpectWinner(p, C("p2", "n2", 200, {{"v", "ab"}}), C("p1", "n1", 100, {{"v", "a"}}));
}

TEST(ConflictPolicyWinsTest, MetaMinComparesNonIntegersAsByteStrings) {
  ConflictPolicy p = Policy("meta-min v");
  ExpectWinner(p, C("p2", "n2", 200, {{"v", "abc"}}), C("p1", "n1", 100, {{"v", "abd"}}));
  ExpectWinner(p, C("p2", "n2", 200, {{"v", "10"}}), C("p1", "n1", 100, {{"v", "9x"}}));
}

TEST(ConflictPolicyWinsTest, MissingFieldLosesUnderMetaMax) {
  ConflictPolicy p = Policy("meta-max prio");
  // The candidate without the field is older, smaller-named: it still loses.
  ExpectWinner(p, C("p2", "n2", 200, {{"prio", "-100"}}), C("p1", "n1", 100, {{"other", "1"}}));
  Cand no_meta = C("p0", "n0", 1);
  no_meta.no_meta = true;
  ExpectWinner(p, C("p2", "n2", 200, {{"prio", ""}}), no_meta);
}

TEST(ConflictPolicyWinsTest, MissingFieldLosesUnderMetaMinToo) {
  ConflictPolicy p = Policy("meta-min prio");
  ExpectWinner(p, C("p2", "n2", 200, {{"prio", "1000"}}), C("p1", "n1", 100, {}));
  Cand no_meta = C("p0", "n0", 1);
  no_meta.no_meta = true;
  ExpectWinner(p, C("p2", "n2", 200, {{"prio", "zzz"}}), no_meta);
}

TEST(ConflictPolicyWinsTest, BothMissingTheFieldFallsBackToTheOlderRegistration) {
  for (std::string_view text : {"meta-max prio", "meta-min prio"}) {
    ConflictPolicy p = Policy(text);
    ExpectWinner(p, C("p2", "n2", 100, {{"x", "1"}}), C("p1", "n1", 200, {}));
  }
}

// --- Wins: tie breaks --------------------------------------------------------------------------

TEST(ConflictPolicyWinsTest, EqualFieldValuesFallBackToTheOlderRegistration) {
  for (std::string_view text : {"meta-max prio", "meta-min prio"}) {
    ConflictPolicy p = Policy(text);
    ExpectWinner(p, C("p9", "n9", 100, {{"prio", "5"}}), C("p1", "n1", 200, {{"prio", "5"}}));
    // Integers equal by value but not by text ("05" and "5") tie too.
    ExpectWinner(p, C("p9", "n9", 100, {{"prio", "05"}}), C("p1", "n1", 200, {{"prio", "5"}}));
  }
}

TEST(ConflictPolicyWinsTest, EqualTimesFallBackToTheSmallerNodeName) {
  for (std::string_view text : {"oldest", "newest", "meta-max prio", "meta-min prio"}) {
    ConflictPolicy p = Policy(text);
    ExpectWinner(p, C("9.x@node-a", "node-a", 500, {{"prio", "1"}}),
                 C("1.x@node-b", "node-b", 500, {{"prio", "1"}}));
  }
}

TEST(ConflictPolicyWinsTest, EqualTimesAndNodesFallBackToTheSmallerPid) {
  for (std::string_view text : {"oldest", "newest", "meta-max prio", "meta-min prio"}) {
    ConflictPolicy p = Policy(text);
    ExpectWinner(p, C("1.x@n", "n", 500), C("2.x@n", "n", 500));
  }
}

TEST(ConflictPolicyWinsTest, ACandidateNeverBeatsItself) {
  for (std::string_view text : {"oldest", "newest", "meta-max prio", "meta-min prio"}) {
    ConflictPolicy p = Policy(text);
    Cand a = C("1.x@n", "n", 500, {{"prio", "3"}});
    EXPECT_FALSE(W(p, a, a)) << text;
  }
}

// --- Wins: the order is total ------------------------------------------------------------------

// Candidates with few distinct values, so that every criterion and tie break is exercised. Pids
// are unique, as they are in a cluster.
std::vector<Cand> RandomCandidates(std::mt19937_64& rng, size_t n,
                                   const std::vector<std::string>& values) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  std::vector<Cand> out;
  for (size_t i = 0; i < n; i++) {
    Cand c;
    c.node = nodes[rng() % nodes.size()];
    c.pid = std::to_string(rng() % 1000) + "." + std::to_string(i) + "@" + c.node;
    c.time_us = static_cast<int64_t>(rng() % 4) * 1000;
    uint64_t m = rng() % (values.size() + 2);
    if (m < values.size()) {
      c.meta = {{"other", "x"}, {"prio", values[m]}};
    } else if (m == values.size()) {
      c.meta = {{"other", "y"}};  // Field missing.
    } else {
      c.no_meta = true;
    }
    out.push_back(std::move(c));
  }
  return out;
}

const std::vector<std::string> kIntValues = {"-3", "0", "7", "10", "010", "9"};
const std::vector<std::string> kStringValues = {"", "a", "ab", "b", "B", "zz", "\xff"};
const std::vector<std::string> kMixedValues = {"-3", "0", "7", "10", "9", "1a", "x", ""};

TEST(ConflictPolicyWinsTest, ExactlyOneOfTwoDistinctCandidatesWinsUnderEveryPolicy) {
  std::mt19937_64 rng(7);
  for (std::string_view text : {"oldest", "newest", "meta-max prio", "meta-min prio"}) {
    ConflictPolicy p = Policy(text);
    std::vector<Cand> cands = RandomCandidates(rng, 60, kMixedValues);
    for (size_t i = 0; i < cands.size(); i++) {
      for (size_t j = 0; j < cands.size(); j++) {
        if (i == j) continue;
        ASSERT_NE(W(p, cands[i], cands[j]), W(p, cands[j], cands[i]))
            << text << ": " << cands[i].pid << " vs " << cands[j].pid;
      }
    }
  }
}

// For every triple: a beats b and b beats c implies a beats c. Meta values are all integers or
// all non-integers (see the disabled test below for a mix).
void ExpectTransitive(const ConflictPolicy& p, const std::vector<Cand>& cands,
                      std::string_view what) {
  for (const Cand& a : cands) {
    for (const Cand& b : cands) {
      if (&a == &b || !W(p, a, b)) continue;
      for (const Cand& c : cands) {
        if (&c == &a || &c == &b || !W(p, b, c)) continue;
        ASSERT_TRUE(W(p, a, c)) << what << ": " << a.pid << " > " << b.pid << " > " << c.pid
                                << " but not " << a.pid << " > " << c.pid;
      }
    }
  }
}

TEST(ConflictPolicyWinsTest, OrderIsTransitiveForHomogeneousValues) {
  std::mt19937_64 rng(11);
  for (std::string_view text : {"oldest", "newest", "meta-max prio", "meta-min prio"}) {
    ConflictPolicy p = Policy(text);
    ExpectTransitive(p, RandomCandidates(rng, 30, kIntValues), std::string(text) + " (ints)");
    ExpectTransitive(p, RandomCandidates(rng, 30, kStringValues), std::string(text) + " (strings)");
  }
}

TEST(ConflictPolicyWinsTest, ApplyingCandidatesInAnyOrderKeepsTheSameWinner) {
  std::mt19937_64 rng(3);
  ConflictPolicy p = Policy("meta-max prio");
  std::vector<Cand> cands = RandomCandidates(rng, 25, kIntValues);
  // The winner seen by a node that applies candidates one by one, holder against newcomer.
  auto fold = [&](const std::vector<Cand>& order) {
    const Cand* held = &order[0];
    for (size_t i = 1; i < order.size(); i++) {
      if (W(p, order[i], *held)) held = &order[i];
    }
    return held->pid;
  };
  std::string first = fold(cands);
  for (int round = 0; round < 50; round++) {
    std::shuffle(cands.begin(), cands.end(), rng);
    ASSERT_EQ(fold(cands), first) << "round " << round;
  }
}

// meta-max / meta-min compare two values as integers only when both parse as integers, else as
// strings, and that is not a transitive order once integers and non-integers mix:
//   "10" > "9" (integers), "9" > "1a" (strings: '9' > '1'), "1a" > "10" (strings: 'a' > '0').
// Three nodes that see these three registrations in different orders keep different winners
// (and each node evicts its own local candidate once it sees the one that beats it, so the key
// can end up held by nobody). Suggested order: integers before non-integers, each group in its
// own order. Enable once the comparison is a total order.
TEST(ConflictPolicyWinsTest, OrderIsTransitiveWhenIntegerAndStringValuesMix) {
  ConflictPolicy p = Policy("meta-max prio");
  Cand ten = C("p10", "n1", 100, {{"prio", "10"}});
  Cand nine = C("p9", "n2", 100, {{"prio", "9"}});
  Cand one_a = C("p1a", "n3", 100, {{"prio", "1a"}});
  std::vector<Cand> cands = {ten, nine, one_a};
  ExpectTransitive(p, cands, "meta-max prio (mixed)");
  std::mt19937_64 rng(5);
  ExpectTransitive(p, RandomCandidates(rng, 30, kMixedValues), "meta-max prio (random mixed)");
}

}  // namespace
}  // namespace groupd::replication
