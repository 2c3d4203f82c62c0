#include "server/registry_table.h"

#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <algorithm>

namespace groupd {

// The entry first (so a RegEntry* and its Node* are the same address), then the key's length
// and bytes.
struct RegistryTable::Node {
  RegEntry entry;
  uint32_t key_len;

  char* key() { return reinterpret_cast<char*>(this + 1); }
  std::string_view view() { return std::string_view(key(), key_len); }

  static Node* Make(std::string_view key, RegEntry&& entry) {
    void* mem = std::malloc(sizeof(Node) + key.size());
    if (mem == nullptr) throw std::bad_alloc();
    Node* n = new (mem) Node{std::move(entry), static_cast<uint32_t>(key.size())};
    if (!key.empty()) std::memcpy(n->key(), key.data(), key.size());
    return n;
  }
  static void Free(Node* n) {
    n->~Node();
    std::free(n);
  }
};

static_assert(std::is_standard_layout_v<RegEntry>, "KeyOf() needs RegEntry at offset 0");

RegistryTable::RegistryTable(RegistryTable&& other) noexcept
    : slots_(std::move(other.slots_)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)),
      tombstones_(std::exchange(other.tombstones_, 0)),
      generation_(other.generation_ + 1) {}

RegistryTable& RegistryTable::operator=(RegistryTable&& other) noexcept {
  if (this != &other) {
    Clear();
    slots_ = std::move(other.slots_);
    capacity_ = std::exchange(other.capacity_, 0);
    size_ = std::exchange(other.size_, 0);
    tombstones_ = std::exchange(other.tombstones_, 0);
    generation_ = std::max(generation_, other.generation_) + 1;
  }
  return *this;
}

RegistryTable::~RegistryTable() { Clear(); }

void RegistryTable::Clear() {
  for (size_t i = 0; i < capacity_; i++) {
    if (Used(slots_[i])) Node::Free(NodeOf(slots_[i]));
  }
  slots_.reset();
  capacity_ = size_ = tombstones_ = 0;
  generation_++;
}

uint64_t RegistryTable::Hash(std::string_view key) {
  // std::hash (murmur-based) then a multiply, so both the low bits (the home slot) and the
  // high 16 (the tag) depend on every byte.
  return static_cast<uint64_t>(std::hash<std::string_view>{}(key)) * 0x9E3779B97F4A7C15ULL;
}

std::string_view RegistryTable::KeyOf(const RegEntry& entry) {
  // entry is the first member of its Node (see Node).
  auto* n = reinterpret_cast<Node*>(const_cast<RegEntry*>(&entry));
  return n->view();
}

RegEntry* RegistryTable::EntryAt(size_t slot) const {
  return Used(slots_[slot]) ? &NodeOf(slots_[slot])->entry : nullptr;
}

size_t RegistryTable::NextUsed(size_t from) const {
  while (from < capacity_ && !Used(slots_[from])) from++;
  return from;
}

size_t RegistryTable::FindSlot(std::string_view key, uint64_t h) const {
  if (size_ == 0) return capacity_;
  uint64_t tag = h & ~kPtrMask;
  size_t mask = capacity_ - 1;
  for (size_t i = (h >> 7) & mask;; i = (i + 1) & mask) {
    uint64_t s = slots_[i];
    if (s == 0) return capacity_;
    if (s != kTombstone && (s & ~kPtrMask) == tag) {
      Node* n = NodeOf(s);
      if (n->key_len == key.size() && std::memcmp(n->key(), key.data(), key.size()) == 0) {
        return i;
      }
    }
  }
}

RegEntry* RegistryTable::Find(std::string_view key) {
  size_t i = FindSlot(key, Hash(key));
  return i == capacity_ ? nullptr : &NodeOf(slots_[i])->entry;
}

std::pair<RegEntry*, bool> RegistryTable::Insert(std::string_view key, RegEntry&& entry) {
  uint64_t h = Hash(key);
  if (size_t i = FindSlot(key, h); i != capacity_) return {&NodeOf(slots_[i])->entry, false};
  if ((size_ + tombstones_ + 1) * 4 > capacity_ * 3) {
    // Grow when live entries fill half the slots, else purge tombstones in place.
    Rebuild(capacity_ == 0 ? 8 : (size_ + 1) * 2 > capacity_ ? capacity_ * 2 : capacity_);
  }
  Node* n = Node::Make(key, std::move(entry));
  size_t mask = capacity_ - 1;
  size_t i = (h >> 7) & mask;
  while (Used(slots_[i])) i = (i + 1) & mask;
  if (slots_[i] == kTombstone) tombstones_--;
  slots_[i] = (h & ~kPtrMask) | reinterpret_cast<uint64_t>(n);
  size_++;
  return {&n->entry, true};
}

void RegistryTable::Rebuild(size_t new_capacity) {
  auto slots = std::make_unique<uint64_t[]>(new_capacity);  // Zeroed.
  size_t mask = new_capacity - 1;
  for (size_t j = 0; j < capacity_; j++) {
    uint64_t s = slots_[j];
    if (!Used(s)) continue;
    size_t i = (Hash(NodeOf(s)->view()) >> 7) & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = s;
  }
  slots_ = std::move(slots);
  capacity_ = new_capacity;
  tombstones_ = 0;
  generation_++;
}

std::optional<RegEntry> RegistryTable::Erase(std::string_view key) {
  size_t i = FindSlot(key, Hash(key));
  if (i == capacity_) return std::nullopt;
  Node* n = NodeOf(slots_[i]);
  std::optional<RegEntry> removed(std::move(n->entry));
  Node::Free(n);
  size_--;
  // A tombstone keeps later entries of the probe run reachable without moving them. When the
  // next slot is empty no run passes through this one, and the slot can be emptied outright.
  if (slots_[(i + 1) & (capacity_ - 1)] == 0) {
    slots_[i] = 0;
  } else {
    slots_[i] = kTombstone;
    tombstones_++;
  }
  return removed;
}

}  // namespace groupd
