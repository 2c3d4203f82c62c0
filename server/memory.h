#pragma once

#include <cstdint>
#include <string>

namespace groupd {

// Bytes the allocator has handed out to the program (jemalloc's stats.allocated, refreshed).
// Costs a few microseconds: for INFO, not for every command.
uint64_t UsedMemory();

// The loop thread's live allocated bytes, read from jemalloc's per-thread counters: two loads,
// cheap enough to check before every write command (maxmemory). Falls back to UsedMemory()
// without jemalloc. REQUIRES: called on the loop thread.
uint64_t UsedMemoryFast();

// Resident set size from /proc/self/statm.
uint64_t ResidentMemory();

// "jemalloc-5.3.0" or "libc".
std::string MemAllocator();
// jemalloc's transparent-huge-page mode (opt.thp: always, never, default), or "n/a".
std::string AllocatorThp();

}  // namespace groupd
