#include "server/client.h"

namespace groupd {

std::string OwnedKey(EntryKind kind, std::string_view cluster, std::string_view key) {
  std::string s;
  s.reserve(2 + cluster.size() + key.size());
  s.push_back(static_cast<char>(kind));
  s.append(cluster);
  s.push_back('\0');
  s.append(key);
  return s;
}

void SplitOwnedKey(std::string_view owned, EntryKind* kind, std::string_view* cluster,
                   std::string_view* key) {
  *kind = static_cast<EntryKind>(owned[0]);
  size_t nul = owned.find('\0', 1);
  *cluster = owned.substr(1, nul - 1);
  *key = owned.substr(nul + 1);
}

}  // namespace groupd
