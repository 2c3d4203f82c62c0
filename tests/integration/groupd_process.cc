#include "tests/integration/groupd_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

namespace groupd::testing {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kStartupTimeout = 10s;
constexpr auto kStopTimeout = 3s;

// Processes that are running, so a failing test can show their logs even when a fixture shares
// them across tests and they outlive the test.
std::vector<GroupdProcess*>& LiveProcesses() {
  static std::vector<GroupdProcess*> live;
  return live;
}

class LogTailOnFailure : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (!info.result()->Failed()) return;
    for (const GroupdProcess* p : LiveProcesses()) p->PrintLogTail();
  }
};

// Installed before main() runs (GoogleTest's main only reads the listener list when tests start).
[[maybe_unused]] const bool kListenerInstalled = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new LogTailOnFailure);
  return true;
}();

std::string BinaryPath() {
  if (const char* env = std::getenv("GROUPD_BIN"); env != nullptr && env[0] != '\0') return env;
#ifdef GROUPD_DEFAULT_BIN
  return GROUPD_DEFAULT_BIN;
#else
  return "groupd";
#endif
}

std::string ReadFileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// One PING over a fresh connection; true when "+PONG" comes back within a second, or NOAUTH
// from a server started with requirepass (it answers, which is all that is asked here).
bool PingAnswers(int port) {
  RawClient c;
  if (!c.Connect(port)) return false;
  if (!c.SendCommand({"PING"})) return false;
  auto pong = c.ReadReply(1s);
  return pong && (pong->IsString("PONG") ||
                  (pong->type == RespValue::kError && pong->str.rfind("NOAUTH", 0) == 0));
}

}  // namespace

// --- GroupdProcess ------------------------------------------------------------------------------

GroupdProcess::GroupdProcess(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)) {}

GroupdProcess::~GroupdProcess() {
  if (pid_ > 0 && ::testing::Test::HasFailure()) PrintLogTail();
  Stop();
  if (!tmpdir_.empty() && std::getenv("GROUPD_KEEP_TMP") == nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(tmpdir_, ec);
  }
}

std::string GroupdProcess::Start() {
  if (pid_ > 0) return "already started";
  wait_status_.reset();
  const char* tmp_root = std::getenv("TMPDIR");
  std::string templ =
      std::string(tmp_root != nullptr && tmp_root[0] ? tmp_root : "/tmp") + "/groupd-it-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return ErrnoText("mkdtemp");
  tmpdir_ = buf.data();
  ports_path_ = tmpdir_ + "/ports";
  log_path_ = tmpdir_ + "/log";
  stdio_path_ = tmpdir_ + "/stdio";

  const std::string bin = BinaryPath();
  std::vector<std::string> args = {bin,         "--port",     "0",       "--ports-file",
                                   ports_path_, "--loglevel", "verbose", "--logfile",
                                   log_path_};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  // Everything the child needs is built before fork(): only async-signal-safe calls after it.
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int stdio_fd = ::open(stdio_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (stdio_fd < 0 || null_fd < 0) return ErrnoText("open");
  const pid_t parent = getpid();

  pid_t child = fork();
  if (child < 0) {
    ::close(stdio_fd);
    ::close(null_fd);
    return ErrnoText("fork");
  }
  if (child == 0) {
    // The kernel kills groupd if the test binary dies, even by SIGKILL.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(null_fd, 0);
    dup2(stdio_fd, 1);
    dup2(stdio_fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ::close(stdio_fd);
  ::close(null_fd);
  pid_ = child;
  LiveProcesses().push_back(this);

  const auto deadline = Clock::now() + kStartupTimeout;
  // The ports file is renamed into place whole, so a complete line means it is final.
  while (true) {
    if (!IsAlive()) return StartupError("exited before writing its ports file");
    std::ifstream in(ports_path_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!text.empty() && text.back() == '\n') {
      std::istringstream fields(text);
      if (!(fields >> port_ >> peer_port_) || port_ <= 0) {
        return StartupError("wrote a malformed ports file: '" + text + "'");
      }
      // A third field, the TLS port, is there only when the node has one.
      if (!(fields >> tls_port_)) tls_port_ = 0;
      break;
    }
    if (Clock::now() >= deadline) return StartupError("wrote no ports file within 10 s");
    SleepFor(5ms);
  }
  while (!PingAnswers(port_)) {
    if (!IsAlive()) return StartupError("exited before answering PING");
    if (Clock::now() >= deadline) return StartupError("did not answer PING within 10 s");
    SleepFor(10ms);
  }
  return "";
}

std::string GroupdProcess::StartupError(const std::string& what) {
  std::string msg = "groupd (" + BinaryPath() + ") " + what + "\n" + LogTail();
  Stop();
  return msg;
}

void GroupdProcess::Stop() {
  if (pid_ <= 0) return;
  int status = 0;
  bool reaped = waitpid(pid_, &status, WNOHANG) == pid_;
  if (!reaped) {
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + kStopTimeout;
    while (!reaped && Clock::now() < deadline) {
      SleepFor(5ms);
      reaped = waitpid(pid_, &status, WNOHANG) == pid_;
    }
    if (!reaped) {
      std::cerr << "groupd pid " << pid_ << " ignored SIGTERM for 3 s; sending SIGKILL\n";
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  wait_status_ = status;
  auto& live = LiveProcesses();
  live.erase(std::remove(live.begin(), live.end(), this), live.end());
  pid_ = -1;
}

bool GroupdProcess::IsAlive() {
  if (pid_ <= 0) return false;
  int status = 0;
  // A zombie still answers kill(pid, 0); waitpid tells that it has exited.
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    std::cerr << "groupd pid " << pid_ << " exited: "
              << (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                      : "status " + std::to_string(WEXITSTATUS(status)))
              << "\n";
    wait_status_ = status;
    auto& live = LiveProcesses();
    live.erase(std::remove(live.begin(), live.end(), this), live.end());
    pid_ = -1;
    return false;
  }
  return kill(pid_, 0) == 0;
}

std::string GroupdProcess::LogTail(size_t max_bytes) const {
  std::string out = "--- log " + log_path_ + " ---\n" + ReadFileTail(log_path_, max_bytes);
  std::string stdio = ReadFileTail(stdio_path_, max_bytes);
  if (!stdio.empty()) out += "\n--- stdout/stderr ---\n" + stdio;
  return out;
}

void GroupdProcess::PrintLogTail() const {
  std::cerr << "===== groupd pid " << pid_ << " port " << port_ << " =====\n"
            << LogTail() << "\n===== end =====\n";
}

// --- RawClient ----------------------------------------------------------------------------------

std::string EncodeCommand(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n";
    out += a;
    out += "\r\n";
  }
  return out;
}

RawClient::~RawClient() { Close(); }

bool RawClient::Connect(int port, std::string* error) {
  Close();
  in_.clear();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    if (error) *error = ErrnoText("socket");
    return false;
  }
  // Byte-at-a-time tests need each write to leave as its own segment.
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (error) *error = ErrnoText("connect");
    Close();
    return false;
  }
  return true;
}

bool RawClient::Send(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int RawClient::Fill(Clock::time_point deadline) {
  if (fd_ < 0) return 0;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    char buf[64 * 1024];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) reset_ = errno == ECONNRESET;
    if (n <= 0) return 0;  // EOF, or an error such as ECONNRESET: the server is gone either way.
    in_.append(buf, static_cast<size_t>(n));
    return 1;
  }
}

std::optional<RespValue> RawClient::ReadReply(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    RespValue v;
    size_t used = ParseRespValue(in_, &v);
    if (used > 0) {
      in_.erase(0, used);
      return v;
    }
    if (Fill(deadline) <= 0) return std::nullopt;
  }
}

std::optional<std::string> RawClient::ReadReplyBytes(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    RespValue v;
    size_t used = ParseRespValue(in_, &v);
    if (used > 0) {
      std::string bytes = in_.substr(0, used);
      in_.erase(0, used);
      return bytes;
    }
    if (Fill(deadline) <= 0) return std::nullopt;
  }
}

RespValue RawClient::Command(const std::vector<std::string>& args,
                             std::chrono::milliseconds timeout) {
  RespValue missing;
  missing.type = RespValue::kError;
  missing.str = "(no reply)";
  if (!SendCommand(args)) return missing;
  auto v = ReadReply(timeout);
  return v ? *v : missing;
}

bool RawClient::ReadUntilClosed(std::string* received, std::chrono::milliseconds timeout,
                                bool* reset) {
  const auto deadline = Clock::now() + timeout;
  int r;
  while ((r = Fill(deadline)) > 0) {
  }
  if (received) *received = in_;
  if (reset) *reset = reset_;
  in_.clear();
  return r == 0;
}

bool RawClient::NothingArrives(std::chrono::milliseconds wait) {
  if (!in_.empty()) return false;
  return Fill(Clock::now() + wait) < 0;
}

void RawClient::Close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  ::close(fd_);
  fd_ = -1;
}

// --- Helpers ------------------------------------------------------------------------------------

std::string RunShell(const std::string& command, int* exit_status) {
  std::string out;
  FILE* f = ::popen(command.c_str(), "r");
  if (f == nullptr) {
    if (exit_status) *exit_status = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  int status = ::pclose(f);
  if (exit_status) *exit_status = status;
  return out;
}

void SleepFor(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }

std::optional<std::string> InfoField(std::string_view info, std::string_view field) {
  size_t pos = 0;
  while (pos < info.size()) {
    size_t eol = info.find('\n', pos);
    if (eol == std::string_view::npos) eol = info.size();
    std::string_view line = info.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > field.size() && line.substr(0, field.size()) == field &&
        line[field.size()] == ':') {
      return std::string(line.substr(field.size() + 1));
    }
    pos = eol + 1;
  }
  return std::nullopt;
}

}  // namespace groupd::testing
