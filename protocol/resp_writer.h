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

 private:
  void Header(char type, size_t n);

  std::string* out_;
  int proto_;
};

}  // namespace groupd::protocol
