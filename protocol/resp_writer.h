#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace groupd::protocol {

// Appends RESP replies to a caller-owned output buffer, in RESP2 or RESP3.
//
// The same calls produce the right frame for either protocol: Map() is "%n" in RESP3 and a flat
// "*2n" array in RESP2; Null() is "_" in RESP3 and "$-1" in RESP2; Push() is ">n" in RESP3 and
// "*n" in RESP2 (used for pub/sub frames). Attributes ("|") are never written.
//
// The writer holds a pointer to the buffer; the buffer must outlive it. Thread-compatible.
class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out, int proto = 2) : out_(out), proto_(proto) {}

  void set_proto(int proto) { proto_ = proto; }
  int proto() const { return proto_; }
  bool resp3() const { return proto_ >= 3; }
  std::string* buffer() const { return out_; }

  void SimpleString(std::string_view s);  // "+s"; CR/LF in s are replaced by spaces.
  void Ok() { out_->append("+OK\r\n"); }
  // Writes "-<msg>"; msg carries its own code ("ERR ...", "WRONGTYPE ..."). CR/LF become spaces.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // Null bulk string: "$-1" / "_".
  void NullArray();  // Null array: "*-1" / "_".
  void Array(size_t n);
  void Map(size_t n);  // n key/value pairs.
  void Set(size_t n);
  void Push(size_t n);
  void Double(double d);  // ",d" in RESP3; a bulk string in RESP2.
  void Bool(bool b);      // "#t"/"#f" in RESP3; integer 1/0 in RESP2.
  // Verbatim string "=len\r\ntxt:..." in RESP3 (format is 3 chars, e.g. "txt"); bulk in RESP2.
  void Verbatim(std::string_view format, std::string_view s);

  // Map of string pairs, framed in one pass straight into the buffer: for replies made of many
  // short fields (entry meta), where one call per element would cost more than the bytes.
  // pairs is a range of n pairs of string_views; bytes bounds the sum of their sizes.
  template <typename Pairs>
  void StringMap(size_t n, size_t bytes, const Pairs& pairs) {
    size_t max = kMaxHeader + bytes + 2 * n * kMaxHeader;
    size_t start = out_->size();
    out_->resize(start + max);
    char* p = out_->data() + start;
    p = resp3() ? PutHeader(p, '%', n) : PutHeader(p, '*', 2 * n);
    for (const auto& [k, v] : pairs) {
      p = PutBulk(p, k);
      p = PutBulk(p, v);
    }
    out_->resize(static_cast<size_t>(p - out_->data()));
  }

 private:
  // A type byte, 20 digits, CRLF, and the CRLF after a bulk's bytes.
  static constexpr size_t kMaxHeader = 1 + 20 + 2 + 2;
  static char* PutHeader(char* p, char type, size_t n);
  static char* PutBulk(char* p, std::string_view s);
  void Header(char type, size_t n);

  std::string* out_;
  int proto_;
};

}  // namespace groupd::protocol
