#pragma once

#include <cstddef>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
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

  // Raw appends, for replies made of many short strings (member lists, entry meta), where one
  // call per element would cost more than its bytes: Reserve(n) returns room for n bytes, the
  // caller frames into it (PutHeader, PutBulk), and Commit(end) appends what it wrote, up to
  // end, to the buffer. One Reserve/Commit pair at a time per thread. (The room is a scratch
  // area rather than the buffer's own tail, which std::string could only offer zero-filled.)
  static char* Reserve(size_t n);
  void Commit(const char* end);

  // Appends one frame per element of [first, last): put(p, element) writes it at p and returns
  // its end, writing at most bound(element) bytes. Elements are framed into runs of up to
  // kChunk bytes, each appended to the buffer at once.
  template <typename It, typename Bound, typename Put>
  void PutEach(It first, It last, Bound bound, Put put) {
    if (first == last) return;
    char* p = Reserve(kChunk);
    char* limit = p + kChunk;
    for (; first != last; ++first) {
      size_t need = bound(*first);
      if (static_cast<size_t>(limit - p) < need) {
        Commit(p);
        size_t room = std::max(need, kChunk);
        p = Reserve(room);
        limit = p + room;
      }
      p = put(p, *first);
    }
    Commit(p);
  }

 private:
  static constexpr size_t kChunk = 16 * 1024;
  void Header(char type, size_t n);

  std::string* out_;
  int proto_;
};

// Framing into memory the caller reserved (ReplyWriter::Reserve).

// Most bytes a frame adds around its payload: a type byte, 20 digits, CRLF, and the CRLF after
// a bulk string's bytes.
inline constexpr size_t kMaxFrameOverhead = 1 + 20 + 2 + 2;

// Writes a header (type, n in decimal, CRLF) at p; returns its end. Counts under 100 (nearly
// every header: field names, values, small arrays) skip the general conversion.
inline char* PutHeader(char* p, char type, size_t n) {
  *p++ = type;
  if (n < 10) {
    *p++ = static_cast<char>('0' + n);
  } else if (n < 100) {
    *p++ = static_cast<char>('0' + n / 10);
    *p++ = static_cast<char>('0' + n % 10);
  } else {
    p = std::to_chars(p, p + 20, n).ptr;
  }
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

// memcpy for the short strings replies are mostly made of: fixed-size (hence inlined) copies of
// two overlapping halves instead of a call into the library's general copy.
inline void CopyBytes(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n > 0 && n < 4) {
    dst[0] = src[0];
    dst[n / 2] = src[n / 2];
    dst[n - 1] = src[n - 1];
  } else if (n > 16) {
    std::memcpy(dst, src, n);
  }
}

// Writes s as a bulk string at p; returns its end. Writes at most s.size() + kMaxFrameOverhead.
inline char* PutBulk(char* p, std::string_view s) {
  p = PutHeader(p, '$', s.size());
  CopyBytes(p, s.data(), s.size());
  p += s.size();
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

}  // namespace groupd::protocol
