#pragma once

#include <cstddef>
#include <cstdint>

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

}  // namespace groupd::loadgen
