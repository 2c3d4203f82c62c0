#pragma once

#include <string_view>

namespace groupd {

// Redis-compatible glob matching (PSUBSCRIBE patterns): '*', '?', '[abc]', '[^a-z]', and '\' to
// escape. Runs in O(pattern * string) time, never exponential.
bool GlobMatch(std::string_view pattern, std::string_view str);

}  // namespace groupd
