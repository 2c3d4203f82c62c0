#pragma once

// Test-only strict JSON reader (RFC 8259), small enough to trust by reading. Event payloads are
// checked by parsing them, so a test proves both that the payload is valid JSON and what it says.
// Used by the core unit tests and the in-process G-command tests.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace groupd::testjson {

// An object's members as (name, string value) pairs, the form StringPairs() returns.
using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind = kNull;
  bool boolean = false;
  std::string number;  // The number's text as written (integers are compared as text).
  std::string str;     // Decoded UTF-8 of a string.
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;  // In document order.

  bool IsNull() const { return kind == kNull; }
  // The member named key of an object, or nullptr.
  const Json* Get(std::string_view key) const {
    for (const auto& [k, v] : object) {
      if (k == key) return &v;
    }
    return nullptr;
  }
  // Object members as (name, string value) pairs; empty if any value is not a string.
  std::vector<std::pair<std::string, std::string>> StringPairs() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : object) {
      if (v.kind != kString) return {};
      out.emplace_back(k, v.str);
    }
    return out;
  }
  // The number as an unsigned integer, or nullopt if it is not one.
  std::optional<uint64_t> AsUint() const {
    if (kind != kNumber || number.empty() || number[0] == '-') return std::nullopt;
    uint64_t v = 0;
    for (char c : number) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
  }
};

namespace internal {

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  std::optional<Json> Document() {
    Json v;
    if (!Value(&v, 0)) return std::nullopt;
    SkipSpace();
    if (pos_ != in_.size()) return std::nullopt;
    return v;
  }

 private:
  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      pos_++;
    }
  }
  bool Literal(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool Value(Json* out, int depth) {
    if (depth > 64) return false;
    SkipSpace();
    if (pos_ >= in_.size()) return false;
    char c = in_[pos_];
    if (c == 'n') return Literal("null") && (out->kind = Json::kNull, true);
    if (c == 't') return Literal("true") && (out->kind = Json::kBool, out->boolean = true);
    if (c == 'f') {
      out->kind = Json::kBool;
      return Literal("false");
    }
    if (c == '"') {
      out->kind = Json::kString;
      return String(&out->str);
    }
    if (c == '[') return Array(out, depth);
    if (c == '{') return Object(out, depth);
    return Number(out);
  }

  bool Number(Json* out) {
    size_t start = pos_;
    if (pos_ < in_.size() && in_[pos_] == '-') pos_++;
    if (pos_ >= in_.size() || !IsDigit(in_[pos_])) return false;
    if (in_[pos_] == '0') {
      pos_++;
    } else {
      while (pos_ < in_.size() && IsDigit(in_[pos_])) pos_++;
    }
    if (pos_ < in_.size() && in_[pos_] == '.') {
      pos_++;
      if (pos_ >= in_.size() || !IsDigit(in_[pos_])) return false;
      while (pos_ < in_.size() && IsDigit(in_[pos_])) pos_++;
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      pos_++;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) pos_++;
      if (pos_ >= in_.size() || !IsDigit(in_[pos_])) return false;
      while (pos_ < in_.size() && IsDigit(in_[pos_])) pos_++;
    }
    out->kind = Json::kNumber;
    out->number = std::string(in_.substr(start, pos_ - start));
    return true;
  }

  bool Array(Json* out, int depth) {
    out->kind = Json::kArray;
    pos_++;  // '['
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == ']') {
      pos_++;
      return true;
    }
    while (true) {
      Json elem;
      if (!Value(&elem, depth + 1)) return false;
      out->array.push_back(std::move(elem));
      SkipSpace();
      if (pos_ >= in_.size()) return false;
      if (in_[pos_] == ']') {
        pos_++;
        return true;
      }
      if (in_[pos_++] != ',') return false;
    }
  }

  bool Object(Json* out, int depth) {
    out->kind = Json::kObject;
    pos_++;  // '{'
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == '}') {
      pos_++;
      return true;
    }
    while (true) {
      SkipSpace();
      std::string key;
      if (pos_ >= in_.size() || in_[pos_] != '"' || !String(&key)) return false;
      SkipSpace();
      if (pos_ >= in_.size() || in_[pos_++] != ':') return false;
      Json value;
      if (!Value(&value, depth + 1)) return false;
      out->object.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (pos_ >= in_.size()) return false;
      if (in_[pos_] == '}') {
        pos_++;
        return true;
      }
      if (in_[pos_++] != ',') return false;
    }
  }

  bool Hex4(uint32_t* out) {
    if (in_.size() - pos_ < 4) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
      char c = in_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *out = v;
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // Length of the valid UTF-8 sequence at pos_, or 0. Written independently of the server's
  // validator on purpose (table-driven, per RFC 3629 section 4).
  size_t Utf8Length() const {
    auto b = [&](size_t k) { return static_cast<unsigned char>(in_[pos_ + k]); };
    auto in = [&](size_t k, unsigned lo, unsigned hi) {
      return pos_ + k < in_.size() && b(k) >= lo && b(k) <= hi;
    };
    unsigned c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
    if (c == 0xE0) return in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    }
    if (c == 0xED) return in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
    if (c == 0xF0) return in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    if (c >= 0xF1 && c <= 0xF3) {
      return in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    }
    if (c == 0xF4) return in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    return 0;
  }

  bool String(std::string* out) {
    pos_++;  // Opening quote.
    while (pos_ < in_.size()) {
      unsigned char c = static_cast<unsigned char>(in_[pos_]);
      if (c == '"') {
        pos_++;
        return true;
      }
      if (c < 0x20) return false;  // Control characters must be escaped.
      if (c >= 0x80) {
        size_t n = Utf8Length();
        if (n == 0) return false;
        out->append(in_.substr(pos_, n));
        pos_ += n;
        continue;
      }
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        pos_++;
        continue;
      }
      if (++pos_ >= in_.size()) return false;
      char e = in_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // Lone low surrogate.
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (!Literal("\\u") || !Hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace internal

// Parses one JSON document (surrounding whitespace allowed); nullopt if it is not valid JSON.
inline std::optional<Json> Parse(std::string_view in) { return internal::Reader(in).Document(); }

}  // namespace groupd::testjson
