#include "tools/loadgen/resp_scan.h"

#include <cstring>

namespace groupd::loadgen {

namespace {

enum class Step { kDone, kMore, kBad };

// Reads the line at pos (without its CRLF) as [*line, *line_end); advances *pos past the CRLF.
Step ReadLine(const char* d, size_t len, size_t* pos, const char** line, const char** line_end) {
  const char* start = d + *pos;
  const char* cr = static_cast<const char*>(memchr(start, '\r', len - *pos));
  if (cr == nullptr || cr + 1 >= d + len) return Step::kMore;
  if (cr[1] != '\n') return Step::kBad;
  *line = start;
  *line_end = cr;
  *pos = static_cast<size_t>(cr - d) + 2;
  return Step::kDone;
}

// Reads the "<integer>\r\n" of a bulk or aggregate header at *pos, digit by digit (no search
// for the CR: replies of many short frames are mostly headers).
Step ReadCount(const char* d, size_t len, size_t* pos, int64_t* n) {
  size_t p = *pos;
  bool neg = p < len && d[p] == '-';
  if (neg) p++;
  size_t first = p;
  int64_t v = 0;
  for (; p < len && d[p] >= '0' && d[p] <= '9'; p++) {
    if (p - first >= 18) return Step::kBad;
    v = v * 10 + (d[p] - '0');
  }
  if (p + 1 >= len) return Step::kMore;
  if (p == first || d[p] != '\r' || d[p + 1] != '\n') return Step::kBad;
  *pos = p + 2;
  *n = neg ? -v : v;
  return Step::kDone;
}

// Scans one value at *pos; depth guards against hostile nesting.
Step ScanValue(const char* d, size_t len, size_t* pos, int depth, char* type, bool* is_error) {
  if (depth > 64) return Step::kBad;
  if (*pos >= len) return Step::kMore;
  char t = d[*pos];
  *pos += 1;
  Step s;
  int64_t n = 0;
  const char* line;
  const char* line_end;
  bool counted = t == '$' || t == '!' || t == '=' || t == '*' || t == '~' || t == '>' ||
                 t == '%' || t == '|';
  s = counted ? ReadCount(d, len, pos, &n) : ReadLine(d, len, pos, &line, &line_end);
  if (s != Step::kDone) return s;
  switch (t) {
    case '+':
    case ':':
    case '_':
    case '#':
    case ',':
    case '(':
      *type = t;
      return Step::kDone;
    case '-':
      *type = t;
      *is_error = true;
      return Step::kDone;
    case '$':
    case '!':
    case '=': {
      *type = t;
      if (t == '!') *is_error = true;
      if (n < 0) return t == '$' ? Step::kDone : Step::kBad;
      size_t need = static_cast<size_t>(n) + 2;
      if (len - *pos < need) return Step::kMore;
      *pos += need;
      return Step::kDone;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      if (n < 0) {
        *type = t;
        return t == '*' ? Step::kDone : Step::kBad;
      }
      int64_t items = (t == '%' || t == '|') ? n * 2 : n;
      char inner_type;
      bool inner_error = false;
      for (int64_t i = 0; i < items; ++i) {
        s = ScanValue(d, len, pos, depth + 1, &inner_type, &inner_error);
        if (s != Step::kDone) return s;
      }
      if (t == '|') {
        // An attribute decorates the value that follows it: that value is the reply.
        return ScanValue(d, len, pos, depth + 1, type, is_error);
      }
      *type = t;
      return Step::kDone;
    }
    default:
      return Step::kBad;
  }
}

}  // namespace

ScanResult ScanReply(const char* data, size_t len) {
  ScanResult r;
  size_t pos = 0;
  Step s = ScanValue(data, len, &pos, 0, &r.type, &r.is_error);
  if (s == Step::kDone) {
    r.status = ScanResult::Status::kComplete;
    r.consumed = pos;
  } else if (s == Step::kBad) {
    r.status = ScanResult::Status::kMalformed;
  }
  return r;
}

ScanResult ReplyScanner::Next(const char* data, size_t len) {
  if (!last_.empty() && len >= last_.size() && std::memcmp(data, last_.data(), last_.size()) == 0) {
    return last_result_;
  }
  ScanResult r = ScanReply(data, len);
  if (r.status == ScanResult::Status::kComplete) {
    if (r.consumed <= kMaxRemembered) {
      last_.assign(data, r.consumed);
      last_result_ = r;
    } else {
      last_.clear();
    }
  }
  return r;
}

}  // namespace groupd::loadgen
