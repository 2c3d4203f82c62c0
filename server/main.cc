// groupd: a cluster-wide registry and process groups behind the Redis protocol.
#include <signal.h>

#include <cstdio>
#include <fstream>

#include "replication/replication.h"
#include "server/config.h"
#include "server/log.h"
#include "server/network.h"
#include "server/server.h"
#include "server/uv_loop.h"

#ifdef GROUPD_JEMALLOC
// jemalloc reads this before main() runs (MALLOC_CONF in the environment overrides it): the heap
// is backed by transparent huge pages, madvised, so the kernel's usual "madvise" setting is
// enough. A node whose tables keep growing then takes a page fault per 2 MB instead of per
// 4 KB, and misses the TLB less: one node ingesting 1M GJOINs of new groups spent a fifth of
// its time in the kernel without it, 2% with it. Redis turns THP off because a forked child
// copies whole huge pages on write; groupd never forks. MALLOC_CONF=thp:default turns it off.
extern "C" {
const char* malloc_conf = "thp:always";
}
#endif

int main(int argc, char** argv) {
  using namespace groupd;
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);  // As redis-server: a closed terminal does not stop the node.

  Config config;
  if (auto err = ParseCommandLine(config, argc, argv)) {
    fprintf(stderr, "groupd: %s\n", err->c_str());
    return 1;
  }
  if (!InitLogging(config.logfile, config.loglevel)) {
    fprintf(stderr, "groupd: cannot open log file '%s'\n", config.logfile.c_str());
    return 1;
  }

  uvw::Loop loop;
  Server server(config);
  Network network(server, loop);
  replication::Replication replication(server, loop);
  if (!network.Start()) return 1;
  server.SetListeningPort(network.port());
  // As for the client port: report the port the TLS listener got (it may have been picked).
  if (network.tls_port() != 0) server.config().tls_port = network.tls_port();
  if (!replication.Start()) return 1;

  GD_LOG_INFO("groupd {} node '{}' incarnation {} ready on {}:{} (peer port {})", GROUPD_VERSION,
              server.node_name(), server.incarnation(), config.bind, network.port(),
              replication.peer_port());
  if (network.tls_port() != 0) {
    GD_LOG_INFO("TLS client port {}:{} (client certificates: {})", config.bind, network.tls_port(),
                config.tls_auth_clients);
  }
  if (!config.ports_file.empty()) {
    // Written whole to a temporary name first, so a reader never sees half a line.
    std::string tmp = config.ports_file + ".tmp";
    {
      std::ofstream out(tmp);
      // The TLS port comes third, and only when there is one, so readers of the first two
      // fields keep working.
      out << network.port() << " " << replication.peer_port();
      if (network.tls_port() != 0) out << " " << network.tls_port();
      out << "\n";
    }
    std::rename(tmp.c_str(), config.ports_file.c_str());
  }

  bool stopping = false;
  auto shutdown = [&] {
    if (stopping) return;
    stopping = true;
    GD_LOG_INFO("shutting down");
    replication.Shutdown();
    network.CloseAll(Reason::kShutdown);
    loop.Stop();
  };
  // SHUTDOWN runs inside a client's command: finish that turn first, then close everything.
  uvw::Timer shutdown_timer(loop);
  server.on_shutdown = [&] { shutdown_timer.Start(0, 0, shutdown); };
  server.on_loglevel_change = [] {};
  uvw::Signal sigterm(loop), sigint(loop);
  sigterm.Start(SIGTERM, shutdown);
  sigint.Start(SIGINT, shutdown);

  loop.Run();
  GD_LOG_INFO("bye");
  return 0;
}
