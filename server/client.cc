#include "server/client.h"

#include "server/server.h"

namespace groupd {

bool OwnedIndex::Contains(EntryKind kind, std::string_view cluster, std::string_view key) const {
  for (const List& l : lists_) {
    if (l.cluster->name != cluster) continue;
    for (size_t i = 0; i < l.refs.size(); i++) {
      if (l.refs[i].kind() == kind && l.refs[i].key() == key) return true;
    }
  }
  return false;
}

}  // namespace groupd
