// Fuzzes protocol::RequestParser the way the network layer drives it (server/network.cc): input
// arrives in reads of varying size, each parsed straight from the read buffer while nothing is
// left over and copied into the connection's buffer only as an incomplete tail.
//
// Input layout: byte 0 picks the limits (defaults, unauthenticated, tiny limits that the fuzzer
// can reach with short inputs); byte 1 gives the number (0-15) of read sizes that follow, one
// byte each, used in turn; the rest is the byte stream a client sends.
//
// Checked on every call: consumed() never exceeds the buffer; kIncomplete consumes nothing and
// yields no args; kEmpty consumes and yields no args; kCommand consumes and yields args, which
// for multibulk commands lie inside the consumed bytes (every arg byte is read, so a view into
// a freed or moved buffer shows up under ASan); errors carry Redis's "Protocol error" wording.
// And the stream read in pieces gives the same commands, in order, with the same ending as the
// stream read in one piece -- except that a size limit may trip earlier in pieces, because, as
// in Redis, the limits on unterminated lines apply only while the terminator has not arrived.

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using groupd::fuzz::ByteReader;
using groupd::fuzz::Escape;
using groupd::protocol::ParseResult;
using groupd::protocol::ParserLimits;
using groupd::protocol::RequestParser;

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  size_t empties = 0;
  bool error = false;
  std::string error_text;
  size_t leftover = 0;  // Unconsumed bytes when the stream ended without error.
};

ParserLimits LimitsFor(uint8_t mode) {
  ParserLimits limits;
  if (mode & 2) {
    limits.max_bulk_len = 16 + (mode >> 3);
    limits.max_multibulk_len = 4 + (mode >> 5);
    limits.max_inline_len = 32 + (mode >> 3);
  }
  limits.unauthenticated = (mode & 1) != 0;
  return limits;
}

size_t ReadSize(uint8_t b) { return b < 192 ? 1 + (b % 64) : 1 + (b - 192) * 64; }

bool IsSizeLimitError(std::string_view e) {
  return e == "Protocol error: too big inline request" ||
         e == "Protocol error: too big mbulk count string" ||
         e == "Protocol error: too big bulk count string";
}

Outcome ParseStream(std::string_view stream, const std::vector<size_t>& reads,
                    const ParserLimits& limits) {
  Outcome out;
  RequestParser parser;
  std::string in;  // The connection's buffer: the unconsumed tail of earlier reads.
  size_t off = 0;
  size_t read_index = 0;
  while (off < stream.size()) {
    size_t n = reads.empty() ? stream.size() : reads[read_index++ % reads.size()];
    n = std::min(n, stream.size() - off);
    // A heap block of exactly n bytes per read, freed after it is parsed, so that reading past
    // it or keeping a view into it is caught by ASan.
    std::unique_ptr<char[]> read_buf(new char[n]);
    std::memcpy(read_buf.get(), stream.data() + off, n);
    off += n;
    std::string_view data(read_buf.get(), n);
    std::string_view buf = data;
    if (!in.empty()) {
      in.append(data);
      buf = in;
    }
    size_t consumed = 0;
    while (true) {
      std::string_view rest = buf.substr(consumed);
      ParseResult r = parser.Parse(rest, limits);
      size_t used = parser.consumed();
      FUZZ_CHECK(used <= rest.size(), "consumed " + std::to_string(used) + " of " +
                                          std::to_string(rest.size()));
      if (r == ParseResult::kIncomplete) {
        FUZZ_CHECK(used == 0, "kIncomplete consumed " + std::to_string(used));
        FUZZ_CHECK(parser.args().empty());
        break;
      }
      if (r == ParseResult::kError) {
        FUZZ_CHECK(parser.error().starts_with("Protocol error: "), std::string(parser.error()));
        out.error = true;
        out.error_text = std::string(parser.error());
        return out;
      }
      FUZZ_CHECK(used > 0, "a complete result consumed nothing");
      if (r == ParseResult::kEmpty) {
        FUZZ_CHECK(parser.args().empty());
        out.empties++;
      } else {
        FUZZ_CHECK(r == ParseResult::kCommand);
        FUZZ_CHECK(!parser.args().empty());
        const bool multibulk = rest[0] == '*';
        std::vector<std::string> args;
        size_t total = 0;
        for (std::string_view a : parser.args()) {
          if (multibulk) {
            FUZZ_CHECK(a.data() >= rest.data() && a.data() + a.size() <= rest.data() + used,
                       "multibulk arg outside the consumed bytes");
          }
          total += a.size();
          args.emplace_back(a);  // Reads every byte of the view.
        }
        FUZZ_CHECK(total <= used, "args hold more bytes than were consumed");
        if (multibulk) {
          FUZZ_CHECK(!limits.unauthenticated || args.size() <= 10);
          for (const auto& a : args) {
            FUZZ_CHECK(static_cast<int64_t>(a.size()) <= limits.max_bulk_len);
            FUZZ_CHECK(!limits.unauthenticated || a.size() <= 16384);
          }
          FUZZ_CHECK(static_cast<int64_t>(args.size()) <= limits.max_multibulk_len);
        }
        out.commands.push_back(std::move(args));
      }
      consumed += used;
    }
    if (buf.data() == in.data()) {
      in.erase(0, consumed);
    } else {
      in.assign(buf.substr(consumed));
    }
  }
  out.leftover = in.size();
  return out;
}

std::string Describe(const Outcome& o) {
  std::string s = std::to_string(o.commands.size()) + " commands, " +
                  std::to_string(o.empties) + " empty, ";
  s += o.error ? "error '" + o.error_text + "'" : std::to_string(o.leftover) + " bytes left";
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader in(data, size);
  const ParserLimits limits = LimitsFor(in.Byte());
  std::vector<size_t> reads(in.Byte() % 16);
  for (auto& r : reads) r = ReadSize(in.Byte());
  const std::string_view stream = in.Rest();

  const Outcome whole = ParseStream(stream, {}, limits);
  if (reads.empty()) return 0;
  const Outcome pieces = ParseStream(stream, reads, limits);

  const std::string detail =
      "stream \"" + Escape(stream) + "\": whole: " + Describe(whole) + "; pieces: " +
      Describe(pieces);
  if (pieces.error && IsSizeLimitError(pieces.error_text)) {
    // Tripped a limit on a line whose terminator had not arrived yet (maybe earlier than the
    // whole stream did): what came before must match.
    FUZZ_CHECK(pieces.commands.size() <= whole.commands.size(), detail);
    for (size_t i = 0; i < pieces.commands.size(); i++) {
      FUZZ_CHECK(pieces.commands[i] == whole.commands[i], detail);
    }
    return 0;
  }
  FUZZ_CHECK(pieces.commands == whole.commands, detail);
  FUZZ_CHECK(pieces.empties == whole.empties, detail);
  FUZZ_CHECK(pieces.error == whole.error, detail);
  FUZZ_CHECK(pieces.error_text == whole.error_text, detail);
  FUZZ_CHECK(pieces.leftover == whole.leftover, detail);
  return 0;
}
