#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace groupd::protocol {

// Limits the parser enforces. They are passed in (not global) so the server can change them at
// run time with CONFIG SET and apply the smaller unauthenticated limits per connection.
struct ParserLimits {
  int64_t max_bulk_len = 512LL * 1024 * 1024;  // proto-max-bulk-len
  int64_t max_multibulk_len = 1024LL * 1024;   // proto-max-multibulk-len
  size_t max_inline_len = 64UL * 1024;  // proto-inline-max-size (Redis: PROTO_INLINE_MAX_SIZE)
  // When true the parser applies Redis's limits for clients that still have to authenticate:
  // at most 10 arguments and 16384 bytes per bulk.
  bool unauthenticated = false;
};

enum class ParseResult {
  kCommand,     // One command is complete: args() and consumed() are valid.
  kEmpty,       // Consumed bytes that hold no command (an empty inline line, "*0", "*-1").
  kIncomplete,  // Need more bytes; nothing to drop from the buffer yet.
  kError,       // Protocol error: error() holds Redis's wording. The caller replies and closes.
};

// Incremental RESP request parser (multibulk and inline), Redis-compatible.
//
// Usage: the caller keeps unconsumed input in its own buffer and calls Parse() with all of it.
// On kCommand or kEmpty it drops consumed() bytes from the front of its buffer. After
// kIncomplete it must call again later with a buffer that starts with the same bytes (it may
// have moved in memory and may have grown); the parser keeps offsets, never pointers, so the
// work already done is not repeated.
//
// args() views point into the buffer passed to the last Parse() call (or, for inline commands,
// into storage owned by the parser) and stay valid until the next Parse() call or until the
// caller modifies its buffer.
//
// Thread-compatible: one parser per connection, used from one thread.
class RequestParser {
 public:
  RequestParser() = default;

  [[nodiscard]] ParseResult Parse(std::string_view buf, const ParserLimits& limits);

  size_t consumed() const { return consumed_; }
  std::span<const std::string_view> args() const { return args_; }
  // E.g. "Protocol error: invalid multibulk length" (no "ERR " prefix).
  std::string_view error() const { return error_; }

  // Forgets any partial state (e.g. after the caller discarded its buffer).
  void Reset();

 private:
  ParseResult ParseInline(std::string_view buf, const ParserLimits& limits);
  ParseResult ParseMultibulk(std::string_view buf, const ParserLimits& limits);
  // The usual case in one pass: a whole command already in buf, with a count under 100 and
  // bulk lengths of 1 to 9 digits (no "$0", no leading zeros), within the limits. Parses it
  // into args_ and returns true; otherwise returns false, leaving the state untouched but for
  // args_ (which the caller clears), and the general path, with Redis's exact behaviour and
  // errors, takes over from the same place.
  bool ParseWhole(std::string_view buf, const ParserLimits& limits);
  // Takes a view (not a C string) because "expected '$', got 'X'" may carry a NUL byte.
  ParseResult Fail(std::string_view msg);
  void FinishCommand(std::string_view buf);
  // Forgets the partial command but keeps vector capacity, so steady state does not allocate.
  void ClearCommandState();
  // Offset of the first '\r' at or after pos_, or npos. Remembers how far it looked, so a long
  // header line fed in small pieces is scanned once in total rather than once per call.
  size_t FindCr(std::string_view buf) { return FindLineEnd(buf, '\r'); }
  // Offset of the first `terminator` at or after max(pos_, scan_pos_), or npos, treating a NUL
  // byte before it as Redis's strchr() does: as the end of the string, so never found.
  size_t FindLineEnd(std::string_view buf, char terminator);
  // sdssplitargs() into inline_storage_; returns the token count, or -1 on unbalanced quotes.
  int SplitInline(std::string_view line);
  std::string& InlineArg(size_t i);

  // Partial multibulk state, kept between calls that return kIncomplete.
  int64_t multibulk_len_ = 0;  // 0 when no multibulk command is in progress.
  int64_t bulk_len_ = -1;      // Length of the bulk being read, -1 when reading its header.
  size_t pos_ = 0;             // Offset of the next unparsed byte in the caller's buffer.
  std::vector<std::pair<size_t, size_t>> arg_offsets_;  // (offset, length) of finished args.
  // Bytes in [pos_, scan_pos_) are known to hold no line terminator ('\n' for inline input,
  // '\r' for multibulk header lines); a value below pos_ tells nothing.
  size_t scan_pos_ = 0;
  // Set once a NUL byte turns up before the terminator of the current line; see FindLineEnd().
  bool nul_in_line_ = false;

  size_t consumed_ = 0;
  std::vector<std::string_view> args_;
  std::vector<std::string> inline_storage_;
  std::string error_;
};

}  // namespace groupd::protocol
