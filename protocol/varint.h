#pragma once

#include <cstddef>
#include <cstdint>

namespace groupd::protocol {

// LEB128 varints (7 bits per byte, low groups first, high bit set on all but the last byte),
// as the peer protocol, encoded metas and registry nodes store lengths.

// Bytes v takes.
inline size_t VarLen(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

// Writes v at p; returns the end.
inline char* PutVar(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Decodes the varint in [*p, end) into *v and moves *p past it; false, with *p unchanged, when it
// is truncated or longer than 10 bytes. A non-minimal encoding (a trailing zero group) is read
// like the minimal one; callers that need one encoding per value compare the bytes taken with
// VarLen(*v).
inline bool GetVar(const char** p, const char* end, uint64_t* v) {
  uint64_t out = 0;
  const char* q = *p;
  for (int shift = 0; shift < 64 && q < end; shift += 7) {
    uint8_t b = static_cast<uint8_t>(*q++);
    out |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      *p = q;
      *v = out;
      return true;
    }
  }
  return false;
}

// Decodes the varint at *p and moves *p past it. REQUIRES: a well-formed varint (bytes this
// process wrote or checked).
inline uint64_t LoadVar(const char** p) {
  uint64_t out = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = static_cast<uint8_t>(*(*p)++);
    out |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return out;
  }
}

}  // namespace groupd::protocol
