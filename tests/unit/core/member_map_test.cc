#include "server/member_map.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace groupd {
namespace {

// A value that counts live copies, so a member lost or destroyed twice on a move between the
// inline slot and the tree shows up.
struct Counted {
  static inline int live = 0;
  int v = 0;
  explicit Counted(int v) : v(v) { live++; }
  Counted(Counted&& o) noexcept : v(o.v) { live++; }
  Counted& operator=(Counted&& o) noexcept {
    v = o.v;
    return *this;
  }
  ~Counted() { live--; }
};

using Map = MemberMap<Counted>;

std::vector<std::pair<std::string, int>> Contents(const Map& m) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& [pid, value] : m) out.emplace_back(pid.str(), value.v);
  return out;
}

TEST(MemberMapTest, OneMemberInlineThenATreeThenInlineAgain) {
  {
    Map m;
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(m.begin(), m.end());
    EXPECT_EQ(m.find("a"), m.end());
    auto [it, inserted] = m.emplace(Pid("b"), Counted(2));
    EXPECT_TRUE(inserted);
    EXPECT_EQ(it->first.view(), "b");
    EXPECT_FALSE(m.emplace(Pid("b"), Counted(9)).second);  // Held: unchanged.
    EXPECT_EQ(Contents(m), (std::vector<std::pair<std::string, int>>{{"b", 2}}));
    EXPECT_TRUE(m.contains("b"));
    EXPECT_FALSE(m.contains("a"));
    EXPECT_EQ(m.lower_bound("a")->first.view(), "b");
    EXPECT_EQ(m.lower_bound("b")->first.view(), "b");
    EXPECT_EQ(m.lower_bound("c"), m.end());

    m.emplace(Pid("a"), Counted(1));  // Into a tree, in pid order.
    m.emplace(Pid("c"), Counted(3));
    EXPECT_EQ(m.size(), 3u);
    EXPECT_EQ(Contents(m), (std::vector<std::pair<std::string, int>>{{"a", 1}, {"b", 2}, {"c", 3}}));
    m.erase(m.find("a"));
    m.erase(m.find("c"));  // Back inline.
    EXPECT_EQ(Contents(m), (std::vector<std::pair<std::string, int>>{{"b", 2}}));
    m.find("b")->second.v = 20;
    EXPECT_EQ(m.find("b")->second.v, 20);
    EXPECT_EQ(Counted::live, 1);

    Map moved(std::move(m));
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(Contents(moved), (std::vector<std::pair<std::string, int>>{{"b", 20}}));
    moved.erase(moved.begin());
    EXPECT_TRUE(moved.empty());
    EXPECT_EQ(Counted::live, 0);
    moved.emplace(Pid("x"), Counted(1));
    moved.emplace(Pid("y"), Counted(2));
    Map assigned;
    assigned.emplace(Pid("z"), Counted(3));
    assigned = std::move(moved);
    EXPECT_EQ(Contents(assigned), (std::vector<std::pair<std::string, int>>{{"x", 1}, {"y", 2}}));
    EXPECT_EQ(Counted::live, 2);
  }
  EXPECT_EQ(Counted::live, 0);
}

// Random joins and leaves on small maps (crossing between one member and a tree often) against
// std::map: the same members, in the same order, and every value alive exactly once.
TEST(MemberMapTest, RandomChangesMatchAnOrderedMap) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; round++) {
    {
      Map m;
      std::map<std::string, int> model;
      for (int step = 0; step < 200; step++) {
        std::string pid = "p" + std::to_string(rng() % 5);
        if (rng() % 2 == 0) {
          auto [it, inserted] = m.emplace(Pid(pid), Counted(step));
          ASSERT_EQ(inserted, model.emplace(pid, step).second);
          ASSERT_EQ(it->first.view(), pid);
          ASSERT_EQ(it->second.v, model[pid]);
        } else if (auto it = m.find(pid); it != m.end()) {
          ASSERT_EQ(model.erase(pid), 1u);
          m.erase(it);
        } else {
          ASSERT_EQ(model.count(pid), 0u);
        }
        ASSERT_EQ(m.size(), model.size());
        ASSERT_EQ(Counted::live, static_cast<int>(model.size()));
        std::vector<std::pair<std::string, int>> want(model.begin(), model.end());
        ASSERT_EQ(Contents(m), want);
        std::string from = "p" + std::to_string(rng() % 6);
        auto lb = model.lower_bound(from);
        const Map& cm = m;
        auto got = cm.lower_bound(from);
        ASSERT_EQ(got == cm.end(), lb == model.end()) << from;
        if (lb != model.end()) ASSERT_EQ(got->first.view(), lb->first);
      }
    }
    ASSERT_EQ(Counted::live, 0);
  }
}

}  // namespace
}  // namespace groupd
