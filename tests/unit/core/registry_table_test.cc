#include "server/registry_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "server/shard_table.h"

namespace groupd {
namespace {

RegEntry Entry(int64_t t) {
  RegEntry e;
  e.pid = Pid("p" + std::to_string(t));
  e.time_us = t;
  return e;
}

// What a registration's tail holds: its encoded meta.
std::string MetaOf(int64_t t) { return std::string(Meta{{"t", std::to_string(t)}}.Encoded()); }

std::pair<RegEntry*, bool> Insert(RegistryTable& t, std::string_view key, int64_t stamp) {
  return t.Insert(key, Entry(stamp), MetaOf(stamp));
}

// Every entry, in the order of one Scan walk, taken in steps of `homes` home slots.
std::vector<const RegEntry*> Walk(const RegistryTable& t, size_t homes = 1000) {
  std::vector<const RegEntry*> out;
  for (RegistryTable::ScanCursor c; !c.done;) {
    t.Scan(c, homes, [&](const RegEntry& e) {
      out.push_back(&e);
      return true;
    });
  }
  return out;
}

TEST(RegistryTableTest, InsertFindEraseAndKeyOf) {
  RegistryTable t;
  EXPECT_EQ(t.Find("a"), nullptr);
  EXPECT_FALSE(t.Erase("a").has_value());
  auto [e, inserted] = Insert(t, "a", 1);
  ASSERT_TRUE(inserted);
  EXPECT_EQ(RegistryTable::KeyOf(*e), "a");
  auto [again, inserted2] = Insert(t, "a", 2);
  EXPECT_FALSE(inserted2);  // The held entry stays.
  EXPECT_EQ(again, e);
  EXPECT_EQ(again->time_us, 1);
  std::string binary("k\0y", 3);
  Insert(t, binary, 3);
  Insert(t, "", 4);  // The empty key is a key like any other.
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Find(binary)->time_us, 3);
  EXPECT_EQ(t.Find("")->time_us, 4);
  EXPECT_EQ(t.Find(std::string_view("k", 1)), nullptr);
  EXPECT_EQ(*MetaFind(t.Find(binary)->meta(), "t"), "3");
  std::optional<RegEntry> removed = t.Erase("a");
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->pid, "p1");
  EXPECT_EQ(t.Find("a"), nullptr);
  EXPECT_EQ(t.size(), 2u);
}

// Random inserts and erases against std::map: every key found with its entry, every entry's
// address stable while held, iteration yields each once, through growth and tombstone purges.
TEST(RegistryTableTest, AnEntrysMetaLivesInsideItsNodeAfterTheKey) {
  RegistryTable t;
  RegEntry* e = Insert(t, "key:000000000042", 42).first;
  std::string_view key = RegistryTable::KeyOf(*e);
  EXPECT_EQ(key.data(), reinterpret_cast<const char*>(e) + sizeof(RegEntry) + 1);  // 1-byte length.
  EXPECT_EQ(e->meta().Encoded().data(), key.data() + key.size());
  EXPECT_EQ(e->meta(), (Meta{{"t", "42"}}));
  // Keys of 128 bytes and more take a longer length; both still compare and read back.
  std::string long_key(300, 'k');
  RegEntry* l = Insert(t, long_key, 7).first;
  EXPECT_EQ(RegistryTable::KeyOf(*l), long_key);
  EXPECT_EQ(t.Find(long_key), l);
  EXPECT_EQ(t.Find(std::string(299, 'k')), nullptr);
  EXPECT_EQ(l->meta(), (Meta{{"t", "7"}}));
  // An entry without meta keeps the empty encoding's one byte.
  RegEntry* bare = t.Insert("k", Entry(1), Meta{}.Encoded()).first;
  EXPECT_TRUE(bare->meta().empty());
}

TEST(RegistryTableTest, ReplaceTailRewritesInPlaceOrMovesTheEntryToTheSameSlot) {
  RegistryTable t;
  for (int i = 0; i < 100; i++) Insert(t, "key:" + std::to_string(i), i);
  RegEntry* e = t.Find("key:50");
  const size_t displacement = t.DisplacementOf("key:50");
  std::string shorter(Meta{{"t", "x"}}.Encoded());
  EXPECT_EQ(t.ReplaceTail(e, e->meta().Encoded().size(), shorter), e);
  EXPECT_EQ(e->meta(), (Meta{{"t", "x"}}));
  std::string longer(Meta{{"t", "x"}, {"more", std::string(200, 'm')}}.Encoded());
  RegEntry* moved = t.ReplaceTail(e, e->meta().Encoded().size(), longer);
  EXPECT_NE(moved, e);
  EXPECT_EQ(t.Find("key:50"), moved);
  EXPECT_EQ(RegistryTable::KeyOf(*moved), "key:50");
  EXPECT_EQ(moved->time_us, 50);
  EXPECT_EQ(moved->pid, "p50");
  EXPECT_EQ(moved->meta().Encoded(), longer);
  EXPECT_EQ(t.DisplacementOf("key:50"), displacement);  // The same slot.
  EXPECT_EQ(t.size(), 100u);
  // Shrinking and growing back within what the node's allocation holds stays in place: a meta
  // that alternates between two lengths does not move its entry on every change.
  EXPECT_EQ(t.ReplaceTail(moved, moved->meta().Encoded().size(), shorter), moved);
  EXPECT_EQ(moved->meta(), (Meta{{"t", "x"}}));
  EXPECT_EQ(t.ReplaceTail(moved, moved->meta().Encoded().size(), longer), moved);
  EXPECT_EQ(moved->meta().Encoded(), longer);
  EXPECT_EQ(t.Find("key:50"), moved);
  for (int i = 0; i < 100; i++) EXPECT_NE(t.Find("key:" + std::to_string(i)), nullptr);
}

TEST(RegistryTableTest, EraseIfErasesOnlyWhenTold) {
  RegistryTable t;
  Insert(t, "a", 1);
  EXPECT_FALSE(t.EraseIf("a", [](RegEntry& e) { return e.pid == "nobody"; }));
  EXPECT_NE(t.Find("a"), nullptr);
  EXPECT_FALSE(t.EraseIf("b", [](RegEntry&) { return true; }));
  std::string seen;
  EXPECT_TRUE(t.EraseIf("a", [&](RegEntry& e) {
    seen = std::string(e.meta().Encoded());  // The tail is still there.
    return true;
  }));
  EXPECT_EQ(seen, MetaOf(1));
  EXPECT_EQ(t.Find("a"), nullptr);
  EXPECT_TRUE(t.empty());
}

TEST(RegistryTableTest, AgreesWithAMapUnderRandomChurn) {
  RegistryTable t;
  std::map<std::string, std::pair<int64_t, const RegEntry*>> model;
  std::mt19937 rng(7);
  bool was_rehashing = false;
  int checks_while_rehashing = 0;
  for (int step = 0; step < 200000; step++) {
    std::string key = "key:" + std::to_string(rng() % 5000);
    if (rng() % 3 != 0) {
      auto [e, inserted] = Insert(t, key, step);
      ASSERT_EQ(inserted, model.count(key) == 0) << key;
      if (inserted) model[key] = {step, e};
      ASSERT_EQ(e, model[key].second);
    } else {
      std::optional<RegEntry> r = t.Erase(key);
      ASSERT_EQ(r.has_value(), model.count(key) == 1) << key;
      if (r) {
        ASSERT_EQ(r->time_us, model[key].first);
        model.erase(key);
      }
    }
    // Check everything now and then, and at each rebuild's start (two arrays in use).
    bool rebuild_began = t.rehashing() && !was_rehashing;
    was_rehashing = t.rehashing();
    checks_while_rehashing += rebuild_began;
    if (step % 20000 == 0 || rebuild_began) {
      ASSERT_EQ(t.size(), model.size());
      for (const auto& [k, v] : model) {
        const RegEntry* e = t.Find(k);
        ASSERT_EQ(e, v.second) << k;
        ASSERT_EQ(e->time_us, v.first);
      }
      std::set<std::string> seen;
      for (const auto& [k, e] : t) {
        ASSERT_TRUE(seen.insert(std::string(k)).second) << "iterated twice: " << k;
        ASSERT_EQ(e.time_us, model.at(std::string(k)).first);
      }
      ASSERT_EQ(seen.size(), model.size());
    }
  }
  EXPECT_LE(t.size() * 4, t.capacity() * 3);
  EXPECT_GT(checks_while_rehashing, 3) << "the churn never met an incremental rebuild";
}

// A Scan spread across changes delivers every entry that stays throughout once (snapshots rely
// on this), while the table rebuilds under it again and again, step by step: growing, and
// purging the tombstones of churn that never stops. A walk that restarted when an array it was
// in was freed would deliver entries twice, and under such churn it would never end.
TEST(RegistryTableTest, AScanDeliversEveryEntryThatStaysOnceThroughEndlessRebuilds) {
  RegistryTable t;
  for (int i = 0; i < 3000; i++) Insert(t, "stay:" + std::to_string(i), i);
  for (int i = 0; i < 500; i++) Insert(t, "churn:" + std::to_string(i), i);
  std::map<std::string, int> delivered;
  int churned = 0, added = 0, rebuilding_steps = 0, rebuilds = 0, steps = 0;
  bool was_rehashing = false;
  for (RegistryTable::ScanCursor c; !c.done; steps++) {
    t.Scan(c, 1, [&](const RegEntry& e) {
      delivered[std::string(RegistryTable::KeyOf(e))]++;
      return true;
    });
    // Between steps: replace a churn key by a new one (tombstones, so purges, for as long as
    // the walk lasts), and erase one and add it back (it may land before or after the cursor).
    std::string k = "churn:" + std::to_string(churned % 500);
    t.Erase(k);
    Insert(t, "churn:" + std::to_string(churned + 500), 0);
    if (churned % 2 == 0) Insert(t, k, 0);
    churned++;
    // In bursts, so that rebuilds sometimes overtake the walk and sometimes lag behind it.
    int burst = steps % 512 == 0 ? 300 : steps % 4 == 0 ? 1 : 0;
    for (int j = 0; j < burst && added < 30000; j++) Insert(t, "new:" + std::to_string(added++), 0);
    if (t.rehashing()) rebuilding_steps++;
    if (t.rehashing() && !was_rehashing) rebuilds++;
    was_rehashing = t.rehashing();
    ASSERT_LE(static_cast<size_t>(steps), t.capacity()) << "each step passes a home slot";
  }
  EXPECT_GT(rebuilding_steps, 100) << "the walk never met a rebuild under way";
  EXPECT_GT(rebuilds, 8) << "the walk did not meet rebuilds again and again";
  EXPECT_GT(t.capacity(), 4 * 3500u) << "the table did not grow several times";
  for (const auto& [key, times] : delivered) EXPECT_EQ(times, 1) << key;
  for (int i = 0; i < 3000; i++) EXPECT_EQ(delivered.count("stay:" + std::to_string(i)), 1u) << i;
}

// A walk whose callback stops at every `every`-th entry of a Scan call, the first time that entry
// comes, counting what it is handed.
struct StoppingWalk {
  int every;
  std::map<std::string, int> delivered;
  std::set<std::string> stopped_at;

  void Step(const RegistryTable& t, RegistryTable::ScanCursor& c) {
    int taken = 0;
    t.Scan(c, 100, [&](const RegEntry& e) {
      std::string key(RegistryTable::KeyOf(e));
      delivered[key]++;
      return !(++taken % every == 0 && stopped_at.insert(key).second);
    });
  }
  // A key comes once, and again where the walk stopped at it.
  int TimesExpected(const std::string& key) const { return stopped_at.count(key) ? 2 : 1; }
};

// A Scan whose callback stops at an entry resumes at it: that entry comes again, and nothing is
// skipped, also when the table rebuilds between the stop and the resumption.
TEST(RegistryTableTest, AScanStoppedAtAnEntryDeliversItAgainAndSkipsNothing) {
  RegistryTable t;
  for (int i = 0; i < 5000; i++) Insert(t, "key:" + std::to_string(i), i);
  StoppingWalk walk{7};
  int calls = 0, added = 0, rebuilding_calls = 0;
  const size_t capacity = t.capacity();
  for (RegistryTable::ScanCursor c; !c.done; calls++) {
    walk.Step(t, c);
    for (int j = 0; j < 4; j++) Insert(t, "new:" + std::to_string(added++), 0);
    if (t.rehashing()) rebuilding_calls++;
  }
  EXPECT_GT(t.capacity(), capacity) << "the table never grew under the walk";
  EXPECT_GT(rebuilding_calls, 3) << "the walk never resumed in a rebuild under way";
  EXPECT_GT(walk.stopped_at.size(), 100u);
  EXPECT_GT(calls, 100);
  for (int i = 0; i < 5000; i++) {
    std::string key = "key:" + std::to_string(i);
    EXPECT_EQ(walk.delivered[key], walk.TimesExpected(key)) << key;
  }
}

// 2^bits keys of 16 * bits bytes with one std::hash, whatever its seed: libstdc++ hashes
// strings with MurmurHash64A, which mixes each 8-byte block k into the state h as
// h = (h ^ f(k)) * m. Two blocks whose f differ in the top bit only change the state by its top
// bit (m is odd), and a second pair differing the same way cancels it, so each 16-byte pair of
// pairs is a free choice. Each family of keys has another hash.
std::vector<std::string> KeysOfOneHash(int bits, uint32_t family = 0) {
  constexpr uint64_t kMul = 0xc6a4a7935bd1e995ULL;
  uint64_t inv = kMul;  // Newton's iteration for kMul's inverse mod 2^64.
  for (int i = 0; i < 5; i++) inv *= 2 - kMul * inv;
  auto f = [](uint64_t k) {
    uint64_t v = k * kMul;
    return (v ^ (v >> 47)) * kMul;
  };
  auto f_inverse = [inv](uint64_t y) {
    uint64_t v = y * inv;
    return (v ^ (v >> 47)) * inv;
  };
  constexpr uint64_t kTop = uint64_t{1} << 63;
  std::vector<std::string> keys{""};
  for (int b = 0; b < bits; b++) {
    uint64_t a[2] = {0x6b65793a00000000ULL + (uint64_t{family} << 8) + b,
                     0x6b65793a10000000ULL + (uint64_t{family} << 8) + b};
    uint64_t c[2] = {f_inverse(f(a[0]) ^ kTop), f_inverse(f(a[1]) ^ kTop)};
    std::vector<std::string> longer;
    for (const std::string& k : keys) {
      for (const uint64_t* pair : {a, c}) {
        std::string next = k;
        next.append(reinterpret_cast<const char*>(pair), 16);
        longer.push_back(std::move(next));
      }
    }
    keys = std::move(longer);
  }
  return keys;
}

// Keys of one 64-bit hash share a position, so a Scan that stops among them must know which of
// them it delivered: it resumes at the key it stopped at, in key order. (Resuming at the
// position alone delivered them again.) Four keys of each hash are too few to count as a flood.
TEST(RegistryTableTest, AScanStoppedAmongKeysOfOneHashDeliversEachOnce) {
  std::vector<std::string> same;
  for (uint32_t family = 0; family < 64; family++) {
    std::vector<std::string> four = KeysOfOneHash(2, family);
    std::set<size_t> hashes;
    for (const std::string& k : four) hashes.insert(std::hash<std::string_view>{}(k));
    ASSERT_EQ(hashes.size(), 1u) << "the keys do not collide: has std::hash changed?";
    same.insert(same.end(), four.begin(), four.end());
  }
  RegistryTable t;
  for (const std::string& k : same) Insert(t, k, 0);
  for (int i = 0; i < 1000; i++) Insert(t, "key:" + std::to_string(i), i);
  ASSERT_FALSE(t.keyed());
  StoppingWalk walk{3};
  for (RegistryTable::ScanCursor c; !c.done;) walk.Step(t, c);
  int stops_among_them = 0;
  for (const std::string& k : same) stops_among_them += static_cast<int>(walk.stopped_at.count(k));
  EXPECT_GT(stops_among_them, 10);
  EXPECT_EQ(walk.delivered.size(), t.size());
  for (const auto& [key, times] : walk.delivered) EXPECT_EQ(times, walk.TimesExpected(key)) << key;
}

// A flood of keys of one std::hash would make each insert probe past every earlier one. The
// table notices keys of one hash piling up and rehashes everything with SipHash: 32,768 of them
// then sit a few slots from their homes, every one is found, and a walk that was under way
// starts over once and still delivers everything.
TEST(RegistryTableTest, AHashFloodMakesTheTableRehashWithSipHash) {
  const std::vector<std::string> flood = KeysOfOneHash(15);
  RegistryTable t;
  for (int i = 0; i < 1000; i++) Insert(t, "key:" + std::to_string(i), i);
  std::map<std::string, int> delivered;
  RegistryTable::ScanCursor c;
  auto take = [&](const RegEntry& e) {
    delivered[std::string(RegistryTable::KeyOf(e))]++;
    return true;
  };
  t.Scan(c, 64, take);  // A walk under way.
  ASSERT_FALSE(c.done);
  EXPECT_FALSE(t.keyed());
  for (const std::string& k : flood) Insert(t, k, 7);
  EXPECT_TRUE(t.keyed());
  ASSERT_EQ(t.size(), 1000 + flood.size());
  size_t total = 0, worst = 0;
  for (const std::string& k : flood) {
    ASSERT_NE(t.Find(k), nullptr);
    size_t d = t.DisplacementOf(k);
    total += d;
    worst = std::max(worst, d);
  }
  EXPECT_LT(total / flood.size(), 8u);
  EXPECT_LT(worst, 1000u);  // Without the rehash: up to 32,767.
  for (int i = 0; i < 1000; i++) ASSERT_EQ(t.Find("key:" + std::to_string(i))->time_us, i);
  ASSERT_TRUE(t.Erase(flood[5]));
  EXPECT_EQ(t.Find(flood[5]), nullptr);
  delivered.clear();  // The walk starts over: what it had delivered comes again.
  while (!c.done) t.Scan(c, 1000, take);
  EXPECT_EQ(delivered.size(), t.size());
  for (const auto& [key, times] : delivered) ASSERT_EQ(times, 1);
}

// The maps whose keys clients choose (channels, patterns, group prefixes) hash with StringHash:
// keys crafted to share a std::hash spread over its buckets like any others.
TEST(RegistryTableTest, StringHashSpreadsKeysOfOneStdHash) {
  const std::vector<std::string> flood = KeysOfOneHash(12);
  std::unordered_set<std::string, StringHash, std::equal_to<>> set(flood.begin(), flood.end());
  ASSERT_EQ(set.size(), flood.size());
  size_t worst = 0;
  for (size_t b = 0; b < set.bucket_count(); b++) worst = std::max(worst, set.bucket_size(b));
  EXPECT_LT(worst, 16u);  // With std::hash: all 4,096 in one bucket.
  EXPECT_NE(StringHash{}(flood[0]), StringHash{}(flood[1]));
}

// Ordinary keys never make a table rehash with SipHash, however many.
TEST(RegistryTableTest, OrdinaryKeysKeepStdHash) {
  RegistryTable t;
  for (int i = 0; i < 300000; i++) {
    Insert(t, "key:" + std::to_string(i), i);
    if (i % 3 == 0) t.Erase("key:" + std::to_string(i / 2));
  }
  EXPECT_FALSE(t.keyed());
}

// A rebuild of a large table moves a few slots per insert: no insert pays for the whole table.
// While it runs every key is found, erased and replaced in whichever array holds it, and it
// finishes before the new array fills.
TEST(RegistryTableTest, ALargeTableRebuildsStepByStep) {
  RegistryTable t;
  int n = 0;
  size_t capacity = 0;
  while (!t.rehashing()) {
    capacity = t.capacity();
    Insert(t, "key:" + std::to_string(n), n);
    n++;
  }
  ASSERT_GE(capacity, 1024u);
  EXPECT_GT(t.capacity(), capacity);
  // Every key, old or new, is there while both arrays are in use; erasing and re-adding one
  // that has not moved yet works too.
  for (int i = 0; i < n; i++) {
    const RegEntry* e = t.Find("key:" + std::to_string(i));
    ASSERT_NE(e, nullptr) << i;
    ASSERT_EQ(e->time_us, i);
  }
  ASSERT_TRUE(t.Erase("key:1"));
  EXPECT_EQ(t.Find("key:1"), nullptr);
  Insert(t, "key:1", 1);
  // A walk started halfway through sees every entry: those still in the old array, then those
  // already moved.
  Insert(t, "mid:0", 0);
  ASSERT_TRUE(t.rehashing());
  EXPECT_EQ(Walk(t).size(), t.size());
  int inserts = 1;
  while (t.rehashing()) {
    Insert(t, "more:" + std::to_string(inserts), inserts);
    inserts++;
  }
  // kRehashStepSlots per insert (and at most a probe run more): the old array is empty after
  // capacity / kRehashStepSlots inserts.
  EXPECT_LE(static_cast<size_t>(inserts), capacity / RegistryTable::kRehashStepSlots + 1);
  EXPECT_GT(inserts, 1) << "the rebuild was not incremental";
  EXPECT_EQ(t.size(), static_cast<size_t>(n + inserts));
  for (int i = 0; i < n; i++) ASSERT_NE(t.Find("key:" + std::to_string(i)), nullptr) << i;
  EXPECT_EQ(Walk(t).size(), t.size());
  // Rehash() moves a rebuild along without inserts (the server's cron).
  while (!t.rehashing()) Insert(t, "key:" + std::to_string(n++), 0);
  EXPECT_TRUE(t.Rehash(16));
  while (t.Rehash(1000)) {
  }
  EXPECT_FALSE(t.rehashing());
  EXPECT_EQ(Walk(t).size(), t.size());
  EXPECT_EQ(t.Find("key:0")->time_us, 0);
}

// A snapshot receiver inserts what the sender's slot walk yields, in the sender's slot order.
// Had both tables the same home function, the receiver's first entries would all have homes at
// the start of its smaller table and pile into one run that each later insert walks
// (quadratic: a 1M-entry snapshot took 57 s). Each table seeds its homes.
TEST(RegistryTableTest, InsertingAnotherTablesSlotOrderKeepsProbesShort) {
  RegistryTable sender;
  const int n = 100000;
  for (int i = 0; i < n; i++) Insert(sender, "key:" + std::to_string(i), i);
  RegistryTable receiver;
  size_t total = 0, worst = 0;
  for (const RegEntry* e : Walk(sender)) {
    std::string key(RegistryTable::KeyOf(*e));
    Insert(receiver, key, e->time_us);
    size_t d = receiver.DisplacementOf(key);  // The probes this insert took.
    total += d;
    worst = std::max(worst, d);
  }
  ASSERT_EQ(receiver.size(), static_cast<size_t>(n));
  // Linear probing at most 4/5 full displaces a new key by a few slots on average; the pile-up
  // gives thousands.
  EXPECT_LT(total / n, 8u);
  EXPECT_LT(worst, 1000u);
}

// The capacities a table goes through while n keys are inserted, and every key still found.
template <TableGrowth G>
std::vector<size_t> CapacitiesWhileInserting(int n) {
  KeyedTable<int, G> t;
  std::vector<size_t> seen;
  for (int i = 0; i < n; i++) {
    t.Insert("k" + std::to_string(i), int{i});
    if (seen.empty() || seen.back() != t.capacity()) seen.push_back(t.capacity());
    // Never more than 4/5 full.
    EXPECT_LE(t.size() * 5, t.capacity() * 4) << i;
  }
  for (int i = 0; i < n; i++) EXPECT_EQ(*t.Find("k" + std::to_string(i)), i);
  return seen;
}

// The registry grows in quarter steps (slots are a fifth of its bytes per entry); the groups
// double (their rebuilds were most of the cost of creating groups in bulk).
TEST(RegistryTableTest, GrowthIsQuarterStepsOrDoublingAsTheTableAsks) {
  EXPECT_EQ(CapacitiesWhileInserting<TableGrowth::kQuarterSteps>(60),
            (std::vector<size_t>{8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80}));
  EXPECT_EQ(CapacitiesWhileInserting<TableGrowth::kDoubling>(60),
            (std::vector<size_t>{8, 16, 32, 64, 128}));
  static_assert(std::is_same_v<GroupTable, KeyedTable<Group, TableGrowth::kDoubling>>);
  static_assert(std::is_same_v<RegistryTable, KeyedTable<RegEntry, TableGrowth::kQuarterSteps>>);
}

TEST(RegistryTableTest, ReserveMakesRoomSoReachingTheCountRebuildsNothing) {
  RegistryTable t;
  Insert(t, "before", 0);
  t.Reserve(1000);
  const size_t capacity = t.capacity();
  EXPECT_GE(capacity * 4, 1000u * 5);
  EXPECT_LE(capacity, 1256u);  // Not more than 4/5 full calls for.
  for (int i = 1; i < 1000; i++) Insert(t, "key:" + std::to_string(i), i);
  EXPECT_FALSE(t.rehashing());
  EXPECT_EQ(t.capacity(), capacity);
  EXPECT_NE(t.Find("before"), nullptr);
  t.Reserve(10);  // Never shrinks.
  EXPECT_EQ(t.capacity(), capacity);
  Insert(t, "one more", 1000);  // Past the count it grows as usual.
  EXPECT_GT(t.capacity(), capacity);
  EXPECT_EQ(t.size(), 1001u);
}

// Fuzz targets fix the seeds so that an input replays with the same slot order.
TEST(RegistryTableTest, FixedSeedsGiveTheSameSlotOrderAgain) {
  auto slot_order = [](uint64_t base) {
    FixKeyedTableSeeds(base);
    RegistryTable t;
    for (int i = 0; i < 1000; i++) Insert(t, "key:" + std::to_string(i), i);
    std::vector<std::string> order;
    for (const auto& [key, e] : t) order.emplace_back(key);
    return order;
  };
  std::vector<std::string> first = slot_order(7);
  EXPECT_EQ(slot_order(7), first);
  EXPECT_NE(slot_order(8), first);
}

TEST(RegistryTableTest, MovedTableOwnsTheEntries) {
  RegistryTable a;
  RegEntry* e = Insert(a, "k", 1).first;
  RegistryTable b(std::move(a));
  EXPECT_EQ(b.Find("k"), e);
  EXPECT_EQ(a.size(), 0u);  // NOLINT: a moved-from table is empty.
  EXPECT_EQ(a.Find("k"), nullptr);
  RegistryTable c;
  Insert(c, "x", 2);
  c = std::move(b);
  EXPECT_EQ(c.Find("k"), e);
  EXPECT_EQ(c.Find("x"), nullptr);
}

}  // namespace
}  // namespace groupd
