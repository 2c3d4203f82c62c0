#include "server/network.h"

#include <sched.h>

#include <utility>

#include "protocol/resp_parser.h"
#include "server/log.h"

namespace groupd {

// One client connection: socket, input buffer, parser and the Client the core sees.
class Connection : public ClientTransport {
 public:
  Connection(Network& net, Server& server, std::unique_ptr<uvw::TcpStream> stream)
      : net_(net), server_(server), stream_(std::move(stream)), client_(server.NextClientId()) {
    client_.transport = this;
    client_.addr = stream_->peer_address();
    client_.laddr = stream_->local_address();
    client_.fd = stream_->fd();
  }

  // Returns false when the client was refused (maxclients); it is then closed after the error.
  bool Start() {
    stream_->SetNoDelay(true);
    bool ok = server_.AttachClient(&client_);
    attached_ = ok;
    stream_->StartRead([this](std::string_view data) { OnData(data); },
                       [this](int status) { OnEnd(status); });
    server_.MarkPending(client_);
    return ok;
  }

  void Flush(Client& c) override {
    if (closing_) return;
    if (c.close_asap) {
      Close();
      return;
    }
    if (!c.out.empty()) {
      // Limits apply to what is queued before the socket takes any of it, as in Redis, which
      // checks them whenever it appends a reply: a client over its hard limit gets none of it.
      server_.CheckOutputLimits(c);
      if (c.close_asap) {
        Close();
        return;
      }
      server_.stats().net_output_bytes += c.out.size();
      stream_->Write(c.out);
      // Keep the capacity: the next replies reuse it.
      c.out.clear();
      if (c.out.capacity() > kMaxIdleBuffer) c.out.shrink_to_fit();
    }
    c.inflight_bytes = stream_->pending_bytes();
    // Also when nothing is left in flight but a soft limit's timer runs: it must be reset.
    if (c.inflight_bytes > 0 || c.obuf_soft_since_ms != 0) server_.CheckOutputLimits(c);
    if (c.close_asap) {
      Close();
    } else if (c.close_after_reply) {
      stream_->StopRead();
      stream_->OnDrained([this] { Close(); });
    }
  }

  void Close() {
    if (closing_) return;
    closing_ = true;
    if (attached_) server_.DetachClient(&client_);
    net_.Remove(this);  // Frees this.
  }

  Client& client() { return client_; }

 private:
  static constexpr size_t kMaxIdleBuffer = 1024 * 1024;

  void OnData(std::string_view data) {
    server_.stats().net_input_bytes += data.size();
    if (client_.close_after_reply || client_.close_asap) return;
    // Once per read, not per command (as Redis): a clock read per pipelined command showed in
    // profiles.
    client_.last_interaction_ms = Server::NowMs();
    client_.input_turn = net_.turn();
    net_.NoteActivity();
    // Parse straight from the read buffer when nothing is left over from before; only an
    // incomplete tail is copied into in_.
    std::string_view buf = data;
    if (!in_.empty()) {
      in_.append(data);
      buf = in_;
    }
    size_t consumed = 0;
    // When set, parsers_[cur_ ^ 1] holds the command at buf[consumed], parsed and looked up.
    const CommandSpec* next_spec = nullptr;
    while (!client_.close_after_reply && !client_.close_asap) {
      protocol::ParseResult r = protocol::ParseResult::kCommand;
      const CommandSpec* spec = std::exchange(next_spec, nullptr);
      if (spec != nullptr) cur_ ^= 1;
      protocol::RequestParser& parser = parsers_[cur_];
      if (spec == nullptr) {
        r = parser.Parse(buf.substr(consumed), server_.LimitsFor(client_));
        if (r == protocol::ParseResult::kCommand) spec = server_.commands().Find(parser.args()[0]);
      }
      if (r == protocol::ParseResult::kIncomplete) break;
      if (r == protocol::ParseResult::kError) {
        server_.stats().protocol_errors++;
        GD_LOG_VERBOSE("protocol error from client id={} addr={}: {}", client_.id, client_.addr,
                       parser.error());
        client_.writer.Error(std::string("ERR ") + std::string(parser.error()));
        client_.close_after_reply = true;
        consumed = buf.size();
        break;
      }
      size_t n = parser.consumed();
      if (r == protocol::ParseResult::kCommand) {
        // Parse the next command of a pipelined batch before running this one, so that its
        // key's table slot loads meanwhile (a cache miss that was a third of a GJOIN's time in
        // a 1M-group table). Only past a command on one key: others (AUTH, HELLO, RESET,
        // CONFIG SET) may change the limits the next command is parsed with. Anything but a
        // whole command is left to parse again in turn.
        if (spec != nullptr && spec->key_table != KeyTable::kNone) {
          protocol::RequestParser& next = parsers_[cur_ ^ 1];
          if (next.Parse(buf.substr(consumed + n), server_.LimitsFor(client_)) ==
              protocol::ParseResult::kCommand) {
            next_spec = server_.LookAhead(next.args());
          }
          if (next_spec == nullptr) next.Reset();  // Parsed again in turn.
        }
        server_.Execute(client_, parser.args(), spec);
      }
      consumed += n;
    }
    if (buf.data() == in_.data()) {
      in_.erase(0, consumed);
    } else {
      in_.assign(buf.substr(consumed));
    }
    client_.query_buffer_bytes = in_.size();
    if (static_cast<int64_t>(in_.size()) > server_.config().client_query_buffer_limit) {
      server_.stats().query_buffer_disconnects++;
      GD_LOG_INFO("closing client id={} addr={} that reached max query buffer length ({} bytes)",
                  client_.id, client_.addr, in_.size());
      in_.clear();
      client_.close_asap = true;
    }
    if (in_.capacity() > kMaxIdleBuffer && in_.size() < kMaxIdleBuffer / 4) in_.shrink_to_fit();
    server_.MarkPending(client_);
  }

  void OnEnd(int status) {
    if (status == uvw::kTlsFailed) {
      // Verbose, as Redis does: anything that reaches the port (scanners, plain clients) could
      // otherwise fill the log.
      GD_LOG_VERBOSE("client id={} addr={} TLS error: {}", client_.id, client_.addr,
                     stream_->tls_error());
    } else if (status != 0) {
      GD_LOG_VERBOSE("client id={} read error: {}", client_.id, uvw::ErrorName(status));
    }
    Close();
  }

  Network& net_;
  Server& server_;
  std::unique_ptr<uvw::TcpStream> stream_;
  Client client_;
  // parsers_[cur_] parses the input; the other takes the next command of a pipelined batch
  // ahead of its turn (see OnData).
  protocol::RequestParser parsers_[2];
  int cur_ = 0;
  std::string in_;
  bool attached_ = false;
  bool closing_ = false;
};

Network::Network(Server& server, uvw::Loop& loop)
    : server_(server), loop_(loop), prepare_(loop), cron_(loop), spin_(loop), rehash_(loop) {}

Network::~Network() = default;

bool Network::Start() {
  const Config& cfg = server_.config();
  int status = 0;
  listener_ = uvw::TcpListener::Listen(
      loop_, cfg.bind, cfg.port,
      [this](std::unique_ptr<uvw::TcpStream> s) { Accept(std::move(s)); }, &status);
  if (!listener_) {
    GD_LOG_WARN("cannot listen on {}:{}: {}", cfg.bind, cfg.port, uvw::ErrorName(status));
    return false;
  }
  if (cfg.tls_port != 0) {
    std::string error;
    tls_ = MakeTlsContext(cfg, false, &error);
    if (!tls_) {
      GD_LOG_WARN("cannot set up TLS for the client port: {}", error);
      return false;
    }
    int port = cfg.tls_port < 0 ? 0 : cfg.tls_port;
    tls_listener_ = uvw::TcpListener::Listen(
        loop_, cfg.bind, port, [this](std::unique_ptr<uvw::TcpStream> s) { Accept(std::move(s)); },
        &status, tls_.get());
    if (!tls_listener_) {
      GD_LOG_WARN("cannot listen on TLS port {}:{}: {}", cfg.bind, port, uvw::ErrorName(status));
      return false;
    }
  }
  prepare_.Start([this] { FlushPending(); });
  cron_.Start(100, 100, [this] {
    server_.Cron(Server::NowMs());
    if (server_.rehash_pending()) StepRehash();
  });
  return true;
}

int Network::port() const { return listener_ ? listener_->port() : 0; }

int Network::tls_port() const { return tls_listener_ ? tls_listener_->port() : 0; }

void Network::Accept(std::unique_ptr<uvw::TcpStream> stream) {
  auto conn = std::make_unique<Connection>(*this, server_, std::move(stream));
  Connection* raw = conn.get();
  connections_.emplace(raw, std::move(conn));
  raw->Start();
}

void Network::Remove(Connection* conn) { connections_.erase(conn); }

void Network::NoteActivity() {
  input_turn_ = turn_;
  last_activity_ns_ = uvw::HrTimeNs();
  if (server_.config().busy_poll_us > 0) Spin();
}

void Network::Spin() {
  if (spin_.active()) return;
  spin_.Start([this] {
    // Polls without sleeping while requests came within busy-poll-us, or pushes are held.
    uint64_t spin_ns = static_cast<uint64_t>(server_.config().busy_poll_us) * 1000;
    if (pushes_since_ns_ == 0 && uvw::HrTimeNs() - last_activity_ns_ > spin_ns) {
      spin_.Stop();
      return;
    }
    // Idle handles run before the turn's prepare (FlushPending, which advances turn_), so
    // input_turn_ == turn_ here means the last poll read requests. A poll that read nothing
    // yields the core: a process sharing it (a client on the same core) runs now instead of
    // after the spin, which held a co-located client's read of an event ~50 us. With nothing
    // else runnable, sched_yield returns at once.
    if (input_turn_ != turn_) sched_yield();
  });
}

void Network::StepRehash() {
  if (rehash_.active()) return;
  rehash_.Start([this] {
    if (server_.RehashTables(kRehashStepUs)) return;
    rehash_.Stop();
  });
}

void Network::FlushPending() {
  uint64_t turn = turn_++;
  // Hold push-only output back while clients keep sending (input this turn or within
  // kQuietNs), until it has waited push-coalesce-us or grown past kPushFlushBytes. A client
  // that sent bytes this turn gets everything now: its replies never wait. Once input pauses,
  // the next turn flushes, so a lone event waits at most kQuietNs.
  bool hold = false;
  if (uint64_t coalesce_ns = static_cast<uint64_t>(server_.config().push_coalesce_us) * 1000) {
    uint64_t now = uvw::HrTimeNs();
    bool busy = input_turn_ == turn || now - last_activity_ns_ < kQuietNs;
    hold = busy && (pushes_since_ns_ == 0 || now - pushes_since_ns_ < coalesce_ns);
  }
  held_.clear();
  // Flushing may close clients whose entries' events make other clients pending: repeat until
  // nothing is left, so no output waits for the next I/O event.
  for (int round = 0; round < 100; round++) {
    auto pending = server_.TakePending();
    if (pending.empty()) break;
    for (Client* c : pending) {
      if (c->transport == nullptr) continue;
      if (hold && c->input_turn != turn && !c->close_asap && !c->close_after_reply &&
          c->out.size() < kPushFlushBytes) {
        held_.push_back(c);
        continue;
      }
      c->transport->Flush(*c);
    }
  }
  // Held clients go back on the pending list (which forgets clients that close meanwhile),
  // and the loop keeps polling without sleeping so the next quiet turn flushes them.
  for (Client* c : held_) server_.MarkPending(*c);
  if (held_.empty()) {
    pushes_since_ns_ = 0;
  } else {
    if (pushes_since_ns_ == 0) pushes_since_ns_ = uvw::HrTimeNs();
    Spin();
  }
}

void Network::CloseAll(Reason reason) {
  listener_.reset();
  tls_listener_.reset();
  std::vector<Connection*> all;
  for (auto& [raw, conn] : connections_) all.push_back(raw);
  for (Connection* c : all) {
    c->client().close_reason = reason;
    c->Close();
  }
}

}  // namespace groupd
