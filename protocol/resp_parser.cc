#include "protocol/resp_parser.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <climits>

namespace groupd::protocol {

namespace {

// Redis bounds the "*N" and "$N" header lines by PROTO_INLINE_MAX_SIZE, a compile-time constant
// that is not proto-inline-max-size; ParserLimits::max_inline_len only bounds inline requests.
constexpr size_t kMaxCountLineLen = size_t{64} * 1024;
// Redis's limits for clients that have not authenticated yet (networking.c, authRequired()).
constexpr int64_t kUnauthMaxMultibulkLen = 10;
constexpr int64_t kUnauthMaxBulkLen = 16384;

constexpr char kTooBigInline[] = "Protocol error: too big inline request";
constexpr char kUnbalancedQuotes[] = "Protocol error: unbalanced quotes in request";
constexpr char kTooBigMbulkCount[] = "Protocol error: too big mbulk count string";
constexpr char kInvalidMultibulkLen[] = "Protocol error: invalid multibulk length";
constexpr char kUnauthMultibulkLen[] = "Protocol error: unauthenticated multibulk length";
constexpr char kTooBigBulkCount[] = "Protocol error: too big bulk count string";
constexpr char kInvalidBulkLen[] = "Protocol error: invalid bulk length";
constexpr char kUnauthBulkLen[] = "Protocol error: unauthenticated bulk length";

// Redis's string2ll(): an optional '-', then digits without leading zeros ("0" alone is fine,
// "-0" is not); no '+', no spaces. std::from_chars alone would accept "007" and "-0".
bool StringToInt64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  // Fast path for the short positive lengths almost every request carries.
  if (s.size() <= 9 && s[0] >= '1' && s[0] <= '9') {
    int64_t v = 0;
    for (char ch : s) {
      if (ch < '0' || ch > '9') return false;
      v = v * 10 + (ch - '0');
    }
    *out = v;
    return true;
  }
  if (s == "0") {
    *out = 0;
    return true;
  }
  size_t first_digit = s[0] == '-' ? 1 : 0;
  if (first_digit >= s.size() || s[first_digit] < '1' || s[first_digit] > '9') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// isspace() in the C locale, which is what sdssplitargs() sees; spelled out so that bytes >= 0x80
// (negative as char) cannot hit undefined behaviour in <cctype>.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

ParseResult RequestParser::Parse(std::string_view buf, const ParserLimits& limits) {
  consumed_ = 0;
  args_.clear();
  // REQUIRES: after kIncomplete the caller passes a buffer that starts with the same bytes, so
  // it can only have grown.
  assert(pos_ <= buf.size() && scan_pos_ <= buf.size());
  if (pos_ > buf.size() || scan_pos_ > buf.size()) ClearCommandState();  // Rather than overrun.
  if (buf.empty()) return ParseResult::kIncomplete;
  // buf always starts with the current command, so its first byte decides the request type on
  // every call, as c->reqtype does once per command in Redis.
  if (buf[0] == '*') return ParseMultibulk(buf, limits);
  return ParseInline(buf, limits);
}

void RequestParser::Reset() {
  ClearCommandState();
  consumed_ = 0;
  args_.clear();
  error_.clear();
}

void RequestParser::ClearCommandState() {
  multibulk_len_ = 0;
  bulk_len_ = -1;
  pos_ = 0;
  scan_pos_ = 0;
  nul_in_line_ = false;
  arg_offsets_.clear();
}

ParseResult RequestParser::Fail(std::string_view msg) {
  error_.assign(msg);
  ClearCommandState();
  return ParseResult::kError;
}

void RequestParser::FinishCommand(std::string_view buf) {
  for (const auto& [offset, len] : arg_offsets_) args_.push_back(buf.substr(offset, len));
  consumed_ = pos_;
  ClearCommandState();
}

size_t RequestParser::FindLineEnd(std::string_view buf, char terminator) {
  // Redis finds line ends with strchr(), which stops at a NUL byte: a line with a NUL before its
  // terminator never completes, and the connection fails once the buffer passes the size limit.
  // We do the same, so a binary stream that lost sync (the "protocol desync" case in Redis's
  // tests) gets Redis's error instead of being split into commands.
  if (nul_in_line_) return std::string_view::npos;
  size_t found = std::max(pos_, scan_pos_);
  while (found < buf.size() && buf[found] != terminator && buf[found] != '\0') ++found;
  if (found == buf.size() || buf[found] == '\0') {
    nul_in_line_ = found < buf.size();
    scan_pos_ = buf.size();
    return std::string_view::npos;
  }
  // Stop at the terminator itself: for '\r', the next call starts here if the byte after it has
  // not arrived yet.
  scan_pos_ = found;
  return found;
}

std::string& RequestParser::InlineArg(size_t i) {
  // Reuse the strings (and their capacity) of earlier inline commands.
  if (i == inline_storage_.size()) return inline_storage_.emplace_back();
  inline_storage_[i].clear();
  return inline_storage_[i];
}

int RequestParser::SplitInline(std::string_view line) {
  // ParseInline() never passes a line holding a NUL, so at() returning '\0' past the end lets the
  // code below follow sdssplitargs(), which reads a C string, closely.
  auto at = [line](size_t i) { return i < line.size() ? line[i] : '\0'; };
  size_t argc = 0;
  size_t i = 0;
  while (true) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i >= line.size()) return static_cast<int>(argc);
    std::string& current = InlineArg(argc++);
    bool in_double_quotes = false;
    bool in_single_quotes = false;
    bool done = false;
    while (!done) {
      char c = at(i);
      if (in_double_quotes) {
        if (c == '\\' && at(i + 1) == 'x' && IsHexDigit(at(i + 2)) && IsHexDigit(at(i + 3))) {
          current.push_back(
              static_cast<char>(HexDigitValue(at(i + 2)) * 16 + HexDigitValue(at(i + 3))));
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          ++i;
          switch (line[i]) {
            case 'n':
              current.push_back('\n');
              break;
            case 'r':
              current.push_back('\r');
              break;
            case 't':
              current.push_back('\t');
              break;
            case 'b':
              current.push_back('\b');
              break;
            case 'a':
              current.push_back('\a');
              break;
            default:
              current.push_back(line[i]);
              break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a space or nothing at all.
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return -1;
          done = true;
        } else if (c == '\0') {
          return -1;  // Unterminated quotes.
        } else {
          current.push_back(c);
        }
      } else if (in_single_quotes) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          current.push_back('\'');
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !IsSpace(at(i + 1))) return -1;
          done = true;
        } else if (c == '\0') {
          return -1;
        } else {
          current.push_back(c);
        }
      } else {
        // Note the asymmetry with IsSpace(), kept from Redis: '\v' and '\f' are skipped between
        // tokens but are part of a token once it has started.
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double_quotes = true;
            break;
          case '\'':
            in_single_quotes = true;
            break;
          default:
            current.push_back(c);
            break;
        }
      }
      if (i < line.size()) ++i;
    }
  }
}

ParseResult RequestParser::ParseInline(std::string_view buf, const ParserLimits& limits) {
  size_t newline = FindLineEnd(buf, '\n');
  if (newline == std::string_view::npos) {
    // Like Redis, the limit applies only while no newline is buffered: a longer line that
    // arrives complete in one read is accepted.
    if (buf.size() > limits.max_inline_len) return Fail(kTooBigInline);
    return ParseResult::kIncomplete;
  }
  size_t line_len = newline;
  if (line_len > 0 && buf[line_len - 1] == '\r') --line_len;
  int argc = SplitInline(buf.substr(0, line_len));
  if (argc < 0) return Fail(kUnbalancedQuotes);
  // Views are taken only now: InlineArg() may have grown inline_storage_, moving its strings.
  for (int i = 0; i < argc; ++i) args_.push_back(inline_storage_[i]);
  consumed_ = newline + 1;
  ClearCommandState();
  return argc == 0 ? ParseResult::kEmpty : ParseResult::kCommand;
}

bool RequestParser::ParseWhole(std::string_view buf, const ParserLimits& limits) {
  const char* p = buf.data();
  const char* end = p + buf.size();
  // "*N\r" with N in 1..99; buf[0] is '*'.
  if (end - p < 4 || p[1] < '1' || p[1] > '9') return false;
  int64_t count = p[1] - '0';
  p += 2;
  if (*p >= '0' && *p <= '9') count = count * 10 + (*p++ - '0');
  if (p + 1 >= end || *p != '\r' || count > limits.max_multibulk_len ||
      (limits.unauthenticated && count > kUnauthMaxMultibulkLen)) {
    return false;
  }
  p += 2;
  for (int64_t i = 0; i < count; i++) {
    // "$L\r\n" with L in 1..999999999 (no leading zero), then L bytes and two more.
    if (end - p < 4 || p[0] != '$' || p[1] < '1' || p[1] > '9') return false;
    int64_t len = p[1] - '0';
    const char* q = p + 2;
    while (q < end && q - p <= 9 && *q >= '0' && *q <= '9') len = len * 10 + (*q++ - '0');
    if (q + 1 >= end || *q != '\r' || len > limits.max_bulk_len ||
        (limits.unauthenticated && len > kUnauthMaxBulkLen)) {
      return false;
    }
    q += 2;
    if (end - q < len + 2) return false;
    args_.emplace_back(q, static_cast<size_t>(len));
    p = q + len + 2;
  }
  consumed_ = static_cast<size_t>(p - buf.data());
  ClearCommandState();
  return true;
}

ParseResult RequestParser::ParseMultibulk(std::string_view buf, const ParserLimits& limits) {
  if (multibulk_len_ == 0) {
    if (ParseWhole(buf, limits)) return ParseResult::kCommand;
    args_.clear();
    // Header "*N\r\n"; buf[0] is '*'. As in Redis, the byte after '\r' is assumed to be '\n'.
    size_t cr = FindCr(buf);
    if (cr == std::string_view::npos) {
      if (buf.size() > kMaxCountLineLen) return Fail(kTooBigMbulkCount);
      return ParseResult::kIncomplete;
    }
    if (cr + 1 >= buf.size()) return ParseResult::kIncomplete;
    int64_t count = 0;
    if (!StringToInt64(buf.substr(1, cr - 1), &count) || count > INT_MAX ||
        count > limits.max_multibulk_len) {
      return Fail(kInvalidMultibulkLen);
    }
    if (limits.unauthenticated && count > kUnauthMaxMultibulkLen) {
      return Fail(kUnauthMultibulkLen);
    }
    pos_ = cr + 2;
    if (count <= 0) {  // "*0" and "*-1" (any negative count, as in Redis) carry no command.
      consumed_ = pos_;
      ClearCommandState();
      return ParseResult::kEmpty;
    }
    multibulk_len_ = count;
    // Redis also caps its first argv allocation at 1024 so that a lying header cannot make it
    // allocate much before the bytes arrive.
    arg_offsets_.reserve(static_cast<size_t>(std::min<int64_t>(count, 1024)));
  }

  while (static_cast<int64_t>(arg_offsets_.size()) < multibulk_len_) {
    if (bulk_len_ < 0 && !nul_in_line_ && scan_pos_ <= pos_) {
      // Fast path for the usual header, "$" and 1 to 9 digits without a leading zero, followed by
      // CR and one more byte: read the digits and find the CR in one pass. Anything else (a
      // header not all here yet, "$0", a bad byte) takes the general path below, which has the
      // exact Redis behaviour.
      const char* p = buf.data() + pos_;
      const char* end = buf.data() + buf.size();
      if (end - p >= 4 && p[0] == '$' && p[1] >= '1' && p[1] <= '9') {
        int64_t len = p[1] - '0';
        const char* q = p + 2;
        while (q < end && q - p <= 9 && *q >= '0' && *q <= '9') len = len * 10 + (*q++ - '0');
        if (q + 1 < end && *q == '\r' && len <= limits.max_bulk_len &&
            !(limits.unauthenticated && len > kUnauthMaxBulkLen)) {
          pos_ = static_cast<size_t>(q - buf.data()) + 2;
          scan_pos_ = pos_;
          bulk_len_ = len;
        }
      }
    }
    if (bulk_len_ < 0) {
      size_t cr = FindCr(buf);
      if (cr == std::string_view::npos) {
        if (buf.size() - pos_ > kMaxCountLineLen) return Fail(kTooBigBulkCount);
        return ParseResult::kIncomplete;
      }
      if (cr + 1 >= buf.size()) return ParseResult::kIncomplete;
      if (buf[pos_] != '$') {
        std::string msg = "Protocol error: expected '$', got '";
        msg.push_back(buf[pos_]);
        msg.push_back('\'');
        return Fail(msg);
      }
      int64_t len = 0;
      if (!StringToInt64(buf.substr(pos_ + 1, cr - pos_ - 1), &len) || len < 0 ||
          len > limits.max_bulk_len) {
        return Fail(kInvalidBulkLen);
      }
      if (limits.unauthenticated && len > kUnauthMaxBulkLen) return Fail(kUnauthBulkLen);
      pos_ = cr + 2;
      scan_pos_ = pos_;
      bulk_len_ = len;
    }
    // The payload plus its two terminator bytes, which (like Redis) we skip without checking.
    if (buf.size() - pos_ < static_cast<uint64_t>(bulk_len_) + 2) return ParseResult::kIncomplete;
    arg_offsets_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += static_cast<size_t>(bulk_len_) + 2;
    scan_pos_ = pos_;
    bulk_len_ = -1;
  }
  FinishCommand(buf);
  return ParseResult::kCommand;
}

}  // namespace groupd::protocol
