#include "server/memory.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#ifdef GROUPD_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

// Under AddressSanitizer or ThreadSanitizer malloc is the sanitizer's, and mallinfo2() reads 0:
// ask it instead. Declared here: GCC ships no <sanitizer/allocator_interface.h> (clang does).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define GROUPD_SANITIZER_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define GROUPD_SANITIZER_MALLOC 1
#endif
#endif
#ifdef GROUPD_SANITIZER_MALLOC
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace groupd {

// Bytes the allocator handed out to the program.
uint64_t UsedMemory() {
#ifdef GROUPD_JEMALLOC
  // jemalloc's statistics are cached; bumping the epoch refreshes them.
  uint64_t epoch = 1;
  size_t len = sizeof(epoch);
  mallctl("epoch", &epoch, &len, &epoch, len);
  size_t allocated = 0;
  len = sizeof(allocated);
  if (mallctl("stats.allocated", &allocated, &len, nullptr, 0) != 0) return 0;
  return allocated;
#elif defined(GROUPD_SANITIZER_MALLOC)
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#endif
}

std::string MemAllocator() {
#ifdef GROUPD_JEMALLOC
  return fmt::format("jemalloc-{}.{}.{}", JEMALLOC_VERSION_MAJOR, JEMALLOC_VERSION_MINOR,
                     JEMALLOC_VERSION_BUGFIX);
#else
  return "libc";
#endif
}

std::string AllocatorThp() {
#ifdef GROUPD_JEMALLOC
  const char* thp = nullptr;
  size_t len = sizeof(thp);
  if (mallctl("opt.thp", &thp, &len, nullptr, 0) == 0 && thp != nullptr) return thp;
#endif
  return "n/a";
}

uint64_t ResidentMemory() {
  FILE* f = fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  int n = fscanf(f, "%llu %llu", &size, &resident);
  fclose(f);
  if (n != 2) return 0;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t UsedMemoryFast() {
#ifdef GROUPD_JEMALLOC
  // Pointers to this thread's running totals, looked up once.
  static thread_local uint64_t* allocated = [] {
    uint64_t* p = nullptr;
    size_t len = sizeof(p);
    return mallctl("thread.allocatedp", &p, &len, nullptr, 0) == 0 ? p : nullptr;
  }();
  static thread_local uint64_t* deallocated = [] {
    uint64_t* p = nullptr;
    size_t len = sizeof(p);
    return mallctl("thread.deallocatedp", &p, &len, nullptr, 0) == 0 ? p : nullptr;
  }();
  if (allocated != nullptr && deallocated != nullptr) {
    return *allocated > *deallocated ? *allocated - *deallocated : 0;
  }
#endif
  return UsedMemory();
}

}  // namespace groupd
