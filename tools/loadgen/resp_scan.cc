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

bool ParseInt(const char* p, const char* end, int64_t* out) {
  if (p == end) return false;
  bool neg = false;
  if (*p == '-') {
    neg = true;
    ++p;
    if (p == end) return false;
  }
  int64_t v = 0;
  for (; p < end; ++p) {
    if (*p < '0' || *p > '9') return false;
    v = v * 10 + (*p - '0');
  }
  *out = neg ? -v : v;
  return true;
}

// Scans one value at *pos; depth guards against hostile nesting.
Step ScanValue(const char* d, size_t len, size_t* pos, int depth, char* type, bool* is_error) {
  if (depth > 64) return Step::kBad;
  if (*pos >= len) return Step::kMore;
  char t = d[*pos];
  *pos += 1;
  const char* line;
  const char* line_end;
  Step s = ReadLine(d, len, pos, &line, &line_end);
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
      int64_t n;
      if (!ParseInt(line, line_end, &n)) return Step::kBad;
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
      int64_t n;
      if (!ParseInt(line, line_end, &n)) return Step::kBad;
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

}  // namespace groupd::loadgen
