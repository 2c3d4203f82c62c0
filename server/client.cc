#include "server/client.h"

#include "server/server.h"

namespace groupd {

bool OwnedIndex::Contains(EntryKind kind, std::string_view cluster, std::string_view key) const {
  for (const Ref& r : refs_) {
    if (r.kind() == kind && r.cluster()->name == cluster && r.key() == key) return true;
  }
  return false;
}

}  // namespace groupd
