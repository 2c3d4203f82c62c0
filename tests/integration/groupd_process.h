#pragma once

// Integration-test harness: runs the real groupd binary as a child process and talks to it over
// plain TCP sockets. Used only by tests; single-threaded like the tests themselves.

#include <sys/types.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/resp_value.h"

namespace groupd::testing {

using namespace std::chrono_literals;

// One groupd process on 127.0.0.1 with an ephemeral port, a private temporary directory for its
// ports file and log, and a guaranteed end: the destructor stops it (SIGTERM, then SIGKILL after
// 3 s) and always reaps it, and the kernel kills it (PR_SET_PDEATHSIG) if the test binary dies
// first. When the test that owns it has failed, the destructor prints the tail of its log, and a
// GoogleTest listener does the same for processes still running when a test fails (servers that
// a fixture shares across its tests).
class GroupdProcess {
 public:
  // extra_args are appended to the command line, e.g. {"--maxclients", "10"}.
  explicit GroupdProcess(std::vector<std::string> extra_args = {});
  ~GroupdProcess();
  GroupdProcess(const GroupdProcess&) = delete;
  GroupdProcess& operator=(const GroupdProcess&) = delete;

  // Starts the binary named by $GROUPD_BIN and waits up to 10 s for its ports file and for PING
  // to answer. Returns an empty string on success, else what went wrong (with the log tail).
  [[nodiscard]] std::string Start();

  // Sends SIGTERM, waits up to 3 s, then SIGKILLs; always reaps. Safe to call twice.
  void Stop();

  int port() const { return port_; }
  int peer_port() const { return peer_port_; }
  // The TLS client port (the ports file's optional third field); 0 when the node has none.
  int tls_port() const { return tls_port_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

  // True while the process exists and has not exited (kill(pid, 0) plus a non-blocking reap, so
  // a zombie counts as dead).
  bool IsAlive();

  // How the process ended, as a waitpid() status, once it has been reaped (by Stop() or by
  // IsAlive() noticing it exited); nullopt while it runs.
  std::optional<int> wait_status() const { return wait_status_; }

  // The last max_bytes of the server log (and of its captured stdout/stderr).
  std::string LogTail(size_t max_bytes = 4000) const;

  // Prints LogTail() to stderr with a header naming this process.
  void PrintLogTail() const;

 private:
  std::string StartupError(const std::string& what);

  std::vector<std::string> extra_args_;
  std::string tmpdir_;
  std::string ports_path_;
  std::string log_path_;
  std::string stdio_path_;
  pid_t pid_ = -1;
  std::optional<int> wait_status_;
  int port_ = 0;
  int peer_port_ = 0;
  int tls_port_ = 0;
};

// Encodes args as one RESP multibulk request.
std::string EncodeCommand(const std::vector<std::string>& args);

// A blocking TCP client over a raw socket, for what hiredis cannot do: RESP3, push frames,
// malformed input, byte-at-a-time writes and abrupt closes. Every read takes a timeout, so a
// server that never answers fails the test instead of hanging it.
class RawClient {
 public:
  RawClient() = default;
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Connects to 127.0.0.1:port. Returns false (with errno text in *error) on failure.
  [[nodiscard]] bool Connect(int port, std::string* error = nullptr);
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  // Writes all of bytes. Returns false if the socket failed (e.g. the server closed it).
  bool Send(std::string_view bytes);
  // Sends one multibulk command.
  bool SendCommand(const std::vector<std::string>& args) { return Send(EncodeCommand(args)); }

  // Reads one complete reply, waiting at most timeout for it. Returns nullopt on timeout or when
  // the server closed the connection first.
  std::optional<RespValue> ReadReply(std::chrono::milliseconds timeout = 5s);

  // Like ReadReply() but returns the reply's exact bytes, for tests of the wire format.
  std::optional<std::string> ReadReplyBytes(std::chrono::milliseconds timeout = 5s);

  // SendCommand() then ReadReply(); a missing reply becomes an error value "(no reply)" so that
  // comparisons in tests fail readably instead of crashing.
  RespValue Command(const std::vector<std::string>& args, std::chrono::milliseconds timeout = 5s);

  // Reads until the server closes the connection or timeout passes. Returns true if it closed:
  // read returned 0 (FIN), or failed with ECONNRESET, which sets *reset when given. *received
  // gets every byte that arrived, including bytes buffered but not yet parsed as replies.
  bool ReadUntilClosed(std::string* received, std::chrono::milliseconds timeout = 5s,
                       bool* reset = nullptr);

  // True if nothing arrives within `wait` (and the connection is still open).
  bool NothingArrives(std::chrono::milliseconds wait = 200ms);

  // Closes the socket without QUIT. With reset, SO_LINGER 0 makes the kernel send RST, the way a
  // crashed peer looks; otherwise a plain FIN.
  void Close(bool reset = false);

  // Bytes received but not yet consumed as replies.
  const std::string& buffered() const { return in_; }

 private:
  // Waits for readability until deadline and appends what arrives to in_. Returns 1 on data, 0 on
  // EOF or reset (reset_ tells which), -1 on timeout.
  int Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool reset_ = false;
  std::string in_;
};

// Runs a shell command and returns its standard output (standard error goes to the test's).
// *exit_status gets the status as from pclose() when not null.
std::string RunShell(const std::string& command, int* exit_status = nullptr);

void SleepFor(std::chrono::milliseconds d);

// Polls cond every 10 ms until it holds or timeout passes; returns its last value.
template <typename Cond>
bool WaitFor(Cond&& cond, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    SleepFor(10ms);
  }
}

// The value of "field:value" in an INFO reply, or nullopt.
std::optional<std::string> InfoField(std::string_view info, std::string_view field);

}  // namespace groupd::testing
