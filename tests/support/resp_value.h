#pragma once

// Test-only decoder of server replies (RESP2 and RESP3), so tests can check the structure of a
// reply instead of comparing raw bytes. Not used by the server; simplicity beats speed here.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace groupd::testing {

struct RespValue {
  enum Type {
    kSimple,     // "+"
    kError,      // "-" and RESP3 blob errors "!"
    kInteger,    // ":"
    kBulk,       // "$"
    kNull,       // "$-1", "*-1", "_"; see null_marker.
    kArray,      // "*"
    kMap,        // "%"
    kSet,        // "~"
    kPush,       // ">"
    kDouble,     // ","
    kBool,       // "#"
    kBigNumber,  // "("
    kVerbatim,   // "="
  };

  Type type = kNull;
  // Payload of kSimple, kError, kBulk, kBigNumber (its digits) and kVerbatim (text after "fmt:").
  std::string str;
  std::string format;      // kVerbatim only: the three-letter format, e.g. "txt".
  char null_marker = '_';  // kNull only: '$' for "$-1", '*' for "*-1", '_' for RESP3 "_".
  int64_t integer = 0;
  double dbl = 0;
  bool boolean = false;
  // Elements of kArray, kSet and kPush; for kMap keys and values flattened as k, v, k, v.
  std::vector<RespValue> elems;
  // RESP3 attributes ("|") that preceded this value, flattened like a map. Usually empty.
  std::vector<RespValue> attributes;

  bool IsNull() const { return type == kNull; }
  bool IsNullBulk() const { return type == kNull && null_marker == '$'; }
  bool IsNullArray() const { return type == kNull && null_marker == '*'; }
  // True for bulk, simple and verbatim strings whose payload equals s.
  bool IsString(std::string_view s) const {
    return (type == kBulk || type == kSimple || type == kVerbatim) && str == s;
  }

  // One-line readable form for test failure messages, e.g.
  // [+OK, "a\r\n", (integer) 3, (nil), {"k" => (double) 1.5}].
  std::string ToString() const;

  friend bool operator==(const RespValue&, const RespValue&) = default;
};

std::ostream& operator<<(std::ostream& os, const RespValue& v);
// Lets GoogleTest print values in assertion failures.
void PrintTo(const RespValue& v, std::ostream* os);

// Decodes one reply from the front of in. Returns the number of bytes it used, 0 if in holds only
// part of a reply. Throws std::runtime_error if the bytes are not valid RESP.
size_t ParseRespValue(std::string_view in, RespValue* out);

// Decodes every reply in in. Throws std::runtime_error if in is malformed or ends mid-reply.
std::vector<RespValue> ParseAllReplies(std::string_view in);

}  // namespace groupd::testing
