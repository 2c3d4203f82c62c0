#pragma once

// Helpers shared by the fuzz targets. They build two ways: with clang's -fsanitize=fuzzer for
// `make fuzz`, and with any compiler against standalone_main.cc for the ctest smoke run. So
// nothing here may depend on libFuzzer headers (FuzzedDataProvider is clang-only), and checks
// must stay on in release builds, where assert() is compiled out.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace groupd::fuzz {

// Prints what broke and aborts, which both libFuzzer and the standalone driver report as a
// crash together with the input that caused it.
[[noreturn]] inline void CheckFailed(const char* file, int line, const char* cond,
                                     const std::string& detail) {
  std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, cond);
  if (!detail.empty()) std::fprintf(stderr, "  %s\n", detail.c_str());
  std::fflush(stderr);
  std::abort();
}

// Always-on check. The optional second argument is evaluated only on failure.
#define FUZZ_CHECK(cond, ...)                                                             \
  do {                                                                                    \
    if (!(cond)) ::groupd::fuzz::CheckFailed(__FILE__, __LINE__, #cond, std::string(__VA_ARGS__)); \
  } while (0)

// Bytes as a C-style escaped string, for failure messages and reproducers.
inline std::string Escape(std::string_view s, size_t max = 512) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; i++) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

// Consumes an input from the front; past the end every read returns zero. The standalone
// driver's mutations and libFuzzer's both work on flat bytes, so targets take their control
// values from the input a byte at a time rather than through a structured decoder.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size)
      : data_(reinterpret_cast<const char*>(data), size) {}

  bool empty() const { return pos_ >= data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  uint8_t Byte() { return empty() ? 0 : static_cast<uint8_t>(data_[pos_++]); }
  std::string_view Take(size_t n) {
    if (n > remaining()) n = remaining();
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view Rest() { return Take(remaining()); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace groupd::fuzz
