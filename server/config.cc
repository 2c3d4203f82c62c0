#include "server/config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace groupd {

namespace {

struct Option {
  OptionInfo info;
  std::function<ConfigError(Config&, std::string_view)> set;
  std::function<std::string(const Config&)> get;
};

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

ConfigError IntOption(int64_t* field, std::string_view v, int64_t lo, int64_t hi, bool memory) {
  auto n = memory ? ParseMemory(v) : ParseInt(v);
  if (!n) {
    return std::string(memory ? "argument must be a memory value"
                              : "argument couldn't be parsed into an integer");
  }
  if (*n < lo || *n > hi) {
    return "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
           " inclusive";
  }
  *field = *n;
  return std::nullopt;
}

template <typename T>
Option Int(std::string_view name, bool runtime, T Config::*field, int64_t lo, int64_t hi,
           bool memory = false) {
  return Option{{name, runtime},
                [=](Config& c, std::string_view v) -> ConfigError {
                  int64_t tmp;
                  auto err = IntOption(&tmp, v, lo, hi, memory);
                  if (!err) c.*field = static_cast<T>(tmp);
                  return err;
                },
                [=](const Config& c) { return std::to_string(c.*field); }};
}

Option Str(std::string_view name, bool runtime, std::string Config::*field) {
  return Option{{name, runtime},
                [=](Config& c, std::string_view v) -> ConfigError {
                  c.*field = std::string(v);
                  return std::nullopt;
                },
                [=](const Config& c) { return c.*field; }};
}

Option Enum(std::string_view name, bool runtime, std::string Config::*field,
            std::vector<std::string_view> allowed) {
  return Option{{name, runtime},
                [=](Config& c, std::string_view v) -> ConfigError {
                  std::string lower(v);
                  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
                  if (std::find(allowed.begin(), allowed.end(), lower) == allowed.end()) {
                    return std::string("argument(s) must be one of the following: ") +
                           [&] {
                             std::string s;
                             for (auto a : allowed) s += (s.empty() ? "" : ", ") + std::string(a);
                             return s;
                           }();
                  }
                  c.*field = lower;
                  return std::nullopt;
                },
                [=](const Config& c) { return c.*field; }};
}

std::string JoinWords(const std::vector<std::string>& words, char sep) {
  std::string s;
  for (const auto& w : words) {
    if (!s.empty()) s.push_back(sep);
    s += w;
  }
  return s;
}

ConfigError SetOutputLimits(Config& c, std::string_view v) {
  auto words = SplitConfigLine(v);
  if (!words || words->empty() || words->size() % 4 != 0) return std::string("Wrong number of arguments in buffer limit configuration.");
  Config tmp = c;
  for (size_t i = 0; i < words->size(); i += 4) {
    std::string cls = (*words)[i];
    std::transform(cls.begin(), cls.end(), cls.begin(), ::tolower);
    auto hard = ParseMemory((*words)[i + 1]);
    auto soft = ParseMemory((*words)[i + 2]);
    auto secs = ParseInt((*words)[i + 3]);
    if (!hard || !soft || !secs || *hard < 0 || *soft < 0 || *secs < 0) {
      return std::string("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
    }
    OutputLimit lim{static_cast<uint64_t>(*hard), static_cast<uint64_t>(*soft), *secs};
    if (cls == "normal") {
      tmp.obuf_normal = lim;
    } else if (cls == "pubsub") {
      tmp.obuf_pubsub = lim;
    } else if (cls == "replica" || cls == "slave") {
      // Kept for redis.conf and CONFIG GET compatibility; groupd has no Redis replicas.
      tmp.obuf_replica = lim;
    } else {
      return std::string("Invalid client class specified in buffer limit configuration.");
    }
  }
  c = tmp;
  return std::nullopt;
}

std::string GetOutputLimits(const Config& c) {
  auto one = [](const char* cls, const OutputLimit& l) {
    return std::string(cls) + " " + std::to_string(l.hard) + " " + std::to_string(l.soft) + " " +
           std::to_string(l.soft_seconds);
  };
  // Redis 7 still names the replica class "slave" here.
  return one("normal", c.obuf_normal) + " " + one("slave", c.obuf_replica) + " " +
         one("pubsub", c.obuf_pubsub);
}

const std::vector<Option>& Options() {
  static const auto* options = new std::vector<Option>{
      Str("bind", false, &Config::bind),
      Int("port", false, &Config::port, 0, 65535),
      Int("peer-port", false, &Config::peer_port, -1, 65535),
      Str("node-name", false, &Config::node_name),
      Int("shards", false, &Config::shards, 1, 4096),
      Enum("loglevel", true, &Config::loglevel, {"info", "verbose", "off"}),
      Str("logfile", false, &Config::logfile),
      Str("requirepass", true, &Config::requirepass),
      Option{{"user", false},
             [](Config& c, std::string_view v) -> ConfigError {
               auto words = SplitConfigLine(v);
               if (!words) return std::string("unbalanced quotes in user rules");
               if (words->empty()) return std::nullopt;  // Nothing to add.
               c.users.emplace_back(v);
               return std::nullopt;
             },
             [](const Config& c) {
               std::string s;
               for (const auto& u : c.users) s += (s.empty() ? "" : "\n") + u;
               return s;
             }},
      Int("maxclients", true, &Config::maxclients, 1, 1000000),
      Int("busy-poll-us", true, &Config::busy_poll_us, 0, 100000),
      Int("push-coalesce-us", true, &Config::push_coalesce_us, 0, 100000),
      Int("proto-max-bulk-len", true, &Config::proto_max_bulk_len, 1024, INT64_MAX / 2, true),
      Int("proto-max-multibulk-len", true, &Config::proto_max_multibulk_len, 16, INT32_MAX),
      Int("proto-inline-max-size", true, &Config::proto_inline_max_size, 1024, 1LL << 30, true),
      Int("client-query-buffer-limit", true, &Config::client_query_buffer_limit, 1024 * 1024,
          INT64_MAX / 2, true),
      Option{{"client-output-buffer-limit", true}, SetOutputLimits, GetOutputLimits},
      Option{{"extract-meta", true},
             [](Config& c, std::string_view v) -> ConfigError {
               std::vector<std::string> fields;
               std::string cur;
               for (char ch : v) {
                 if (ch == ',' || ch == ' ') {
                   if (!cur.empty()) fields.push_back(std::move(cur));
                   cur.clear();
                 } else {
                   cur.push_back(ch);
                 }
               }
               if (!cur.empty()) fields.push_back(std::move(cur));
               c.extract_meta = std::move(fields);
               return std::nullopt;
             },
             [](const Config& c) { return JoinWords(c.extract_meta, ','); }},
      Int("maxmemory", true, &Config::maxmemory, 0, INT64_MAX / 2, true),
      Int("max-key-len", true, &Config::max_key_len, 1, 512LL * 1024 * 1024),
      Int("max-meta-fields", true, &Config::max_meta_fields, 0, 1000000),
      Int("max-meta-bytes", true, &Config::max_meta_bytes, 0, 512LL * 1024 * 1024, true),
      Str("ports-file", false, &Config::ports_file),
      // TLS: read once at start (certificates are not reloaded).
      Int("tls-port", false, &Config::tls_port, -1, 65535),
      Str("tls-cert-file", false, &Config::tls_cert_file),
      Str("tls-key-file", false, &Config::tls_key_file),
      Str("tls-ca-cert-file", false, &Config::tls_ca_cert_file),
      Enum("tls-auth-clients", false, &Config::tls_auth_clients, {"yes", "no", "optional"}),
      Option{{"tls-replication", false},
             [](Config& c, std::string_view v) -> ConfigError {
               std::string lower(v);
               std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
               if (lower != "yes" && lower != "no") {
                 return std::string("argument must be 'yes' or 'no'");
               }
               c.tls_replication = lower == "yes";
               return std::nullopt;
             },
             [](const Config& c) { return std::string(c.tls_replication ? "yes" : "no"); }},
      Str("seeds", false, &Config::seeds),
      Str("peer-announce", false, &Config::peer_announce),
      Str("cluster-secret", false, &Config::cluster_secret),
      Int("peer-timeout", true, &Config::peer_timeout_ms, 100, 3600 * 1000),
      Int("heartbeat-interval", true, &Config::heartbeat_interval_ms, 10, 60 * 1000),
      Int("seed-resolve-interval", true, &Config::seed_resolve_interval_ms, 100, 3600 * 1000),
      Int("replicated-sender-buffer-size", true, &Config::replicated_sender_buffer_size, 1,
          1000000),
      Int("replicated-sender-flush-interval", true,
          &Config::replicated_sender_flush_interval_ms, 0, 60000),
      Int("replicated-pg-receiver-buffer-size", true,
          &Config::replicated_pg_receiver_buffer_size, 1, 1000000),
      Int("replicated-pg-receiver-flush-interval", true,
          &Config::replicated_pg_receiver_flush_interval_ms, 0, 60000),
      Int("replicated-registry-receiver-buffer-size", true,
          &Config::replicated_registry_receiver_buffer_size, 1, 1000000),
      Int("replicated-registry-receiver-flush-interval", true,
          &Config::replicated_registry_receiver_flush_interval_ms, 0, 60000),
      Int("replicated-pg-receiver-local-request-quota", true,
          &Config::replicated_pg_receiver_local_request_quota, 1, 1000000),
      Int("busy-dist-retry-attempts", true, &Config::busy_dist_retry_attempts, 0, 1000000),
      Int("busy-dist-retry-interval", true, &Config::busy_dist_retry_interval_ms, 1,
          3600 * 1000),
      Int("peer-output-buffer-limit", true, &Config::peer_output_buffer_limit, 1024 * 1024,
          INT64_MAX / 2, true),
      Option{{"resolve-registry-conflict", false},
             [](Config& c, std::string_view v) -> ConfigError {
               auto words = SplitConfigLine(v);
               if (!words || words->empty()) return std::string("invalid policy");
               std::string p = (*words)[0];
               std::transform(p.begin(), p.end(), p.begin(), ::tolower);
               bool field_policy = p == "meta-max" || p == "meta-min";
               if (p != "oldest" && p != "newest" && !field_policy) {
                 return std::string("policy must be oldest, newest, meta-max <field> or "
                                    "meta-min <field>");
               }
               if (field_policy != (words->size() == 2) || words->size() > 2) {
                 return std::string("meta-max and meta-min take one field name");
               }
               if (!field_policy) {
                 c.resolve_registry_conflict = p;
                 return std::nullopt;
               }
               // Quoted when needed, so a field with spaces (or an empty one) reads back as one
               // word.
               const std::string& f = (*words)[1];
               if (!f.empty() && f.find_first_of(" \t\"'\\") == std::string::npos) {
                 c.resolve_registry_conflict = p + " " + f;
                 return std::nullopt;
               }
               std::string quoted = "\"";
               for (char ch : (*words)[1]) {
                 if (ch == '"' || ch == '\\') quoted.push_back('\\');
                 quoted.push_back(ch);
               }
               quoted.push_back('"');
               c.resolve_registry_conflict = p + " " + quoted;
               return std::nullopt;
             },
             [](const Config& c) { return c.resolve_registry_conflict; }},
      Enum("conflict-action", true, &Config::conflict_action, {"kill", "unregister"}),
  };
  return *options;
}

const Option* FindOption(std::string_view name) {
  for (const auto& o : Options()) {
    if (o.info.name.size() == name.size() &&
        std::equal(name.begin(), name.end(), o.info.name.begin(),
                   [](char a, char b) { return ::tolower(a) == b; })) {
      return &o;
    }
  }
  return nullptr;
}

}  // namespace

std::optional<int64_t> ParseMemory(std::string_view s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  if (s[0] == '-') i = 1;
  while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) i++;
  auto num = ParseInt(s.substr(0, i));
  if (!num) return std::nullopt;
  std::string unit(s.substr(i));
  std::transform(unit.begin(), unit.end(), unit.begin(), ::tolower);
  int64_t mul;
  if (unit.empty() || unit == "b") {
    mul = 1;
  } else if (unit == "k") {
    mul = 1000;
  } else if (unit == "kb") {
    mul = 1024;
  } else if (unit == "m") {
    mul = 1000 * 1000;
  } else if (unit == "mb") {
    mul = 1024 * 1024;
  } else if (unit == "g") {
    mul = 1000LL * 1000 * 1000;
  } else if (unit == "gb") {
    mul = 1024LL * 1024 * 1024;
  } else {
    return std::nullopt;
  }
  if (*num > INT64_MAX / mul || *num < INT64_MIN / mul) return std::nullopt;
  return *num * mul;
}

std::optional<std::vector<std::string>> SplitConfigLine(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (true) {
    while (i < line.size() && isspace(static_cast<unsigned char>(line[i]))) i++;
    if (i >= line.size()) return words;
    std::string cur;
    char quote = 0;
    if (line[i] == '"' || line[i] == '\'') quote = line[i++];
    bool closed = quote == 0;
    for (; i < line.size(); i++) {
      char ch = line[i];
      if (quote == 0) {
        if (isspace(static_cast<unsigned char>(ch))) break;
        cur.push_back(ch);
      } else if (ch == '\\' && i + 1 < line.size() && quote == '"') {
        char n = line[++i];
        cur.push_back(n == 'n' ? '\n' : n == 't' ? '\t' : n == 'r' ? '\r' : n);
      } else if (ch == quote) {
        closed = true;
        i++;
        if (i < line.size() && !isspace(static_cast<unsigned char>(line[i]))) return std::nullopt;
        break;
      } else {
        cur.push_back(ch);
      }
    }
    if (!closed) return std::nullopt;
    words.push_back(std::move(cur));
  }
}

ConfigError SetOption(Config& config, std::string_view name, std::string_view value,
                      bool at_runtime) {
  const Option* o = FindOption(name);
  if (o == nullptr) return "Unknown option '" + std::string(name) + "'";
  if (at_runtime && !o->info.runtime) return std::string("can't set immutable config");
  return o->set(config, value);
}

std::optional<std::string> GetOption(const Config& config, std::string_view name) {
  const Option* o = FindOption(name);
  if (o == nullptr) return std::nullopt;
  return o->get(config);
}

const std::vector<OptionInfo>& AllOptions() {
  static const auto* infos = [] {
    auto* v = new std::vector<OptionInfo>;
    for (const auto& o : Options()) v->push_back(o.info);
    return v;
  }();
  return *infos;
}

ConfigError LoadConfigFile(Config& config, const std::string& path) {
  std::ifstream in(path);
  if (!in) return "cannot open config file '" + path + "'";
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    lineno++;
    if (auto f = line.find_first_not_of(" \t\r"); f == line.npos || line[f] == '#') continue;
    auto words = SplitConfigLine(line);
    auto where = [&] { return path + ":" + std::to_string(lineno) + ": "; };
    if (!words) return where() + "unbalanced quotes";
    if (words->empty() || (*words)[0][0] == '#') continue;
    std::string value;
    for (size_t i = 1; i < words->size(); i++) {
      if (i > 1) value.push_back(' ');
      value += (*words)[i];
    }
    if (auto err = SetOption(config, (*words)[0], value, false)) return where() + *err;
  }
  return std::nullopt;
}

ConfigError ParseCommandLine(Config& config, int argc, char** argv) {
  int i = 1;
  if (i < argc && argv[i][0] != '-') {
    if (auto err = LoadConfigFile(config, argv[i])) return err;
    i++;
  }
  while (i < argc) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") return "unexpected argument '" + std::string(arg) + "'";
    std::string_view name = arg.substr(2);
    // An option takes every following word up to the next "--option" (as redis-server does).
    std::string value;
    int j = i + 1;
    for (; j < argc && std::string_view(argv[j]).substr(0, 2) != "--"; j++) {
      if (!value.empty()) value.push_back(' ');
      value += argv[j];
    }
    if (auto err = SetOption(config, name, value, false)) {
      return "option '--" + std::string(name) + "': " + *err;
    }
    i = j;
  }
  return std::nullopt;
}

}  // namespace groupd
