#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// A thin wrapper over the libuv calls groupd uses. This header and uv_loop.cc are the only
// places that know libuv: everything else sees these classes, status codes as negative errno
// values with a message from ErrorName(), and std::function callbacks.
//
// Lifetime: every object may be destroyed at any time on the loop thread, even from inside one
// of its own callbacks; the libuv handle is closed and freed asynchronously, and no callback
// runs after destruction. Everything here must be used from the loop thread only.
//
// TLS: a TcpStream may carry a TLS session (server/tls.h), given by the TcpListener that accepted
// it or by Connect(). Its owner sees the same stream: DataFn gets decrypted bytes and Write()
// takes plaintext. The session runs over memory BIOs: read ciphertext is fed to OpenSSL, and
// what OpenSSL produces (handshake records, encrypted data, alerts) leaves through the same
// write-then-queue path as plain bytes. Reads drive the handshake (a dialed stream sends its
// ClientHello as soon as it connects); plaintext written before the handshake completes is held
// and sent once it does. A failed handshake or a corrupt record ends the stream with kTlsFailed
// through EndFn, and tls_error() says why. Plain streams pay one null check per read and write.
namespace groupd::uvw {

class TlsContext;

// Status given to EndFn when the TLS session failed; TcpStream::tls_error() has the reason.
inline constexpr int kTlsFailed = -100000;

std::string ErrorName(int status);

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Runs until Stop() is called and every handle is closed.
  void Run();
  void Stop();
  uint64_t NowMs() const;
  void* raw() const { return loop_; }

 private:
  void* loop_;
};

class TcpStream {
 public:
  using DataFn = std::function<void(std::string_view data)>;
  using EndFn = std::function<void(int status)>;  // 0 on EOF, else a negative error.

  ~TcpStream();

  // Connects to host:port (numeric address). cb gets the stream or a negative error. With tls,
  // the stream is a TLS client of the server it reaches: the handshake starts at once and the
  // server's certificate is verified as tls says. REQUIRES: tls, if given, outlives the call
  // (the stream keeps what it needs).
  static void Connect(Loop& loop, const std::string& host, int port,
                      std::function<void(std::unique_ptr<TcpStream>, int status)> cb,
                      const TlsContext* tls = nullptr);

  // Delivers incoming bytes. The view is valid only during the callback.
  void StartRead(DataFn on_data, EndFn on_end);
  void StopRead();

  // Writes data in order: a direct write first, and only what the kernel did not take is
  // copied and queued. Errors are reported through the EndFn given to StartRead.
  void Write(std::string_view data);
  size_t pending_bytes() const;
  // Calls fn once every queued byte has been written (at once if none are queued).
  void OnDrained(std::function<void()> fn);

  std::string peer_address() const;  // "ip:port"
  std::string local_address() const;
  int fd() const;
  void SetNoDelay(bool on);

  // Whether the stream carries a TLS session.
  bool tls() const;
  // Why the TLS session failed (OpenSSL's words), once EndFn got kTlsFailed; else empty.
  std::string tls_error() const;

  struct Impl;

 private:
  explicit TcpStream(Impl* impl) : impl_(impl) {}
  friend class TcpListener;
  Impl* impl_;
};

class TcpListener {
 public:
  using AcceptFn = std::function<void(std::unique_ptr<TcpStream>)>;
  ~TcpListener();

  // Binds host:port (port 0 picks one) and listens. Returns null and sets *status on failure.
  // With tls, every accepted stream is the TLS server side of its connection. REQUIRES: tls, if
  // given, outlives the listener.
  static std::unique_ptr<TcpListener> Listen(Loop& loop, const std::string& host, int port,
                                             AcceptFn on_accept, int* status,
                                             const TlsContext* tls = nullptr);
  int port() const;

  struct Impl;

 private:
  explicit TcpListener(Impl* impl) : impl_(impl) {}
  Impl* impl_;
};

class Timer {
 public:
  explicit Timer(Loop& loop);
  ~Timer();
  // Calls fn after timeout_ms, then every repeat_ms if non-zero.
  void Start(uint64_t timeout_ms, uint64_t repeat_ms, std::function<void()> fn);
  void Stop();

  struct Impl;

 private:
  Impl* impl_;
};

// Runs fn once per loop turn, just before the loop waits for I/O.
class Prepare {
 public:
  explicit Prepare(Loop& loop);
  ~Prepare();
  void Start(std::function<void()> fn);

  struct Impl;

 private:
  Impl* impl_;
};

// Runs fn on every loop turn while started; an active idle handle also makes the loop poll for
// I/O without sleeping.
class Idle {
 public:
  explicit Idle(Loop& loop);
  ~Idle();
  void Start(std::function<void()> fn);
  void Stop();
  bool active() const;

  struct Impl;

 private:
  Impl* impl_;
};

// A monotonic clock in nanoseconds (uv_hrtime).
uint64_t HrTimeNs();

class Signal {
 public:
  explicit Signal(Loop& loop);
  ~Signal();
  void Start(int signum, std::function<void()> fn);

  struct Impl;

 private:
  Impl* impl_;
};

// Resolves host to its IPv4/IPv6 addresses without blocking the loop.
void Resolve(Loop& loop, const std::string& host,
             std::function<void(std::vector<std::string> addresses, int status)> cb);

}  // namespace groupd::uvw
