#include "server/uv_loop.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <uv.h>

#include <algorithm>
#include <cstring>

#include "server/tls.h"

namespace groupd::uvw {

std::string ErrorName(int status) {
  if (status == kTlsFailed) return "TLS failure";
  return uv_strerror(status);
}

namespace {

uv_loop_t* L(Loop& loop) { return static_cast<uv_loop_t*>(loop.raw()); }

std::string SockaddrToString(const sockaddr_storage& ss) {
  char ip[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    uv_ip4_name(a, ip, sizeof(ip));
    port = ntohs(a->sin_port);
    return std::string(ip) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    uv_ip6_name(a, ip, sizeof(ip));
    port = ntohs(a->sin6_port);
    return "[" + std::string(ip) + "]:" + std::to_string(port);
  }
  return "?:0";
}

int MakeAddr(const std::string& host, int port, sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(ss)) == 0) return 0;
  return uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(ss));
}

}  // namespace

// --- Loop ----------------------------------------------------------------------------------------

Loop::Loop() {
  auto* l = new uv_loop_t;
  uv_loop_init(l);
  loop_ = l;
}

Loop::~Loop() {
  auto* l = static_cast<uv_loop_t*>(loop_);
  // Let pending close callbacks run so their memory is freed.
  uv_run(l, UV_RUN_NOWAIT);
  uv_loop_close(l);
  delete l;
}

void Loop::Run() { uv_run(static_cast<uv_loop_t*>(loop_), UV_RUN_DEFAULT); }
void Loop::Stop() { uv_stop(static_cast<uv_loop_t*>(loop_)); }
uint64_t Loop::NowMs() const { return uv_now(static_cast<uv_loop_t*>(loop_)); }

// --- TcpStream -----------------------------------------------------------------------------------

// One TLS session over memory BIOs. The socket's ciphertext is written into rbio for OpenSSL to
// read; OpenSSL's output accumulates in wbio until it is moved to the socket.
struct TlsSession {
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;  // Owned by ssl.
  BIO* wbio = nullptr;  // Owned by ssl.
  bool established = false;
  bool failed = false;
  std::string early;  // Plaintext written before the handshake completed.
  std::string error;  // Why the session failed.

  ~TlsSession() { SSL_free(ssl); }
};

// Plaintext is encrypted in pieces of at most this size, each moved to the socket before the
// next, so a large reply never sits twice in memory (once in wbio, once queued).
constexpr size_t kTlsWriteChunk = 256 * 1024;

struct TcpStream::Impl {
  uv_tcp_t tcp;
  bool owner_alive = true;  // False once the TcpStream object is gone.
  bool broken = false;  // A write failed: output is dropped; reads report the error.
  bool reading = false;
  DataFn on_data;
  EndFn on_end;
  uv_write_t write_req;
  bool writing = false;
  std::string inflight;  // Bytes handed to uv_write.
  std::string queued;    // Bytes waiting for the in-flight write.
  std::vector<std::function<void()>> drained;
  std::unique_ptr<TlsSession> tls;  // Null on plain TCP.
  // Socket reads land here. With TLS the ciphertext is copied into rbio at once, so the buffer
  // then receives the decrypted plaintext.
  char read_buf[64 * 1024];

  void Fail(int status) {
    if (owner_alive && on_end) {
      // Copy: the callback may destroy the stream (and with it this function object).
      EndFn fn = on_end;
      fn(status);
    }
  }

  // Never reports a failure synchronously: the caller of Write() may be the owner, which must
  // not be destroyed under its own feet. A broken socket drops further output, and the read
  // side (or the pending write's callback) reports the error from the loop.
  void StartWrite() {
    writing = true;
    uv_buf_t buf = uv_buf_init(inflight.data(), static_cast<unsigned>(inflight.size()));
    write_req.data = this;
    int rc = uv_write(&write_req, reinterpret_cast<uv_stream_t*>(&tcp), &buf, 1, OnWrite);
    if (rc != 0) {
      writing = false;
      MarkBroken();
    }
  }

  void MarkBroken() {
    broken = true;
    inflight.clear();
    queued.clear();
  }

  void RunDrained() {
    auto fns = std::move(drained);
    drained.clear();
    for (auto& fn : fns) {
      if (!owner_alive) return;
      fn();
    }
  }

  // Delivers n bytes of read_buf to the owner. Returns false if it is gone or stopped reading.
  bool Deliver(size_t n) {
    if (owner_alive && on_data) {
      // Copy: the callback may destroy the stream, and with it this function object.
      DataFn fn = on_data;
      fn(std::string_view(read_buf, n));
    }
    return owner_alive && reading;
  }

  void ReadFailed(int status) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
    reading = false;
    Fail(status);
  }

  // --- TLS ---

  // Creates the session (it holds a reference to the context's SSL_CTX). A client starts its
  // handshake with Handshake() once connected. Returns 0 or a negative error.
  int StartTls(const TlsContext& ctx, bool server_mode) {
    ERR_clear_error();
    tls = std::make_unique<TlsSession>();
    tls->ssl = ctx.NewSession(server_mode);
    tls->rbio = BIO_new(BIO_s_mem());
    tls->wbio = BIO_new(BIO_s_mem());
    if (tls->ssl == nullptr || tls->rbio == nullptr || tls->wbio == nullptr) {
      BIO_free(tls->rbio);
      BIO_free(tls->wbio);
      tls->rbio = tls->wbio = nullptr;
      tls->error = TakeTlsError();
      return UV_ENOMEM;
    }
    // A mem BIO that is empty reports "retry" rather than EOF, which is what makes SSL_read
    // answer SSL_ERROR_WANT_READ.
    BIO_set_mem_eof_return(tls->rbio, -1);
    BIO_set_mem_eof_return(tls->wbio, -1);
    SSL_set_bio(tls->ssl, tls->rbio, tls->wbio);
    return 0;
  }

  // Moves what OpenSSL produced from wbio to the socket: a direct write first, and only what the
  // kernel did not take stays queued. Returns 0 or a negative error.
  int SendCiphertext() {
    size_t n = BIO_ctrl_pending(tls->wbio);
    if (n == 0) return 0;
    // Read straight into the buffer the bytes end up in: the queue behind an in-flight write,
    // or the in-flight buffer itself (empty when no write is in flight).
    std::string& dst = writing ? queued : inflight;
    if (!writing) dst.clear();
    size_t old = dst.size();
    dst.resize(old + n);
    int got = BIO_read(tls->wbio, dst.data() + old, static_cast<int>(n));
    dst.resize(old + static_cast<size_t>(std::max(got, 0)));
    if (writing) return 0;
    uv_buf_t buf = uv_buf_init(inflight.data(), static_cast<unsigned>(inflight.size()));
    int w = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp), &buf, 1);
    if (w == UV_EAGAIN) w = 0;
    if (w < 0) {
      inflight.clear();
      return w;
    }
    if (static_cast<size_t>(w) == inflight.size()) {
      inflight.clear();
      return 0;
    }
    inflight.erase(0, static_cast<size_t>(w));
    writing = true;
    uv_buf_t rest = uv_buf_init(inflight.data(), static_cast<unsigned>(inflight.size()));
    write_req.data = this;
    int rc = uv_write(&write_req, reinterpret_cast<uv_stream_t*>(&tcp), &rest, 1, OnWrite);
    if (rc != 0) {
      writing = false;
      inflight.clear();
    }
    return rc;
  }

  // Records why the session failed; the caller reports kTlsFailed.
  int TlsFailure(const char* what) {
    tls->failed = true;
    tls->error = TakeTlsError(tls->ssl);
    if (tls->error.empty()) tls->error = what;
    return kTlsFailed;
  }

  // Encrypts data and sends it. Returns 0 or a negative error.
  int Encrypt(std::string_view data) {
    while (!data.empty()) {
      size_t chunk = std::min(data.size(), kTlsWriteChunk);
      ERR_clear_error();
      int r = SSL_write(tls->ssl, data.data(), static_cast<int>(chunk));
      // Memory BIOs never block and renegotiation is off, so a write either completes or the
      // session is broken.
      if (r <= 0) {
        SendCiphertext();  // An alert, if OpenSSL made one.
        return TlsFailure("TLS write failed");
      }
      data.remove_prefix(static_cast<size_t>(r));
      if (int rc = SendCiphertext(); rc < 0) return rc;
    }
    return 0;
  }

  // Advances the handshake with what rbio holds and sends OpenSSL's answer (the alert, when it
  // fails). Once it completes, the early plaintext is encrypted and sent. Returns 0 (done, or
  // waiting for the peer) or a negative error.
  int Handshake() {
    ERR_clear_error();
    int rc = SSL_do_handshake(tls->ssl);
    int err = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(tls->ssl, rc);
    int sent = SendCiphertext();
    if (rc != 1 && err != SSL_ERROR_WANT_READ) return TlsFailure("TLS handshake failed");
    if (sent < 0) return sent;
    if (rc != 1) return 0;
    tls->established = true;
    if (!tls->early.empty()) {
      std::string early = std::move(tls->early);
      tls->early.clear();
      if (int st = Encrypt(early); st < 0) return st;
    }
    return 0;
  }

  // Handles nread bytes of ciphertext in read_buf: feeds them to OpenSSL, advances the
  // handshake, and delivers the plaintext in as few callbacks as read_buf allows.
  void TlsRead(size_t nread) {
    if (tls->failed) {
      // A write failed in the session (Write() never reports synchronously): report it now.
      ReadFailed(kTlsFailed);
      return;
    }
    BIO_write(tls->rbio, read_buf, static_cast<int>(nread));
    if (!tls->established) {
      if (int st = Handshake(); st < 0) {
        ReadFailed(st);
        return;
      }
      if (!tls->established) return;
      // Writes the owner made before the handshake may have been what it waited for.
      if (!writing && !drained.empty()) {
        RunDrained();
        if (!owner_alive) return;
      }
      if (!reading) {
        // The owner stopped reading during the handshake: nothing more is delivered.
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp));
        return;
      }
    }
    size_t filled = 0;
    while (true) {
      ERR_clear_error();
      int r = SSL_read(tls->ssl, read_buf + filled, static_cast<int>(sizeof(read_buf) - filled));
      if (r > 0) {
        filled += static_cast<size_t>(r);
        if (filled == sizeof(read_buf)) {
          if (!Deliver(filled)) return;
          filled = 0;
        }
        continue;
      }
      int err = SSL_get_error(tls->ssl, r);
      if (filled > 0 && !Deliver(filled)) return;
      // Reading may have produced records to send (a key update's answer, an alert).
      int sent = SendCiphertext();
      if (err == SSL_ERROR_WANT_READ) {
        if (sent < 0) ReadFailed(sent);
        return;
      }
      if (err == SSL_ERROR_ZERO_RETURN) {
        ReadFailed(0);  // The peer's close_notify: a clean end of stream.
        return;
      }
      ReadFailed(TlsFailure("TLS read failed"));
      return;
    }
  }

  // Sends close_notify if the session is up and nothing is queued, without waiting.
  void TlsShutdown() {
    if (!tls->established || tls->failed || writing || broken) return;
    ERR_clear_error();
    if (SSL_shutdown(tls->ssl) < 0) {
      ERR_clear_error();
      return;
    }
    char buf[256];
    int n = BIO_read(tls->wbio, buf, sizeof(buf));
    if (n <= 0) return;
    uv_buf_t b = uv_buf_init(buf, static_cast<unsigned>(n));
    uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp), &b, 1);
  }

  static void OnWrite(uv_write_t* req, int status) {
    auto* self = static_cast<Impl*>(req->data);
    self->writing = false;
    self->inflight.clear();
    if (status < 0) {
      self->Fail(status);
      return;
    }
    if (!self->queued.empty()) {
      self->inflight.swap(self->queued);
      self->StartWrite();
      return;
    }
    self->RunDrained();
  }
};

TcpStream::~TcpStream() {
  if (impl_->tls) impl_->TlsShutdown();
  impl_->owner_alive = false;
  impl_->on_data = nullptr;
  impl_->on_end = nullptr;
  impl_->drained.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&impl_->tcp),
           [](uv_handle_t* h) { delete static_cast<Impl*>(h->data); });
}

void TcpStream::Connect(Loop& loop, const std::string& host, int port,
                        std::function<void(std::unique_ptr<TcpStream>, int)> cb,
                        const TlsContext* tls) {
  sockaddr_storage ss;
  int rc = MakeAddr(host, port, &ss);
  if (rc != 0) {
    cb(nullptr, rc);
    return;
  }
  auto* impl = new Impl;
  uv_tcp_init(L(loop), &impl->tcp);
  impl->tcp.data = impl;
  struct Req {
    uv_connect_t req;
    Impl* impl;
    std::function<void(std::unique_ptr<TcpStream>, int)> cb;
  };
  if (tls != nullptr) {
    // The session is made now, so the context need not outlive the connect.
    rc = impl->StartTls(*tls, false);
    if (rc != 0) {
      std::unique_ptr<TcpStream> stream(new TcpStream(impl));
      stream.reset();
      cb(nullptr, rc);
      return;
    }
  }
  auto* req = new Req{{}, impl, std::move(cb)};
  req->req.data = req;
  rc = uv_tcp_connect(&req->req, &impl->tcp, reinterpret_cast<sockaddr*>(&ss),
                      [](uv_connect_t* r, int status) {
                        auto* req = static_cast<Req*>(r->data);
                        std::unique_ptr<TcpStream> stream(new TcpStream(req->impl));
                        // A TLS client sends its ClientHello at once.
                        if (status == 0 && req->impl->tls) status = req->impl->Handshake();
                        if (status < 0) {
                          stream.reset();
                          req->cb(nullptr, status);
                        } else {
                          req->cb(std::move(stream), 0);
                        }
                        delete req;
                      });
  if (rc != 0) {
    std::unique_ptr<TcpStream> stream(new TcpStream(impl));
    stream.reset();
    auto fn = std::move(req->cb);
    delete req;
    fn(nullptr, rc);
  }
}

void TcpStream::StartRead(DataFn on_data, EndFn on_end) {
  impl_->on_data = std::move(on_data);
  impl_->on_end = std::move(on_end);
  impl_->reading = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&impl_->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<Impl*>(h->data);
        *buf = uv_buf_init(self->read_buf, sizeof(self->read_buf));
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<Impl*>(s->data);
        if (nread > 0 && self->tls) {
          self->TlsRead(static_cast<size_t>(nread));
        } else if (nread > 0) {
          if (self->owner_alive && self->on_data) {
            // Copy: the callback may destroy the stream, and with it this function object.
            DataFn fn = self->on_data;
            fn(std::string_view(buf->base, static_cast<size_t>(nread)));
          }
        } else if (nread < 0) {
          self->ReadFailed(nread == UV_EOF ? 0 : static_cast<int>(nread));
        }
      });
}

void TcpStream::StopRead() {
  impl_->reading = false;
  // A TLS session still needs the peer's handshake records before it can send what was written
  // (say, an error before closing); TlsRead stops reading once the handshake is done.
  if (impl_->tls && !impl_->tls->established && !impl_->tls->failed) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&impl_->tcp));
}

void TcpStream::Write(std::string_view data) {
  if (data.empty() || impl_->broken) return;
  if (impl_->tls) {
    TlsSession& tls = *impl_->tls;
    if (tls.failed) return;
    if (!tls.established) {
      tls.early.append(data);
      return;
    }
    if (int st = impl_->Encrypt(data); st < 0) impl_->MarkBroken();
    return;
  }
  if (impl_->writing) {
    impl_->queued.append(data);
    return;
  }
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
  int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&impl_->tcp), &buf, 1);
  if (n == UV_EAGAIN) n = 0;
  if (n < 0) {
    impl_->MarkBroken();
    return;
  }
  if (static_cast<size_t>(n) == data.size()) return;
  impl_->inflight.assign(data.substr(static_cast<size_t>(n)));
  impl_->StartWrite();
}

size_t TcpStream::pending_bytes() const {
  size_t n = impl_->inflight.size() + impl_->queued.size();
  if (impl_->tls) n += impl_->tls->early.size();
  return n;
}

void TcpStream::OnDrained(std::function<void()> fn) {
  if (!impl_->writing && (!impl_->tls || impl_->tls->early.empty())) {
    fn();
    return;
  }
  impl_->drained.push_back(std::move(fn));
}

std::string TcpStream::peer_address() const {
  sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&impl_->tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  return SockaddrToString(ss);
}

std::string TcpStream::local_address() const {
  sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getsockname(&impl_->tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  return SockaddrToString(ss);
}

int TcpStream::fd() const {
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<const uv_handle_t*>(&impl_->tcp), &fd);
  return fd;
}

void TcpStream::SetNoDelay(bool on) { uv_tcp_nodelay(&impl_->tcp, on ? 1 : 0); }

bool TcpStream::tls() const { return impl_->tls != nullptr; }

std::string TcpStream::tls_error() const { return impl_->tls ? impl_->tls->error : ""; }

// --- TcpListener ---------------------------------------------------------------------------------

struct TcpListener::Impl {
  uv_tcp_t tcp;
  AcceptFn on_accept;
  const TlsContext* tls = nullptr;
};

TcpListener::~TcpListener() {
  impl_->on_accept = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&impl_->tcp),
           [](uv_handle_t* h) { delete static_cast<Impl*>(h->data); });
}

std::unique_ptr<TcpListener> TcpListener::Listen(Loop& loop, const std::string& host, int port,
                                                 AcceptFn on_accept, int* status,
                                                 const TlsContext* tls) {
  sockaddr_storage ss;
  *status = MakeAddr(host, port, &ss);
  if (*status != 0) return nullptr;
  auto* impl = new Impl;
  uv_tcp_init(L(loop), &impl->tcp);
  impl->tcp.data = impl;
  impl->on_accept = std::move(on_accept);
  impl->tls = tls;
  std::unique_ptr<TcpListener> listener(new TcpListener(impl));
  *status = uv_tcp_bind(&impl->tcp, reinterpret_cast<sockaddr*>(&ss), 0);
  if (*status != 0) return nullptr;
  *status = uv_listen(reinterpret_cast<uv_stream_t*>(&impl->tcp), 511,
                      [](uv_stream_t* server, int st) {
                        auto* self = static_cast<Impl*>(server->data);
                        if (st < 0) return;
                        auto* ci = new TcpStream::Impl;
                        uv_tcp_init(server->loop, &ci->tcp);
                        ci->tcp.data = ci;
                        std::unique_ptr<TcpStream> stream(new TcpStream(ci));
                        if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&ci->tcp)) != 0) {
                          return;
                        }
                        if (self->tls != nullptr && ci->StartTls(*self->tls, true) != 0) return;
                        if (self->on_accept) self->on_accept(std::move(stream));
                      });
  if (*status != 0) return nullptr;
  return listener;
}

int TcpListener::port() const {
  sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getsockname(&impl_->tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

// --- Timer, Prepare, Signal ----------------------------------------------------------------------

struct Timer::Impl {
  uv_timer_t timer;
  std::function<void()> fn;
};

Timer::Timer(Loop& loop) : impl_(new Impl) {
  uv_timer_init(L(loop), &impl_->timer);
  impl_->timer.data = impl_;
}

Timer::~Timer() {
  impl_->fn = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&impl_->timer),
           [](uv_handle_t* h) { delete static_cast<Impl*>(h->data); });
}

void Timer::Start(uint64_t timeout_ms, uint64_t repeat_ms, std::function<void()> fn) {
  impl_->fn = std::move(fn);
  uv_timer_start(
      &impl_->timer,
      [](uv_timer_t* t) {
        auto* self = static_cast<Impl*>(t->data);
        if (self->fn) {
          // Copy: fn may restart or destroy the timer.
          auto fn = self->fn;
          fn();
        }
      },
      timeout_ms, repeat_ms);
}

void Timer::Stop() { uv_timer_stop(&impl_->timer); }

struct Prepare::Impl {
  uv_prepare_t prepare;
  std::function<void()> fn;
};

Prepare::Prepare(Loop& loop) : impl_(new Impl) {
  uv_prepare_init(L(loop), &impl_->prepare);
  impl_->prepare.data = impl_;
}

Prepare::~Prepare() {
  impl_->fn = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&impl_->prepare),
           [](uv_handle_t* h) { delete static_cast<Impl*>(h->data); });
}

void Prepare::Start(std::function<void()> fn) {
  impl_->fn = std::move(fn);
  uv_prepare_start(&impl_->prepare, [](uv_prepare_t* p) {
    auto* self = static_cast<Impl*>(p->data);
    if (self->fn) self->fn();
  });
}

struct Idle::Impl {
  uv_idle_t idle;
  std::function<void()> fn;
};

Idle::Idle(Loop& loop) : impl_(new Impl) {
  uv_idle_init(L(loop), &impl_->idle);
  impl_->idle.data = impl_;
}

Idle::~Idle() {
  impl_->fn = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&impl_->idle),
           [](uv_handle_t* h) { delete static_cast<Impl*>(h->data); });
}

void Idle::Start(std::function<void()> fn) {
  impl_->fn = std::move(fn);
  uv_idle_start(&impl_->idle, [](uv_idle_t* i) {
    auto* self = static_cast<Impl*>(i->data);
    if (self->fn) self->fn();
  });
}

void Idle::Stop() { uv_idle_stop(&impl_->idle); }
bool Idle::active() const {
  return uv_is_active(reinterpret_cast<const uv_handle_t*>(&impl_->idle)) != 0;
}

uint64_t HrTimeNs() { return uv_hrtime(); }

struct Signal::Impl {
  uv_signal_t signal;
  std::function<void()> fn;
};

Signal::Signal(Loop& loop) : impl_(new Impl) {
  uv_signal_init(L(loop), &impl_->signal);
  impl_->signal.data = impl_;
}

Signal::~Signal() {
  impl_->fn = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&impl_->signal),
           [](uv_handle_t* h) { delete static_cast<Impl*>(h->data); });
}

void Signal::Start(int signum, std::function<void()> fn) {
  impl_->fn = std::move(fn);
  uv_signal_start(
      &impl_->signal,
      [](uv_signal_t* s, int) {
        auto* self = static_cast<Impl*>(s->data);
        if (self->fn) self->fn();
      },
      signum);
}

// --- Resolve -------------------------------------------------------------------------------------

void Resolve(Loop& loop, const std::string& host,
             std::function<void(std::vector<std::string>, int)> cb) {
  struct Req {
    uv_getaddrinfo_t req;
    std::function<void(std::vector<std::string>, int)> cb;
  };
  auto* req = new Req{{}, std::move(cb)};
  req->req.data = req;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = uv_getaddrinfo(
      L(loop), &req->req,
      [](uv_getaddrinfo_t* r, int status, addrinfo* res) {
        auto* req = static_cast<Req*>(r->data);
        std::vector<std::string> out;
        for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
          char ip[INET6_ADDRSTRLEN] = {0};
          if (ai->ai_family == AF_INET) {
            uv_ip4_name(reinterpret_cast<sockaddr_in*>(ai->ai_addr), ip, sizeof(ip));
          } else if (ai->ai_family == AF_INET6) {
            uv_ip6_name(reinterpret_cast<sockaddr_in6*>(ai->ai_addr), ip, sizeof(ip));
          } else {
            continue;
          }
          if (std::find(out.begin(), out.end(), ip) == out.end()) out.emplace_back(ip);
        }
        if (res != nullptr) uv_freeaddrinfo(res);
        req->cb(std::move(out), status);
        delete req;
      },
      host.c_str(), nullptr, &hints);
  if (rc != 0) {
    auto fn = std::move(req->cb);
    delete req;
    fn({}, rc);
  }
}

}  // namespace groupd::uvw
