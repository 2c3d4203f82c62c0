#pragma once

#include <cstdint>
#include <iterator>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include <absl/container/btree_map.h>

#include "server/pid.h"

namespace groupd {

// A group's members by pid, in pid order, with the part of absl::btree_map's interface the
// tables use. Most groups have one member (a group per user or per session, joined by one
// connection), and a B-tree spends a 48-byte node on it, so one member is held inline; a second
// moves both into the tree, and a tree left with one member moves it back. As with the tree,
// insertions and erasures may move members: no pointer or iterator to a member is kept across a
// change to its map. Not thread-safe.
template <typename V>
class MemberMap {
 public:
  using Tree = absl::btree_map<Pid, V, PidLess>;
  using value_type = typename Tree::value_type;  // std::pair<const Pid, V>

  template <bool kConst>
  class Iter {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = MemberMap::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<kConst, const value_type&, value_type&>;
    using pointer = std::conditional_t<kConst, const value_type*, value_type*>;
    using TreeIter =
        std::conditional_t<kConst, typename Tree::const_iterator, typename Tree::iterator>;

    Iter() = default;
    operator Iter<true>() const { return in_tree_ ? Iter<true>(it_) : Iter<true>(one_); }

    reference operator*() const { return in_tree_ ? *it_ : *one_; }
    pointer operator->() const { return &**this; }
    Iter& operator++() {
      if (in_tree_) {
        ++it_;
      } else {
        one_ = nullptr;
      }
      return *this;
    }
    Iter operator++(int) {
      Iter old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iter& a, const Iter& b) {
      return a.in_tree_ == b.in_tree_ && (a.in_tree_ ? a.it_ == b.it_ : a.one_ == b.one_);
    }

   private:
    friend class MemberMap;
    explicit Iter(pointer one) : one_(one) {}
    explicit Iter(TreeIter it) : in_tree_(true), it_(it) {}

    bool in_tree_ = false;
    pointer one_ = nullptr;  // The inline member, or nullptr at the end.
    TreeIter it_{};
  };
  using iterator = Iter<false>;
  using const_iterator = Iter<true>;

  MemberMap() noexcept {}
  MemberMap(const MemberMap&) = delete;
  MemberMap& operator=(const MemberMap&) = delete;
  MemberMap(MemberMap&& other) noexcept { TakeFrom(other); }
  MemberMap& operator=(MemberMap&& other) noexcept {
    if (this != &other) {
      Destroy();
      TakeFrom(other);
    }
    return *this;
  }
  ~MemberMap() { Destroy(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  iterator begin() {
    return InTree() ? iterator(tree_.begin()) : iterator(size_ ? &one_ : nullptr);
  }
  iterator end() { return InTree() ? iterator(tree_.end()) : iterator(nullptr); }
  const_iterator begin() const { return const_cast<MemberMap*>(this)->begin(); }
  const_iterator end() const { return const_cast<MemberMap*>(this)->end(); }

  iterator find(std::string_view pid) {
    if (InTree()) return iterator(tree_.find(pid));
    return iterator(size_ == 1 && one_.first.view() == pid ? &one_ : nullptr);
  }
  const_iterator find(std::string_view pid) const {
    return const_cast<MemberMap*>(this)->find(pid);
  }
  bool contains(std::string_view pid) const { return find(pid) != end(); }

  // The first member whose pid is not less than pid.
  iterator lower_bound(std::string_view pid) {
    if (InTree()) return iterator(tree_.lower_bound(pid));
    return iterator(size_ == 1 && !(one_.first.view() < pid) ? &one_ : nullptr);
  }
  const_iterator lower_bound(std::string_view pid) const {
    return const_cast<MemberMap*>(this)->lower_bound(pid);
  }

  // Adds value under pid unless pid is a member; returns the member and whether it is new.
  std::pair<iterator, bool> emplace(const Pid& pid, V&& value) {
    if (size_ == 0) {
      new (&one_) value_type(pid, std::move(value));
      size_ = 1;
      return {iterator(&one_), true};
    }
    if (size_ == 1) {
      if (one_.first.view() == pid.view()) return {iterator(&one_), false};
      // A second member: both go into a tree. The inline member's storage is the tree's, so
      // it moves out first (its key too: const only while it is a member).
      Pid first_pid = std::move(const_cast<Pid&>(one_.first));
      V first_value = std::move(one_.second);
      one_.~value_type();
      new (&tree_) Tree();
      tree_.emplace(std::move(first_pid), std::move(first_value));
    }
    auto [it, inserted] = tree_.emplace(pid, std::move(value));
    if (inserted) size_++;
    return {iterator(it), inserted};
  }

  void erase(iterator pos) {
    if (!InTree()) {
      one_.~value_type();
      size_ = 0;
      return;
    }
    tree_.erase(pos.it_);
    if (--size_ == 1) {
      // Back inline: the last member moves out of the tree before the tree goes.
      auto last = tree_.begin();
      value_type kept(last->first, std::move(last->second));
      tree_.~Tree();
      new (&one_) value_type(std::move(kept));
    }
  }

 private:
  bool InTree() const { return size_ >= 2; }
  void Destroy() {
    if (InTree()) {
      tree_.~Tree();
    } else if (size_ == 1) {
      one_.~value_type();
    }
    size_ = 0;
  }
  // REQUIRES: this holds nothing.
  void TakeFrom(MemberMap& other) {
    if (other.InTree()) {
      new (&tree_) Tree(std::move(other.tree_));
    } else if (other.size_ == 1) {
      new (&one_) value_type(std::move(other.one_));
    }
    size_ = other.size_;
    other.Destroy();
  }

  union {
    Tree tree_;       // When size_ >= 2.
    value_type one_;  // When size_ == 1.
  };
  uint32_t size_ = 0;
};

}  // namespace groupd
