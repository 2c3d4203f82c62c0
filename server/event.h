#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/meta.h"

namespace groupd {

enum class EventType : uint8_t { kRegistered, kUnregistered, kJoined, kLeft };

// Why an entry went away. kNone for registered/joined events.
enum class Reason : uint8_t {
  kNone,
  kUnregister,
  kLeave,
  kDisconnect,
  kKilled,
  kNodeDown,
  kRegistryConflict,
  kClusterDisconnect,
  kShutdown,
};

std::string_view EventTypeName(EventType type);
std::string_view ReasonName(Reason reason);  // "" for kNone.

// One change as this node saw it. Views and pointers borrow from the caller for the duration of
// the emit call; listeners that keep an event must copy what they need.
struct Event {
  EventType type;
  std::string_view cluster;  // "" is the default cluster (null in JSON).
  std::string_view key;
  std::string_view pid;
  std::string_view node;
  std::optional<MetaView> meta;
  std::optional<MetaView> previous_meta;  // nullopt when the entry is new or removed.
  Reason reason = Reason::kNone;
  uint64_t seq = 0;  // Assigned by the event path.
  uint32_t origin = 0;  // NodeId of the owner's node; 0 (kLocalNode) for this node's processes.
  int64_t time_us = 0;  // A registration's time (replicated with the change); 0 for members.
};

// Appends the event's JSON payload (see docs/COMMANDS.md, "Event payload") to out.
void AppendEventJson(const Event& event, std::string* out);

// Appends s as a JSON string literal (quoted, escaped; bytes >= 0x80 are passed through, invalid
// UTF-8 is replaced by U+FFFD escapes so the payload is always valid JSON).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace groupd
