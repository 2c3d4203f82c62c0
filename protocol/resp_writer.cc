#include "protocol/resp_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

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

// Below this size a bulk string is framed on the stack and appended in one call.
constexpr size_t kShortBulk = 96;

// The room Reserve() hands out. It grows to the largest reservation, and is released after a
// reservation larger than kKeptScratch so one huge reply does not pin its size.
constexpr size_t kKeptScratch = 256 * 1024;
struct Scratch {
  std::unique_ptr<char[]> bytes;
  size_t capacity = 0;
};
thread_local Scratch scratch;

}  // namespace

char* ReplyWriter::Reserve(size_t n) {
  if (n > scratch.capacity) {
    size_t capacity = std::max(n, std::min(2 * scratch.capacity, kKeptScratch));
    scratch.bytes = std::make_unique_for_overwrite<char[]>(capacity);
    scratch.capacity = capacity;
  }
  return scratch.bytes.get();
}

void ReplyWriter::Commit(const char* end) {
  out_->append(scratch.bytes.get(), static_cast<size_t>(end - scratch.bytes.get()));
  if (scratch.capacity > kKeptScratch) {
    scratch.bytes.reset();
    scratch.capacity = 0;
  }
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
