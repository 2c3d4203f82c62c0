#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tools/loadgen/resp_scan.h"

namespace groupd::loadgen {

// CLOCK_MONOTONIC in nanoseconds: the clock Python's time.monotonic() reads on Linux, so the
// orchestrator and the load generator can compare timestamps.
int64_t NowNs();

// Makes a socket non-blocking with TCP_NODELAY.
void SetNonBlocking(int fd);
// Binds host:port (0 picks a port) and listens. Returns the socket, or -1 with errno set.
int ListenTcp(const std::string& host, int port);
// The port a bound socket has.
int LocalPort(int fd);
// Accepts a connection on a listening socket and makes it non-blocking with TCP_NODELAY.
// Returns the socket, or -1.
int AcceptClient(int listen_fd);

// One client socket with an output queue and an input buffer, for a single-threaded epoll loop.
// Owns its file descriptor. Not thread-safe.
class Conn {
 public:
  Conn() = default;
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Connects (blocking; loopback connects at once), then makes the socket non-blocking with
  // TCP_NODELAY. Returns false and sets *error on failure.
  bool Connect(const std::string& host, int port, std::string* error);
  // Takes a socket from AcceptClient (the null server's side of a connection).
  void Adopt(int fd) { fd_ = fd; }
  int fd() const { return fd_; }

  // Bytes appended here are sent by Flush().
  std::string& out() { return out_; }
  // Writes queued output until the socket would block. False on a socket error.
  bool Flush();
  bool wants_write() const { return out_pos_ < out_.size(); }

  // Reads what the socket holds. False on EOF or a socket error.
  bool Fill();
  // Takes the next complete reply (or request: RESP frames either) from the input. False when none is complete yet, or when the
  // input is malformed (then malformed() is true).
  bool NextReply(ScanResult* r);
  bool malformed() const { return malformed_; }
  uint64_t bytes_read() const { return bytes_read_; }

  // Sends one command given as words and waits for its confirmations: one reply, or one per
  // channel for SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE/GMONITOR. Blocking (poll); call before the
  // connection joins an epoll loop. False (and *error) on an error reply, EOF or timeout.
  bool RunSetup(const std::vector<std::string>& words, std::string* error);

 private:
  int fd_ = -1;
  std::string out_;
  size_t out_pos_ = 0;
  // Input: bytes [in_pos_, in_len_) of in_ are unread. A plain buffer rather than a string, so
  // making room for a read never zero-fills it.
  std::unique_ptr<char[]> in_;
  size_t in_cap_ = 0;
  size_t in_len_ = 0;
  size_t in_pos_ = 0;
  ReplyScanner scanner_;
  bool malformed_ = false;
  uint64_t bytes_read_ = 0;
};

// Level-triggered epoll. Each registration carries a caller-chosen 64-bit tag.
class Poller {
 public:
  Poller();
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  void Add(int fd, uint64_t tag, bool want_write);
  void Modify(int fd, uint64_t tag, bool want_write);
  // Like Modify, choosing read interest too (a relay stops reading while its buffer is full).
  void Set(int fd, uint64_t tag, bool want_read, bool want_write);
  void Remove(int fd);
  // Waits up to timeout_ms (-1: forever). Returns the ready events (valid until the next Wait).
  const std::vector<epoll_event>& Wait(int timeout_ms);

 private:
  int epfd_;
  std::vector<epoll_event> events_;
};

// Tags of the listening socket and of standard input in a serving mode's Poller (gate, null).
inline constexpr uint64_t kListenTag = UINT64_MAX;
inline constexpr uint64_t kStdinTag = UINT64_MAX - 1;
// Starts a serving mode: binds host:port (0 picks one), prints "listening <port>" on stdout, and
// registers the socket (kListenTag) and standard input (kStdinTag, whose EOF ends the mode)
// with poller. Returns the socket, or -1 after printing why on stderr.
int Serve(const std::string& host, int port, const char* mode, Poller* poller);

// Latency samples in nanoseconds; percentiles by sorting once at the end.
class Samples {
 public:
  void Reserve(size_t n) { v_.reserve(n); }
  void Add(int64_t ns) { v_.push_back(ns); }
  size_t size() const { return v_.size(); }
  // JSON object {"count":..,"p50_us":..,"p90_us":..,"p99_us":..,"p999_us":..,"max_us":..,
  // "mean_us":..}. Sorts the samples.
  std::string Json();

 private:
  std::vector<int64_t> v_;
};

// Raises the open-file limit to its hard maximum (fan-out opens a thousand sockets).
void RaiseFileLimit();

// Escapes s for a JSON string literal (without the quotes).
std::string JsonEscape(const std::string& s);

}  // namespace groupd::loadgen
