#include "replication/replication.h"

#include "server/log.h"

namespace groupd::replication {

Replication::Replication(Server& server, uvw::Loop& loop) : server_(server), loop_(loop) {}

Replication::~Replication() = default;

bool Replication::Start() {
  const Config& cfg = server_.config();
  int status = 0;
  listener_ = uvw::TcpListener::Listen(
      loop_, cfg.bind, cfg.EffectivePeerPort(), [](std::unique_ptr<uvw::TcpStream>) {}, &status);
  if (!listener_) {
    GD_LOG_WARN("cannot listen on peer port {}:{}: {}", cfg.bind, cfg.EffectivePeerPort(),
                uvw::ErrorName(status));
    return false;
  }
  return true;
}

int Replication::peer_port() const { return listener_ ? listener_->port() : 0; }

void Replication::Shutdown() { listener_.reset(); }

}  // namespace groupd::replication
