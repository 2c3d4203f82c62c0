#include "protocol/resp_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace groupd::protocol {

namespace {

constexpr std::string_view kCrlf = "\r\n";

// Appends s with CR and LF turned into spaces: a line-based frame ("+", "-") cannot carry them,
// and one stray newline would desynchronize the client from every later reply.
void AppendLine(std::string* out, std::string_view s) {
  size_t start = out->size();
  out->append(s);
  for (size_t i = start; i < out->size(); ++i) {
    char& c = (*out)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out->append(kCrlf);
}

// Formats d the way RESP3 expects: the shortest text that reads back as the same double, and
// fixed spellings for the values printf would spell differently across libcs.
std::string_view FormatDouble(double d, char (&buf)[64]) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string_view(buf, ptr - buf);
}

}  // namespace

namespace {

// Below this size a bulk string is framed on the stack and appended in one call.
constexpr size_t kShortBulk = 96;

// memcpy for the short strings replies are mostly made of: fixed-size (hence inlined) copies of
// two overlapping halves instead of a call into the library's general copy.
inline void CopyBytes(char* dst, std::string_view s) {
  const char* src = s.data();
  size_t n = s.size();
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

}  // namespace

// Writes type, n in decimal and CRLF at p; returns the end. Counts under 100 (nearly every
// header: field names, values, small arrays) skip the general conversion.
char* ReplyWriter::PutHeader(char* p, char type, size_t n) {
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

char* ReplyWriter::PutBulk(char* p, std::string_view s) {
  p = PutHeader(p, '$', s.size());
  CopyBytes(p, s);
  p += s.size();
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

void ReplyWriter::Header(char type, size_t n) {
  // Type byte, at most 20 digits, CRLF: formatted on the stack and appended once.
  char buf[32];
  char* end = PutHeader(buf, type, n);
  out_->append(buf, end - buf);
}

void ReplyWriter::SimpleString(std::string_view s) {
  out_->push_back('+');
  AppendLine(out_, s);
}

void ReplyWriter::Error(std::string_view msg) {
  out_->push_back('-');
  AppendLine(out_, msg);
}

void ReplyWriter::Integer(int64_t v) {
  char buf[32];
  buf[0] = ':';
  auto [ptr, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, v);
  *ptr++ = '\r';
  *ptr++ = '\n';
  out_->append(buf, ptr - buf);
}

void ReplyWriter::Bulk(std::string_view s) {
  if (s.size() < kShortBulk) {
    // "$", two digits at most, CRLF, the bytes, CRLF: one append instead of three.
    char buf[kShortBulk + 8];
    char* p = PutBulk(buf, s);
    out_->append(buf, p - buf);
    return;
  }
  Header('$', s.size());
  out_->append(s);
  out_->append(kCrlf);
}

void ReplyWriter::Null() { out_->append(resp3() ? "_\r\n" : "$-1\r\n"); }

void ReplyWriter::NullArray() { out_->append(resp3() ? "_\r\n" : "*-1\r\n"); }

void ReplyWriter::Array(size_t n) { Header('*', n); }

void ReplyWriter::Map(size_t n) {
  if (resp3()) {
    Header('%', n);
  } else {
    Header('*', 2 * n);
  }
}

void ReplyWriter::Set(size_t n) { Header(resp3() ? '~' : '*', n); }

void ReplyWriter::Push(size_t n) { Header(resp3() ? '>' : '*', n); }

void ReplyWriter::Double(double d) {
  char buf[64];
  std::string_view text = FormatDouble(d, buf);
  if (resp3()) {
    out_->push_back(',');
    out_->append(text);
    out_->append(kCrlf);
  } else {
    Bulk(text);
  }
}

void ReplyWriter::Bool(bool b) {
  if (resp3()) {
    out_->append(b ? "#t\r\n" : "#f\r\n");
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n");
  }
}

void ReplyWriter::Verbatim(std::string_view format, std::string_view s) {
  if (!resp3()) {
    Bulk(s);
    return;
  }
  // The length counts the "fmt:" prefix as well as the text.
  Header('=', format.size() + 1 + s.size());
  out_->append(format);
  out_->push_back(':');
  out_->append(s);
  out_->append(kCrlf);
}

}  // namespace groupd::protocol
