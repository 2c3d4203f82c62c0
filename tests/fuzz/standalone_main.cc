// A stand-in for libFuzzer's main(), so the fuzz targets build with g++ in the normal build and
// run as ctest smoke tests (label "fuzz") in every configuration, sanitizer builds included.
//
// It runs LLVMFuzzerTestOneInput over every file given (directories are read one level deep, in
// name order), then over -runs=N inputs made by mutating those files with a fixed-seed PRNG, so
// a run is reproducible: the same flags give the same inputs. It accepts the libFuzzer flags
// the smoke tests use and ignores any other "-flag=value", so the ctest command line is the
// same in both builds:
//   -runs=N            mutated inputs after the corpus (default 0)
//   -seed=S            PRNG seed (default 1)
//   -max_len=N         longest mutated input (default 4096)
//   -max_total_time=S  stop mutating after S seconds (default: no limit)
//   -dict=FILE         libFuzzer dictionary whose tokens the mutator inserts
// A crash aborts with the failing input written to ./crash-standalone (and its escaped bytes
// on stderr), so it can be replayed with the libFuzzer build: `fuzz_x crash-standalone`.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Parses one libFuzzer dictionary line: optional name=, then a quoted string with \\, \" and
// \xNN escapes. Comments and blank lines give nothing.
bool ParseDictLine(const std::string& line, std::string* out) {
  size_t q = line.find('"');
  if (line.empty() || line[0] == '#' || q == std::string::npos) return false;
  size_t end = line.rfind('"');
  if (end <= q) return false;
  out->clear();
  for (size_t i = q + 1; i < end; i++) {
    if (line[i] != '\\' || i + 1 >= end) {
      out->push_back(line[i]);
      continue;
    }
    char e = line[++i];
    if (e == 'x' && i + 2 < end) {
      out->push_back(static_cast<char>(std::stoi(line.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out->push_back(e);
    }
  }
  return true;
}

// xorshift64*: small, fast and the same everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 0x2545F4914F6CDD1DULL;
  }
  size_t Below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(Next() % n); }

 private:
  uint64_t s_;
};

const char* const kInteresting[] = {"\r\n", "\n",  "\0",  "0",   "-1",          "1",
                                    "*",    "$",   "\"",  "'",   "4294967296",  "-0",
                                    "\xff", "/",   "*1\r\n$",    "9223372036854775807"};

void Mutate(Rng& rng, std::string& s, const std::vector<std::string>& corpus,
            const std::vector<std::string>& dict, size_t max_len) {
  int n = 1 + static_cast<int>(rng.Below(8));
  for (int i = 0; i < n; i++) {
    size_t pos = rng.Below(s.size() + 1);
    switch (rng.Below(9)) {
      case 0:  // Flip a bit.
        if (!s.empty()) s[rng.Below(s.size())] ^= static_cast<char>(1 << rng.Below(8));
        break;
      case 1:  // Set a random byte.
        if (!s.empty()) s[rng.Below(s.size())] = static_cast<char>(rng.Next());
        break;
      case 2:  // Insert random bytes.
        for (size_t k = rng.Below(4) + 1; k > 0; k--) {
          s.insert(s.begin() + pos, static_cast<char>(rng.Next()));
        }
        break;
      case 3:  // Erase a range.
        if (!s.empty()) s.erase(rng.Below(s.size()), rng.Below(16) + 1);
        break;
      case 4: {  // Duplicate a range.
        if (s.empty()) break;
        size_t from = rng.Below(s.size());
        std::string piece = s.substr(from, rng.Below(64) + 1);
        s.insert(rng.Below(s.size() + 1), piece);
        break;
      }
      case 5:
      case 6:  // Insert a dictionary token.
        if (!dict.empty()) s.insert(pos, dict[rng.Below(dict.size())]);
        break;
      case 7: {  // Insert an interesting value.
        const char* v = kInteresting[rng.Below(std::size(kInteresting))];
        s.insert(pos, v[0] == '\0' ? std::string(1, '\0') : std::string(v));
        break;
      }
      case 8: {  // Splice in part of another corpus entry.
        if (corpus.empty()) break;
        const std::string& other = corpus[rng.Below(corpus.size())];
        if (other.empty()) break;
        size_t from = rng.Below(other.size());
        s.insert(pos, other.substr(from, rng.Below(other.size() - from) + 1));
        break;
      }
    }
  }
  if (s.size() > max_len) s.resize(max_len);
}

const std::string* g_current = nullptr;

void OnAbort(int) {
  if (g_current != nullptr) {
    std::ofstream("crash-standalone", std::ios::binary) << *g_current;
    std::fprintf(stderr, "standalone: crashing input (%zu bytes, saved to ./crash-standalone):\n"
                         "\"%s\"\n",
                 g_current->size(), groupd::fuzz::Escape(*g_current, 8192).c_str());
  }
  std::signal(SIGABRT, SIG_DFL);
}

void RunOne(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t runs = 0, seed = 1;
  size_t max_len = 4096;
  double max_time = 0;
  std::vector<std::string> dict;
  std::vector<fs::path> paths;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      size_t n = std::strlen(flag);
      return a.compare(0, n, flag) == 0 ? a.c_str() + n : nullptr;
    };
    if (const char* v = value("-runs=")) {
      runs = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("-seed=")) {
      seed = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("-max_len=")) {
      max_len = std::strtoull(v, nullptr, 10);
    } else if (const char* v = value("-max_total_time=")) {
      max_time = std::strtod(v, nullptr);
    } else if (const char* v = value("-dict=")) {
      std::istringstream lines(ReadFile(v));
      std::string line, token;
      while (std::getline(lines, line)) {
        if (ParseDictLine(line, &token)) dict.push_back(token);
      }
    } else if (a.size() > 1 && a[0] == '-') {
      // Another libFuzzer flag: irrelevant here.
    } else {
      paths.emplace_back(a);
    }
  }

  std::vector<fs::path> files;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      std::vector<fs::path> in_dir;
      for (const auto& e : fs::directory_iterator(p)) {
        if (e.is_regular_file()) in_dir.push_back(e.path());
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (fs::exists(p)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "standalone: no such file or directory: %s\n", p.c_str());
      return 2;
    }
  }
  std::signal(SIGABRT, OnAbort);

  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> corpus;
  for (const auto& f : files) {
    corpus.push_back(ReadFile(f));
    RunOne(corpus.back());
  }
  Rng rng(seed);
  uint64_t done = 0;
  for (; done < runs; done++) {
    if (max_time > 0 && (done & 63) == 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
            max_time) {
      break;
    }
    std::string input = corpus.empty() ? std::string() : corpus[rng.Below(corpus.size())];
    Mutate(rng, input, corpus, dict, max_len);
    RunOne(input);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("standalone: %zu corpus inputs and %llu mutated inputs (seed %llu) in %.2f s, no "
              "crash\n",
              corpus.size(), static_cast<unsigned long long>(done),
              static_cast<unsigned long long>(seed), secs);
  return 0;
}
