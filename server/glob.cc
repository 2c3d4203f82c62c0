#include "server/glob.h"

namespace groupd {

namespace {

// Matches one character class starting after '['. On return *p points past the closing ']'
// (or to the end of the pattern when it is unterminated, which Redis treats as closed).
bool MatchClass(std::string_view pat, size_t* p, char c) {
  size_t i = *p;
  bool negate = false;
  if (i < pat.size() && pat[i] == '^') {
    negate = true;
    i++;
  }
  bool match = false;
  while (i < pat.size() && pat[i] != ']') {
    if (pat[i] == '\\' && i + 1 < pat.size()) {
      i++;
      if (pat[i] == c) match = true;
      i++;
    } else if (i + 2 < pat.size() && pat[i + 1] == '-' && pat[i + 2] != ']') {
      char lo = pat[i], hi = pat[i + 2];
      if (lo > hi) std::swap(lo, hi);
      if (c >= lo && c <= hi) match = true;
      i += 3;
    } else {
      if (pat[i] == c) match = true;
      i++;
    }
  }
  if (i < pat.size()) i++;  // Skip ']'.
  *p = i;
  return negate ? !match : match;
}

}  // namespace

bool GlobMatch(std::string_view pat, std::string_view str) {
  size_t p = 0, s = 0;
  // Backtracking point of the last '*': pattern position after it and the string position it
  // currently covers up to. One point suffices: a later '*' subsumes an earlier one.
  size_t star_p = std::string_view::npos, star_s = 0;
  while (s < str.size()) {
    if (p < pat.size()) {
      char pc = pat[p];
      if (pc == '*') {
        while (p < pat.size() && pat[p] == '*') p++;
        if (p == pat.size()) return true;
        star_p = p;
        star_s = s;
        continue;
      }
      if (pc == '?') {
        p++;
        s++;
        continue;
      }
      if (pc == '[') {
        size_t np = p + 1;
        if (MatchClass(pat, &np, str[s])) {
          p = np;
          s++;
          continue;
        }
      } else {
        if (pc == '\\' && p + 1 < pat.size()) {
          if (pat[p + 1] == str[s]) {
            p += 2;
            s++;
            continue;
          }
        } else if (pc == str[s]) {
          p++;
          s++;
          continue;
        }
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < pat.size() && pat[p] == '*') p++;
  return p == pat.size();
}

}  // namespace groupd
