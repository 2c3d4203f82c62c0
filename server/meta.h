#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace groupd {

// An entry's metadata: string fields to string values, in the order they were first given.
// Entries carry a handful of fields, so a flat vector beats a hash map in both memory and time.
using Meta = std::vector<std::pair<std::string, std::string>>;

// Builds a Meta from alternating field/value arguments; a repeated field keeps its last value
// (as HSET does). REQUIRES: args.size() is even.
Meta MetaFromArgs(std::span<const std::string_view> args);

// Returns the value of `field`, or nullptr.
const std::string* MetaFind(const Meta& meta, std::string_view field);

// Bytes of field and value payload, used for the per-entry meta size limit and memory figures.
size_t MetaPayloadBytes(const Meta& meta);

}  // namespace groupd
