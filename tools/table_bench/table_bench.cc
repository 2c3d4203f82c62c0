// Times KeyedTable on its own, without sockets: a shard-like set of tables (8 by default) takes
// N keys between them ("key:%012d", a 38-byte tail, as a registration's meta), then looks up a
// third of them at random, then walks them all with Scan (as a snapshot does) and with the
// iterator. Prints nanoseconds per insert, per lookup and per key walked, the final capacity and
// bytes of slots per key, per repetition. Memory-bound figures: compare builds on one machine,
// alternating runs (see docs/BENCHMARKS.md). A last pass times each insert on its own and prints
// the longest: what one insert can cost the loop (a rebuild moves 256 slots per insert; what is
// left is mostly the page faults of fresh memory).
//
//   build/tools/table_bench/table_bench [KEYS] [TABLES] [REPS]     (default 2000000 8 3)
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "server/keyed_table.h"

namespace {

struct Value {  // The size of a RegEntry.
  uint64_t a = 0, b = 0, c = 0;
};

double NsPer(std::chrono::steady_clock::duration d, size_t n) {
  return std::chrono::duration<double, std::nano>(d).count() / static_cast<double>(n);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t keys_n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 2000000;
  const size_t tables_n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 8;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 3;
  if (keys_n == 0 || tables_n == 0) {
    std::fprintf(stderr, "usage: table_bench [KEYS] [TABLES] [REPS]\n");
    return 2;
  }
  std::vector<std::string> keys;
  keys.reserve(keys_n);
  for (size_t i = 0; i < keys_n; i++) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "key:%012zu", i);
    keys.emplace_back(buf);
  }
  std::vector<size_t> probes(keys_n / 3);
  std::mt19937_64 rng(1);
  for (size_t& p : probes) p = rng() % keys_n;
  const std::string tail(38, 'm');
  for (int rep = 0; rep < reps; rep++) {
    std::vector<groupd::KeyedTable<Value>> tables(tables_n);
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < keys_n; i++) tables[i % tables_n].Insert(keys[i], Value{}, tail);
    auto t1 = std::chrono::steady_clock::now();
    size_t found = 0;
    for (size_t p : probes) found += tables[p % tables_n].Find(keys[p]) != nullptr;
    auto t2 = std::chrono::steady_clock::now();
    // A snapshot's walk: Scan, in calls of as many homes as a snapshot chunk scans.
    size_t scanned = 0;
    for (const auto& t : tables) {
      for (groupd::KeyedTable<Value>::ScanCursor c; !c.done;) {
        t.Scan(c, 8 * 2048 + 64, [&](const Value&) {
          scanned++;
          return true;
        });
      }
    }
    auto t3 = std::chrono::steady_clock::now();
    size_t iterated = 0;
    for (const auto& t : tables) {
      for (const auto& kv : t) iterated += kv.first.size() != 0;
    }
    auto t4 = std::chrono::steady_clock::now();
    size_t slots = 0;
    for (const auto& t : tables) slots += t.capacity();
    bool ok = found == probes.size() && scanned == keys_n && iterated == keys_n;
    std::printf(
        "insert %6.1f ns/key  lookup %6.1f ns/key  scan %5.1f ns/key  iterate %5.1f ns/key  "
        "slots %zu (%.1f B/key)%s\n",
        NsPer(t1 - t0, keys_n), NsPer(t2 - t1, probes.size()), NsPer(t3 - t2, keys_n),
        NsPer(t4 - t3, keys_n), slots,
        8.0 * static_cast<double>(slots) / static_cast<double>(keys_n),
        ok ? "" : "  LOOKUPS OR WALKS FAILED");
    if (!ok) return 1;
  }
  std::vector<groupd::KeyedTable<Value>> tables(tables_n);
  std::chrono::steady_clock::duration longest{};
  size_t longest_at = 0;
  for (size_t i = 0; i < keys_n; i++) {
    auto t0 = std::chrono::steady_clock::now();
    tables[i % tables_n].Insert(keys[i], Value{}, tail);
    auto d = std::chrono::steady_clock::now() - t0;
    if (d > longest) {
      longest = d;
      longest_at = i;
    }
  }
  std::printf("longest insert %.1f ms (key %zu of %zu)\n", NsPer(longest, 1) / 1e6, longest_at,
              keys_n);
  return 0;
}
