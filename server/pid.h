#pragma once

#include <compare>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace groupd {

// A process id string, shared rather than copied. Every entry names its process; a process often
// holds many entries (a connection's 20k registrations, a remote node's pids in every group it
// joined), so entries hold a reference-counted handle to one immutable copy: 8 bytes and a
// count increment instead of a string of their own. Not thread-safe (the loop thread owns it).
class Pid {
 public:
  Pid() noexcept = default;
  // A pid; owner is the local owner it names (0 for a remote process).
  explicit Pid(std::string_view s, uint64_t owner = 0) {
    if (s.empty()) return;
    rep_ = static_cast<Rep*>(std::malloc(sizeof(Rep) + s.size()));
    if (rep_ == nullptr) throw std::bad_alloc();
    rep_->refs = 1;
    rep_->size = static_cast<uint32_t>(s.size());
    rep_->owner = owner;
    std::memcpy(Data(rep_), s.data(), s.size());
  }
  Pid(const Pid& other) noexcept : rep_(other.rep_) {
    if (rep_ != nullptr) rep_->refs++;
  }
  Pid(Pid&& other) noexcept : rep_(std::exchange(other.rep_, nullptr)) {}
  Pid& operator=(const Pid& other) noexcept {
    Pid copy(other);
    std::swap(rep_, copy.rep_);
    return *this;
  }
  Pid& operator=(Pid&& other) noexcept {
    std::swap(rep_, other.rep_);
    return *this;
  }
  ~Pid() {
    if (rep_ != nullptr && --rep_->refs == 0) std::free(rep_);
  }

  std::string_view view() const {
    return rep_ == nullptr ? std::string_view() : std::string_view(Data(rep_), rep_->size);
  }
  operator std::string_view() const { return view(); }  // NOLINT: a Pid is used as a string.
  std::string str() const { return std::string(view()); }
  size_t size() const { return rep_ == nullptr ? 0 : rep_->size; }
  // The local owner this pid names (OwnerId), or 0 for a remote process. Kept with the string,
  // so the entries of a process need no owner field of their own.
  uint64_t owner() const { return rep_ == nullptr ? 0 : rep_->owner; }
  bool empty() const { return rep_ == nullptr; }
  // Handles sharing this copy (0 for the empty pid); an interning table that holds one handle
  // sees 1 when no entry uses the pid any more.
  uint32_t use_count() const { return rep_ == nullptr ? 0 : rep_->refs; }

  friend bool operator==(const Pid& a, const Pid& b) { return a.rep_ == b.rep_ || a.view() == b.view(); }
  friend bool operator==(const Pid& a, std::string_view b) { return a.view() == b; }
  friend std::strong_ordering operator<=>(const Pid& a, const Pid& b) { return a.view() <=> b.view(); }
  friend std::strong_ordering operator<=>(const Pid& a, std::string_view b) { return a.view() <=> b; }
  friend std::string operator+(std::string_view a, const Pid& b) {
    std::string s(a);
    s += b.view();
    return s;
  }
  friend std::string operator+(const Pid& a, std::string_view b) {
    std::string s(a.view());
    s += b;
    return s;
  }

 private:
  // One allocation per pid: the header, then the bytes.
  struct Rep {
    uint32_t refs;
    uint32_t size;
    uint64_t owner;
  };
  static char* Data(Rep* rep) { return reinterpret_cast<char*>(rep + 1); }
  Rep* rep_ = nullptr;
};

// Orders Pids and string_views together, so maps keyed by Pid are searched with a string_view.
struct PidLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a < b; }
};

}  // namespace groupd
