#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

// groupd's log levels are info, verbose (spdlog's debug: per-shard replication detail) and off.
#define GD_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define GD_LOG_VERBOSE(...) SPDLOG_DEBUG(__VA_ARGS__)
#define GD_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)

namespace groupd {

// Sets up the default logger (stdout, or logfile when not empty). Returns false on failure.
bool InitLogging(const std::string& logfile, std::string_view level);

// Applies "info", "verbose" or "off". Returns false for any other name.
bool SetLogLevel(std::string_view level);

}  // namespace groupd
