#include "tools/loadgen/conn.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace groupd::loadgen {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr int kSetupTimeoutMs = 10000;

}  // namespace

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

void SetNonBlocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int ListenTcp(const std::string& host, int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    close(fd);
    errno = EINVAL;
    return -1;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 511) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int LocalPort(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

int AcceptClient(int listen_fd) {
  int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) SetNonBlocking(fd);
  return fd;
}

int Serve(const std::string& host, int port, const char* mode, Poller* poller) {
  int fd = ListenTcp(host, port);
  if (fd < 0) {
    fprintf(stderr, "loadgen %s: cannot listen: %s\n", mode, strerror(errno));
    return -1;
  }
  printf("listening %d\n", LocalPort(fd));
  fflush(stdout);
  poller->Add(fd, kListenTag, false);
  poller->Add(0, kStdinTag, false);
  return fd;
}

Conn::~Conn() {
  if (fd_ >= 0) close(fd_);
}

bool Conn::Connect(const std::string& host, int port, std::string* error) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = std::string("socket: ") + strerror(errno);
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    *error = "not an IPv4 address: " + host;
    return false;
  }
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = "connect " + host + ":" + std::to_string(port) + ": " + strerror(errno);
    return false;
  }
  SetNonBlocking(fd_);
  return true;
}

bool Conn::Flush() {
  while (out_pos_ < out_.size()) {
    ssize_t n = write(fd_, out_.data() + out_pos_, out_.size() - out_pos_);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return false;
  }
  if (out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ > (1u << 20)) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  return true;
}

bool Conn::Fill() {
  // Drop consumed input before reading more, so the buffer stays small.
  if (in_pos_ == in_len_) {
    in_pos_ = in_len_ = 0;
  } else if (in_pos_ > kReadChunk) {
    memmove(in_.get(), in_.get() + in_pos_, in_len_ - in_pos_);
    in_len_ -= in_pos_;
    in_pos_ = 0;
  }
  for (;;) {
    if (in_cap_ - in_len_ < kReadChunk) {
      size_t cap = std::max(in_cap_ * 2, in_len_ + kReadChunk);
      std::unique_ptr<char[]> grown(new char[cap]);
      if (in_len_ > 0) memcpy(grown.get(), in_.get(), in_len_);
      in_ = std::move(grown);
      in_cap_ = cap;
    }
    size_t room = in_cap_ - in_len_;
    ssize_t n = read(fd_, in_.get() + in_len_, room);
    if (n > 0) {
      in_len_ += static_cast<size_t>(n);
      bytes_read_ += static_cast<uint64_t>(n);
      if (static_cast<size_t>(n) < room) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;  // EOF or error.
  }
}

bool Conn::NextReply(ScanResult* r) {
  if (in_pos_ >= in_len_) return false;
  *r = scanner_.Next(in_.get() + in_pos_, in_len_ - in_pos_);
  if (r->status == ScanResult::Status::kMalformed) {
    malformed_ = true;
    return false;
  }
  if (r->status == ScanResult::Status::kIncomplete) return false;
  in_pos_ += r->consumed;
  return true;
}

bool Conn::RunSetup(const std::vector<std::string>& words, std::string* error) {
  if (words.empty()) return true;
  out_.append("*").append(std::to_string(words.size())).append("\r\n");
  for (const auto& w : words) {
    out_.append("$").append(std::to_string(w.size())).append("\r\n").append(w).append("\r\n");
  }
  std::string name = words[0];
  for (char& ch : name) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
  size_t expect = 1;
  if (name == "SUBSCRIBE" || name == "PSUBSCRIBE" || name == "SSUBSCRIBE" || name == "GMONITOR") {
    expect = std::max<size_t>(1, words.size() - 1);
  }
  int64_t deadline = NowNs() + kSetupTimeoutMs * 1000000LL;
  size_t got = 0;
  while (got < expect) {
    if (!Flush()) {
      *error = "write failed during setup";
      return false;
    }
    ScanResult r;
    while (got < expect && NextReply(&r)) {
      if (r.is_error) {
        *error = "setup command " + words[0] + " failed: " +
                 std::string(in_.get() + in_pos_ - r.consumed, std::min<size_t>(r.consumed, 200));
        return false;
      }
      ++got;
    }
    if (got == expect) break;
    if (malformed_) {
      *error = "malformed reply during setup";
      return false;
    }
    pollfd p{fd_, static_cast<short>(POLLIN | (wants_write() ? POLLOUT : 0)), 0};
    int left = static_cast<int>((deadline - NowNs()) / 1000000);
    if (left <= 0 || poll(&p, 1, left) <= 0) {
      *error = "timeout waiting for setup reply to " + words[0];
      return false;
    }
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && !Fill()) {
      *error = "connection closed during setup";
      return false;
    }
  }
  return true;
}

Poller::Poller() : epfd_(epoll_create1(EPOLL_CLOEXEC)), events_(1024) {}

Poller::~Poller() { close(epfd_); }

void Poller::Add(int fd, uint64_t tag, bool want_write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (want_write ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.u64 = tag;
  epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
}

void Poller::Modify(int fd, uint64_t tag, bool want_write) {
  epoll_event ev{};
  ev.events = EPOLLIN | (want_write ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.u64 = tag;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
}

void Poller::Set(int fd, uint64_t tag, bool want_read, bool want_write) {
  epoll_event ev{};
  ev.events = (want_read ? static_cast<uint32_t>(EPOLLIN) : 0u) |
              (want_write ? static_cast<uint32_t>(EPOLLOUT) : 0u);
  ev.data.u64 = tag;
  epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
}

void Poller::Remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

const std::vector<epoll_event>& Poller::Wait(int timeout_ms) {
  events_.resize(1024);
  int n;
  do {
    n = epoll_wait(epfd_, events_.data(), static_cast<int>(events_.size()), timeout_ms);
  } while (n < 0 && errno == EINTR);
  events_.resize(static_cast<size_t>(std::max(n, 0)));
  return events_;
}

std::string Samples::Json() {
  std::sort(v_.begin(), v_.end());
  auto pct = [&](double p) -> double {
    if (v_.empty()) return 0;
    size_t i = static_cast<size_t>(p * static_cast<double>(v_.size() - 1) + 0.5);
    return static_cast<double>(v_[std::min(i, v_.size() - 1)]) / 1000.0;
  };
  double sum = 0;
  for (int64_t x : v_) sum += static_cast<double>(x);
  char buf[512];
  snprintf(buf, sizeof(buf),
           "{\"count\":%zu,\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f,"
           "\"max_us\":%.3f,\"mean_us\":%.3f}",
           v_.size(), pct(0.5), pct(0.9), pct(0.99), pct(0.999),
           v_.empty() ? 0.0 : static_cast<double>(v_.back()) / 1000.0,
           v_.empty() ? 0.0 : sum / static_cast<double>(v_.size()) / 1000.0);
  return buf;
}

void RaiseFileLimit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(ch));
    } else if (ch < 0x20) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", ch);
      out += buf;
    } else {
      out.push_back(static_cast<char>(ch));
    }
  }
  return out;
}

}  // namespace groupd::loadgen
