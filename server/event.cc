#include "server/event.h"

#include <charconv>

namespace groupd {

std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kRegistered:
      return "registered";
    case EventType::kUnregistered:
      return "unregistered";
    case EventType::kJoined:
      return "joined";
    case EventType::kLeft:
      return "left";
  }
  return "";
}

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kNone:
      return "";
    case Reason::kUnregister:
      return "unregister";
    case Reason::kLeave:
      return "leave";
    case Reason::kDisconnect:
      return "disconnect";
    case Reason::kKilled:
      return "killed";
    case Reason::kNodeDown:
      return "nodedown";
    case Reason::kRegistryConflict:
      return "registry_conflict";
    case Reason::kClusterDisconnect:
      return "cluster_disconnect";
    case Reason::kShutdown:
      return "shutdown";
  }
  return "";
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

void AppendMetaJson(const std::optional<MetaView>& meta, std::string* out) {
  if (!meta) {
    out->append("null");
    return;
  }
  out->push_back('{');
  bool first = true;
  for (const auto& [f, v] : *meta) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(f, out);
    out->push_back(':');
    AppendJsonString(v, out);
  }
  out->push_back('}');
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        out->append("\\ufffd");
        i++;
      } else {
        out->append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    i++;
  }
  out->push_back('"');
}

void AppendEventJson(const Event& e, std::string* out) {
  out->append("{\"type\":\"");
  out->append(EventTypeName(e.type));
  out->append("\",\"cluster\":");
  if (e.cluster.empty()) {
    out->append("null");
  } else {
    AppendJsonString(e.cluster, out);
  }
  out->append(",\"key\":");
  AppendJsonString(e.key, out);
  out->append(",\"pid\":");
  AppendJsonString(e.pid, out);
  out->append(",\"node\":");
  AppendJsonString(e.node, out);
  out->append(",\"meta\":");
  AppendMetaJson(e.meta, out);
  out->append(",\"previous_meta\":");
  AppendMetaJson(e.previous_meta, out);
  out->append(",\"reason\":");
  if (e.reason == Reason::kNone) {
    out->append("null");
  } else {
    out->push_back('"');
    out->append(ReasonName(e.reason));
    out->push_back('"');
  }
  out->append(",\"seq\":");
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), e.seq);
  out->append(buf, end);
  out->push_back('}');
}

}  // namespace groupd
