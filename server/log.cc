#include "server/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace groupd {

bool SetLogLevel(std::string_view level) {
  if (level == "info") {
    spdlog::set_level(spdlog::level::info);
  } else if (level == "verbose") {
    spdlog::set_level(spdlog::level::debug);
  } else if (level == "off") {
    spdlog::set_level(spdlog::level::off);
  } else {
    return false;
  }
  return true;
}

bool InitLogging(const std::string& logfile, std::string_view level) {
  try {
    std::shared_ptr<spdlog::logger> logger;
    if (logfile.empty()) {
      logger = spdlog::stdout_logger_st("groupd");
    } else {
      logger = spdlog::basic_logger_st("groupd", logfile);
    }
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    return false;
  }
  return SetLogLevel(level);
}

}  // namespace groupd
