#include "server/meta.h"

namespace groupd {

Meta MetaFromArgs(std::span<const std::string_view> args) {
  Meta meta;
  meta.reserve(args.size() / 2);
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    bool replaced = false;
    for (auto& [f, v] : meta) {
      if (f == args[i]) {
        v.assign(args[i + 1]);
        replaced = true;
        break;
      }
    }
    if (!replaced) meta.emplace_back(std::string(args[i]), std::string(args[i + 1]));
  }
  return meta;
}

const std::string* MetaFind(const Meta& meta, std::string_view field) {
  for (const auto& [f, v] : meta) {
    if (f == field) return &v;
  }
  return nullptr;
}

size_t MetaPayloadBytes(const Meta& meta) {
  size_t n = 0;
  for (const auto& [f, v] : meta) n += f.size() + v.size();
  return n;
}

}  // namespace groupd
