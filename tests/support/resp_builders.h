#pragma once

// Expected-reply builders for tests, compared with RespValue's operator==.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "server/pid.h"
#include "tests/support/resp_value.h"

namespace groupd::testing {

inline RespValue Simple(std::string s) {
  RespValue v;
  v.type = RespValue::kSimple;
  v.str = std::move(s);
  return v;
}
inline RespValue Err(std::string s) {
  RespValue v;
  v.type = RespValue::kError;
  v.str = std::move(s);
  return v;
}
inline RespValue Int(int64_t n) {
  RespValue v;
  v.type = RespValue::kInteger;
  v.integer = n;
  return v;
}
inline RespValue Bulk(std::string s) {
  RespValue v;
  v.type = RespValue::kBulk;
  v.str = std::move(s);
  return v;
}
inline RespValue Bulk(const Pid& pid) { return Bulk(pid.str()); }
inline RespValue Null(char marker) {
  RespValue v;
  v.type = RespValue::kNull;
  v.null_marker = marker;
  return v;
}
inline RespValue Arr(std::vector<RespValue> elems) {
  RespValue v;
  v.type = RespValue::kArray;
  v.elems = std::move(elems);
  return v;
}
inline RespValue Map(std::vector<RespValue> flat) {
  RespValue v;
  v.type = RespValue::kMap;
  v.elems = std::move(flat);
  return v;
}
// Meta as the server writes it: a RESP3 map or a RESP2 flat array of field, value, ...
inline RespValue MetaReply(int proto, std::vector<std::pair<std::string, std::string>> pairs) {
  RespValue v;
  v.type = proto == 3 ? RespValue::kMap : RespValue::kArray;
  for (auto& [f, val] : pairs) {
    v.elems.push_back(Bulk(f));
    v.elems.push_back(Bulk(val));
  }
  return v;
}

}  // namespace groupd::testing
