#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "protocol/resp_writer.h"
#include "server/meta.h"

namespace groupd {

// ASCII case-insensitive comparison, for keywords.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Parses a whole signed 64-bit integer the way Redis's string2ll does (no spaces, no '+', no
// leading zeros); nullopt otherwise.
std::optional<int64_t> ParseInt64(std::string_view s);

// Options shared by the G-commands, parsed in one place. Keywords are case-insensitive.
// META and FIELDS take every remaining argument, so they come last.
enum GOption : uint32_t {
  kOptCluster = 1 << 0,   // CLUSTER c
  kOptMeta = 1 << 1,      // META f v [f v ...]
  kOptFields = 1 << 2,    // FIELDS f [f ...]
  kOptWithKeys = 1 << 3,  // WITHKEYS
  kOptTtl = 1 << 4,       // TTL ms
};

struct GOptions {
  std::optional<std::string_view> cluster;
  bool withkeys = false;
  bool has_fields = false;
  std::span<const std::string_view> fields;
  bool has_meta = false;
  std::span<const std::string_view> meta;
  int64_t ttl_ms = 0;
};

// Parses args[start..] accepting only the options in `allowed`. Returns nullptr on success or
// the error reply text (from errors.h).
[[nodiscard]] const char* ParseGOptions(std::span<const std::string_view> args, size_t start,
                                        uint32_t allowed, GOptions* out);

// Writes meta as a map (RESP3) or flat array (RESP2). With `fields` non-empty only those fields
// are written, in the order asked, skipping absent ones.
void WriteMeta(protocol::ReplyWriter& w, MetaView meta,
               std::span<const std::string_view> fields);

}  // namespace groupd
