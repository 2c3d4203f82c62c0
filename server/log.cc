#include "server/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace groupd {

namespace {

// Prints groupd's level names: spdlog's "debug" is groupd's "verbose".
class LevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    auto name = msg.level == spdlog::level::debug ? spdlog::string_view_t("verbose")
                                                  : spdlog::level::to_string_view(msg.level);
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

}  // namespace

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
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<LevelFlag>('L').set_pattern("%Y-%m-%d %H:%M:%S.%e %L %v");
    logger->set_formatter(std::move(formatter));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    return false;
  }
  return SetLogLevel(level);
}

}  // namespace groupd
