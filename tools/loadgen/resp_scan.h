#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace groupd::loadgen {

// What ScanReply found at the front of a buffer.
struct ScanResult {
  enum class Status { kComplete, kIncomplete, kMalformed };
  Status status = Status::kIncomplete;
  size_t consumed = 0;    // Bytes of the whole reply (valid when kComplete).
  bool is_error = false;  // The top-level reply is an error ('-' or '!').
  char type = 0;          // The top-level type byte ('+', '*', '>', ...), after any attribute.
};

// Frames one RESP2 or RESP3 reply (every type, nested aggregates, attributes) at data[0, len)
// without copying or decoding it: the load generator only counts replies, errors and pushes.
// A reply cut short by the end of the buffer is kIncomplete; the caller scans again from the same
// start once more bytes arrived. Pure function; any thread.
ScanResult ScanReply(const char* data, size_t len);

// ScanReply for one connection's stream of replies, remembering the last one it framed: a reply
// byte for byte equal to it is complete and of the same type without a scan (RESP values are
// self-delimiting), which is the usual case when one command repeats. A load generator's core
// would otherwise go to framing large structured replies frame by frame (GMEMBERS of 10
// members: 110 frames), and measure itself rather than the server. Not thread-safe.
class ReplyScanner {
 public:
  ScanResult Next(const char* data, size_t len);

 private:
  static constexpr size_t kMaxRemembered = 4096;
  std::string last_;  // The last reply framed by ScanReply; empty when none or too long.
  ScanResult last_result_;
};

}  // namespace groupd::loadgen
