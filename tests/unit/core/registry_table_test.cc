#include "server/registry_table.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>

namespace groupd {
namespace {

RegEntry Entry(int64_t t) {
  RegEntry e;
  e.pid = Pid("p" + std::to_string(t));
  e.time_us = t;
  e.meta = Meta{{"t", std::to_string(t)}};
  return e;
}

TEST(RegistryTableTest, InsertFindEraseAndKeyOf) {
  RegistryTable t;
  EXPECT_EQ(t.Find("a"), nullptr);
  EXPECT_FALSE(t.Erase("a").has_value());
  auto [e, inserted] = t.Insert("a", Entry(1));
  ASSERT_TRUE(inserted);
  EXPECT_EQ(RegistryTable::KeyOf(*e), "a");
  auto [again, inserted2] = t.Insert("a", Entry(2));
  EXPECT_FALSE(inserted2);  // The held entry stays.
  EXPECT_EQ(again, e);
  EXPECT_EQ(again->time_us, 1);
  std::string binary("k\0y", 3);
  t.Insert(binary, Entry(3));
  t.Insert("", Entry(4));  // The empty key is a key like any other.
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Find(binary)->time_us, 3);
  EXPECT_EQ(t.Find("")->time_us, 4);
  EXPECT_EQ(t.Find(std::string_view("k", 1)), nullptr);
  std::optional<RegEntry> removed = t.Erase("a");
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->pid, "p1");
  EXPECT_EQ(*MetaFind(removed->meta, "t"), "1");
  EXPECT_EQ(t.Find("a"), nullptr);
  EXPECT_EQ(t.size(), 2u);
}

// Random inserts and erases against std::map: every key found with its entry, every entry's
// address stable while held, iteration yields each once, through growth and tombstone purges.
TEST(RegistryTableTest, AnEntrysMetaLivesInsideItsNode) {
  RegistryTable t;
  RegEntry* e = t.Insert("key:000000000042", Entry(42)).first;
  ASSERT_TRUE(e->meta.borrowed());
  auto node = reinterpret_cast<uintptr_t>(e);
  auto meta = reinterpret_cast<uintptr_t>(e->meta.Encoded().data());
  std::string_view key = RegistryTable::KeyOf(*e);
  EXPECT_GE(meta, reinterpret_cast<uintptr_t>(key.data() + key.size()));  // After the key...
  EXPECT_LT(meta, node + 128);                                             // ...in the node.
  EXPECT_EQ(e->meta, (Meta{{"t", "42"}}));
  // What leaves the table owns its meta.
  std::optional<RegEntry> out = t.Erase("key:000000000042");
  ASSERT_TRUE(out.has_value());
  EXPECT_FALSE(out->meta.borrowed());
  EXPECT_EQ(out->meta, (Meta{{"t", "42"}}));
  // An entry without meta takes no room.
  RegEntry bare;
  bare.pid = Pid("p");
  EXPECT_TRUE(t.Insert("k", std::move(bare)).first->meta.empty());
}

TEST(RegistryTableTest, AgreesWithAMapUnderRandomChurn) {
  RegistryTable t;
  std::map<std::string, std::pair<int64_t, const RegEntry*>> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 200000; step++) {
    std::string key = "key:" + std::to_string(rng() % 5000);
    if (rng() % 3 != 0) {
      auto [e, inserted] = t.Insert(key, Entry(step));
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
    if (step % 20000 == 0) {
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
}

// A walk over slots spread across mutations sees every entry that stays throughout, as long as
// the generation does not change (snapshots rely on this).
TEST(RegistryTableTest, SlotWalkSeesEveryEntryThatStaysWhileTheGenerationHolds) {
  RegistryTable t;
  for (int i = 0; i < 1000; i++) t.Insert("stay:" + std::to_string(i), Entry(i));
  for (int i = 0; i < 200; i++) t.Insert("churn:" + std::to_string(i), Entry(i));
  const uint64_t gen = t.generation();
  std::set<std::string> seen;
  int churned = 0;
  for (size_t slot = 0; slot < t.capacity(); slot++) {
    if (const RegEntry* e = t.EntryAt(slot)) seen.insert(std::string(RegistryTable::KeyOf(*e)));
    // Between slots, erase a churn key and re-add it (it may land before or after the cursor).
    if (slot % 7 == 0 && churned < 200 && t.generation() == gen) {
      std::string k = "churn:" + std::to_string(churned++);
      t.Erase(k);
      t.Insert(k, Entry(0));
    }
  }
  ASSERT_EQ(t.generation(), gen) << "the test's churn rebuilt the table; make it smaller";
  for (int i = 0; i < 1000; i++) EXPECT_TRUE(seen.count("stay:" + std::to_string(i))) << i;
}

TEST(RegistryTableTest, MovedTableOwnsTheEntries) {
  RegistryTable a;
  RegEntry* e = a.Insert("k", Entry(1)).first;
  RegistryTable b(std::move(a));
  EXPECT_EQ(b.Find("k"), e);
  EXPECT_EQ(a.size(), 0u);  // NOLINT: a moved-from table is empty.
  EXPECT_EQ(a.Find("k"), nullptr);
  RegistryTable c;
  c.Insert("x", Entry(2));
  c = std::move(b);
  EXPECT_EQ(c.Find("k"), e);
  EXPECT_EQ(c.Find("x"), nullptr);
}

}  // namespace
}  // namespace groupd
