#include "server/uv_loop.h"

#include <uv.h>

#include <algorithm>
#include <cstring>

namespace groupd::uvw {

std::string ErrorName(int status) { return uv_strerror(status); }

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

struct TcpStream::Impl {
  uv_tcp_t tcp;
  bool owner_alive = true;  // False once the TcpStream object is gone.
  DataFn on_data;
  EndFn on_end;
  uv_write_t write_req;
  bool writing = false;
  std::string inflight;  // Bytes handed to uv_write.
  std::string queued;    // Bytes waiting for the in-flight write.
  std::vector<std::function<void()>> drained;
  char read_buf[64 * 1024];

  void Fail(int status) {
    if (owner_alive && on_end) {
      // Copy: the callback may destroy the stream (and with it this function object).
      EndFn fn = on_end;
      fn(status);
    }
  }

  void StartWrite() {
    writing = true;
    uv_buf_t buf = uv_buf_init(inflight.data(), static_cast<unsigned>(inflight.size()));
    write_req.data = this;
    int rc = uv_write(&write_req, reinterpret_cast<uv_stream_t*>(&tcp), &buf, 1, OnWrite);
    if (rc != 0) {
      writing = false;
      Fail(rc);
    }
  }

  void RunDrained() {
    auto fns = std::move(drained);
    drained.clear();
    for (auto& fn : fns) {
      if (!owner_alive) return;
      fn();
    }
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
  impl_->owner_alive = false;
  impl_->on_data = nullptr;
  impl_->on_end = nullptr;
  impl_->drained.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&impl_->tcp),
           [](uv_handle_t* h) { delete static_cast<Impl*>(h->data); });
}

void TcpStream::Connect(Loop& loop, const std::string& host, int port,
                        std::function<void(std::unique_ptr<TcpStream>, int)> cb) {
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
  auto* req = new Req{{}, impl, std::move(cb)};
  req->req.data = req;
  rc = uv_tcp_connect(&req->req, &impl->tcp, reinterpret_cast<sockaddr*>(&ss),
                      [](uv_connect_t* r, int status) {
                        auto* req = static_cast<Req*>(r->data);
                        std::unique_ptr<TcpStream> stream(new TcpStream(req->impl));
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
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&impl_->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<Impl*>(h->data);
        *buf = uv_buf_init(self->read_buf, sizeof(self->read_buf));
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<Impl*>(s->data);
        if (nread > 0) {
          if (self->owner_alive && self->on_data) {
            // Copy: the callback may destroy the stream, and with it this function object.
            DataFn fn = self->on_data;
            fn(std::string_view(buf->base, static_cast<size_t>(nread)));
          }
        } else if (nread < 0) {
          uv_read_stop(s);
          self->Fail(nread == UV_EOF ? 0 : static_cast<int>(nread));
        }
      });
}

void TcpStream::StopRead() { uv_read_stop(reinterpret_cast<uv_stream_t*>(&impl_->tcp)); }

void TcpStream::Write(std::string_view data) {
  if (data.empty()) return;
  if (impl_->writing) {
    impl_->queued.append(data);
    return;
  }
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data.data()), static_cast<unsigned>(data.size()));
  int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&impl_->tcp), &buf, 1);
  if (n == UV_EAGAIN) n = 0;
  if (n < 0) {
    impl_->Fail(n);
    return;
  }
  if (static_cast<size_t>(n) == data.size()) return;
  impl_->inflight.assign(data.substr(static_cast<size_t>(n)));
  impl_->StartWrite();
}

size_t TcpStream::pending_bytes() const { return impl_->inflight.size() + impl_->queued.size(); }

void TcpStream::OnDrained(std::function<void()> fn) {
  if (!impl_->writing) {
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

// --- TcpListener ---------------------------------------------------------------------------------

struct TcpListener::Impl {
  uv_tcp_t tcp;
  AcceptFn on_accept;
};

TcpListener::~TcpListener() {
  impl_->on_accept = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&impl_->tcp),
           [](uv_handle_t* h) { delete static_cast<Impl*>(h->data); });
}

std::unique_ptr<TcpListener> TcpListener::Listen(Loop& loop, const std::string& host, int port,
                                                 AcceptFn on_accept, int* status) {
  sockaddr_storage ss;
  *status = MakeAddr(host, port, &ss);
  if (*status != 0) return nullptr;
  auto* impl = new Impl;
  uv_tcp_init(L(loop), &impl->tcp);
  impl->tcp.data = impl;
  impl->on_accept = std::move(on_accept);
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
