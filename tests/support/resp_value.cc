#include "tests/support/resp_value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <stdexcept>

namespace groupd::testing {

namespace {

constexpr size_t kIncomplete = std::string_view::npos;
// Replies nested deeper than this are surely a decoder or server bug; stop before the stack does.
constexpr int kMaxDepth = 256;

[[noreturn]] void Malformed(const std::string& why, std::string_view in, size_t pos) {
  std::string context(in.substr(pos, 40));
  throw std::runtime_error("malformed RESP at offset " + std::to_string(pos) + ": " + why +
                           " (near \"" + context + "\")");
}

int64_t ToInt64(std::string_view s, std::string_view in, size_t pos) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    Malformed("bad integer '" + std::string(s) + "'", in, pos);
  }
  return v;
}

double ToDouble(std::string_view s, std::string_view in, size_t pos) {
  if (s == "inf" || s == "+inf") return HUGE_VAL;
  if (s == "-inf") return -HUGE_VAL;
  if (s == "nan" || s == "-nan") return std::nan("");
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    Malformed("bad double '" + std::string(s) + "'", in, pos);
  }
  return v;
}

// Decodes the value starting at in[pos]. Returns the offset just past it, or kIncomplete.
size_t Decode(std::string_view in, size_t pos, RespValue* out, int depth) {
  if (depth > kMaxDepth) Malformed("nesting too deep", in, pos);
  if (pos >= in.size()) return kIncomplete;
  size_t crlf = in.find("\r\n", pos);
  if (crlf == std::string_view::npos) return kIncomplete;
  const char type = in[pos];
  std::string_view line = in.substr(pos + 1, crlf - pos - 1);
  if (line.find_first_of("\r\n") != std::string_view::npos) Malformed("bare CR or LF", in, pos);
  size_t next = crlf + 2;
  *out = RespValue();

  // Reads a length-prefixed payload ("$", "=", "!") of len bytes at next, plus its CRLF.
  auto read_blob = [&](int64_t len, std::string* dst) -> size_t {
    if (in.size() - next < static_cast<uint64_t>(len) + 2) return kIncomplete;
    if (in.substr(next + len, 2) != "\r\n") Malformed("blob not followed by CRLF", in, pos);
    dst->assign(in.substr(next, len));
    return next + len + 2;
  };
  // Reads n nested values into dst. Grows dst one element at a time rather than trusting n, so a
  // corrupt count fails as incomplete instead of allocating gigabytes.
  auto read_elems = [&](int64_t n, std::vector<RespValue>* dst) -> size_t {
    for (int64_t i = 0; i < n; ++i) {
      RespValue elem;
      next = Decode(in, next, &elem, depth + 1);
      if (next == kIncomplete) return kIncomplete;
      dst->push_back(std::move(elem));
    }
    return next;
  };

  switch (type) {
    case '+':
      out->type = RespValue::kSimple;
      out->str = line;
      return next;
    case '-':
      out->type = RespValue::kError;
      out->str = line;
      return next;
    case ':':
      out->type = RespValue::kInteger;
      out->integer = ToInt64(line, in, pos);
      return next;
    case '_':
      if (!line.empty()) Malformed("null with payload", in, pos);
      out->type = RespValue::kNull;
      out->null_marker = '_';
      return next;
    case ',':
      out->type = RespValue::kDouble;
      out->dbl = ToDouble(line, in, pos);
      return next;
    case '#':
      if (line != "t" && line != "f") Malformed("bad boolean", in, pos);
      out->type = RespValue::kBool;
      out->boolean = line == "t";
      return next;
    case '(':
      if (line.empty() || line.find_first_not_of("-0123456789") != std::string_view::npos) {
        Malformed("bad big number", in, pos);
      }
      out->type = RespValue::kBigNumber;
      out->str = line;
      return next;
    case '$':
    case '!':
    case '=': {
      int64_t len = ToInt64(line, in, pos);
      if (type == '$' && len == -1) {
        out->type = RespValue::kNull;
        out->null_marker = '$';
        return next;
      }
      if (len < 0) Malformed("negative length", in, pos);
      out->type = type == '$'   ? RespValue::kBulk
                  : type == '!' ? RespValue::kError
                                : RespValue::kVerbatim;
      size_t end = read_blob(len, &out->str);
      if (end != kIncomplete && type == '=') {
        if (out->str.size() < 4 || out->str[3] != ':') Malformed("bad verbatim format", in, pos);
        out->format = out->str.substr(0, 3);
        out->str.erase(0, 4);
      }
      return end;
    }
    case '*':
    case '~':
    case '>':
    case '%': {
      int64_t n = ToInt64(line, in, pos);
      if (type == '*' && n == -1) {
        out->type = RespValue::kNull;
        out->null_marker = '*';
        return next;
      }
      if (n < 0) Malformed("negative count", in, pos);
      out->type = type == '*'   ? RespValue::kArray
                  : type == '~' ? RespValue::kSet
                  : type == '>' ? RespValue::kPush
                                : RespValue::kMap;
      return read_elems(type == '%' ? 2 * n : n, &out->elems);
    }
    case '|': {
      // An attribute annotates the value that follows it and is not a reply of its own.
      int64_t n = ToInt64(line, in, pos);
      if (n < 0) Malformed("negative count", in, pos);
      std::vector<RespValue> attributes;
      if (read_elems(2 * n, &attributes) == kIncomplete) return kIncomplete;
      size_t end = Decode(in, next, out, depth + 1);
      if (end != kIncomplete) out->attributes = std::move(attributes);
      return end;
    }
    default:
      Malformed(std::string("unknown type byte '") + type + "'", in, pos);
  }
}

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out->push_back(static_cast<char>(c));
        } else {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "\\x%02x", c);
          out->append(hex);
        }
    }
  }
  out->push_back('"');
}

void AppendValue(std::string* out, const RespValue& v);

void AppendList(std::string* out, const std::vector<RespValue>& elems, const char* open,
                const char* close, bool pairs) {
  out->append(open);
  for (size_t i = 0; i < elems.size(); ++i) {
    if (i > 0) out->append(pairs && i % 2 == 1 ? " => " : ", ");
    AppendValue(out, elems[i]);
  }
  out->append(close);
}

void AppendValue(std::string* out, const RespValue& v) {
  if (!v.attributes.empty()) {
    AppendList(out, v.attributes, "|{", "} ", true);
  }
  switch (v.type) {
    case RespValue::kSimple:
      out->append("+" + v.str);
      break;
    case RespValue::kError:
      out->append("(error) " + v.str);
      break;
    case RespValue::kInteger:
      out->append("(integer) " + std::to_string(v.integer));
      break;
    case RespValue::kBulk:
      AppendQuoted(out, v.str);
      break;
    case RespValue::kNull:
      out->append(v.null_marker == '*' ? "(nil array)" : "(nil)");
      break;
    case RespValue::kArray:
      AppendList(out, v.elems, "[", "]", false);
      break;
    case RespValue::kMap:
      AppendList(out, v.elems, "{", "}", true);
      break;
    case RespValue::kSet:
      AppendList(out, v.elems, "~{", "}", false);
      break;
    case RespValue::kPush:
      AppendList(out, v.elems, ">[", "]", false);
      break;
    case RespValue::kDouble: {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "(double) %.17g", v.dbl);
      out->append(buf);
      break;
    }
    case RespValue::kBool:
      out->append(v.boolean ? "(true)" : "(false)");
      break;
    case RespValue::kBigNumber:
      out->append("(bignum) " + v.str);
      break;
    case RespValue::kVerbatim:
      out->append("(verbatim " + v.format + ") ");
      AppendQuoted(out, v.str);
      break;
  }
}

}  // namespace

std::string RespValue::ToString() const {
  std::string out;
  AppendValue(&out, *this);
  return out;
}

std::ostream& operator<<(std::ostream& os, const RespValue& v) { return os << v.ToString(); }

void PrintTo(const RespValue& v, std::ostream* os) { *os << v.ToString(); }

size_t ParseRespValue(std::string_view in, RespValue* out) {
  size_t end = Decode(in, 0, out, 0);
  return end == kIncomplete ? 0 : end;
}

std::vector<RespValue> ParseAllReplies(std::string_view in) {
  std::vector<RespValue> replies;
  size_t pos = 0;
  while (pos < in.size()) {
    RespValue v;
    size_t n = ParseRespValue(in.substr(pos), &v);
    if (n == 0) {
      throw std::runtime_error("incomplete reply at offset " + std::to_string(pos) + " of " +
                               std::to_string(in.size()));
    }
    replies.push_back(std::move(v));
    pos += n;
  }
  return replies;
}

}  // namespace groupd::testing
