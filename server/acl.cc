#include "server/acl.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>

#include "server/arg_parser.h"
#include "server/glob.h"

namespace groupd {

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; i++) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

std::vector<std::string_view> AclCategories(const CommandSpec& spec, bool container) {
  if (container) return {"@slow"};
  std::vector<std::string_view> cats;
  if (spec.flags & kCmdReadonly) cats.push_back("@read");
  if (spec.flags & kCmdWrite) cats.push_back("@write");
  if ((spec.flags & kCmdPubSub) || spec.group == "pubsub") cats.push_back("@pubsub");
  if (spec.flags & kCmdAdmin) cats.push_back("@admin");
  cats.push_back((spec.flags & kCmdFast) ? "@fast" : "@slow");
  if (spec.flags & kCmdAdmin) cats.push_back("@dangerous");
  if (spec.group == "connection") cats.push_back("@connection");
  if (spec.group == "groupd") cats.push_back("@groupd");
  if (spec.group == "transactions") cats.push_back("@transaction");
  return cats;
}

namespace {

const std::vector<std::string_view> kCategories = {
    "@all",  "@read",      "@write",      "@pubsub", "@admin",
    "@fast", "@slow",      "@dangerous",  "@connection", "@groupd", "@transaction",
};

bool InCategory(const CommandSpec& spec, bool container, std::string_view cat) {
  if (cat == "@all") return true;
  auto cats = AclCategories(spec, container);
  return std::find(cats.begin(), cats.end(), cat) != cats.end();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

}  // namespace

Acl::Acl(const CommandTable* table) : table_(table) {
  std::vector<std::string_view> rules = {"on", "nopass", "allkeys", "allchannels", "allclusters",
                                         "allcommands"};
  SetUser("default", rules);
}

std::shared_ptr<const AclUser> Acl::Find(std::string_view name) const {
  for (const auto& u : users_) {
    if (u->name == name) return u;
  }
  return nullptr;
}

void Acl::SetCommands(AclUser& u, std::string_view what, bool allow) const {
  auto set = [&](const std::string& name) {
    if (allow) {
      u.commands.insert(name);
    } else {
      u.commands.erase(name);
    }
  };
  if (!what.empty() && what[0] == '@') {
    for (const auto& spec : table_->all()) {
      bool container = !spec.subcommands.empty();
      if (container) {
        // A container is allowed whole when the category covers every subcommand.
        bool all = true;
        for (const auto& sub : spec.subcommands) {
          if (InCategory(sub, false, what)) {
            set(spec.name + "|" + sub.name);
          } else {
            all = false;
          }
        }
        if (what == "@all" || (all && allow)) set(spec.name);
        if (!allow && !all) u.commands.erase(spec.name);
      } else if (InCategory(spec, false, what)) {
        set(spec.name);
      }
    }
    return;
  }
  std::string name = Lower(what);
  set(name);
  if (name.find('|') == std::string::npos) {
    // A whole container: its subcommands follow it.
    if (const CommandSpec* spec = table_->Find(name)) {
      for (const auto& sub : spec->subcommands) set(name + "|" + sub.name);
    }
  }
}

std::optional<std::string> Acl::ApplyRule(AclUser& u, std::string_view rule) const {
  std::string lower = Lower(rule);
  auto bad = [&](std::string_view why) {
    return fmt::format("Error in ACL SETUSER modifier '{}': {}", rule, why);
  };
  if (lower == "on") {
    u.enabled = true;
  } else if (lower == "off") {
    u.enabled = false;
  } else if (lower == "nopass") {
    u.nopass = true;
    u.password_hashes.clear();
  } else if (lower == "resetpass") {
    u.nopass = false;
    u.password_hashes.clear();
  } else if (lower == "allkeys" || rule == "~*") {
    u.all_keys = true;
    u.key_patterns.clear();
  } else if (lower == "resetkeys") {
    u.all_keys = false;
    u.key_patterns.clear();
  } else if (lower == "allchannels" || rule == "&*") {
    u.all_channels = true;
    u.channel_patterns.clear();
  } else if (lower == "resetchannels") {
    u.all_channels = false;
    u.channel_patterns.clear();
  } else if (lower == "allclusters" || rule == "%*") {
    u.all_clusters = true;
    u.cluster_patterns.clear();
  } else if (lower == "resetclusters") {
    u.all_clusters = false;
    u.cluster_patterns.clear();
  } else if (lower == "allcommands") {
    SetCommands(u, "@all", true);
  } else if (lower == "nocommands") {
    u.commands.clear();
  } else if (lower == "reset") {
    for (auto r : {"resetpass", "resetkeys", "resetchannels", "resetclusters", "nocommands",
                   "off"}) {
      ApplyRule(u, r);
    }
  } else if (rule[0] == '>') {
    std::string h = Sha256Hex(rule.substr(1));
    if (std::find(u.password_hashes.begin(), u.password_hashes.end(), h) ==
        u.password_hashes.end()) {
      u.password_hashes.push_back(h);
    }
    u.nopass = false;
  } else if (rule[0] == '<') {
    std::erase(u.password_hashes, Sha256Hex(rule.substr(1)));
  } else if (rule[0] == '#') {
    std::string h = Lower(rule.substr(1));
    if (h.size() != 64 || h.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return bad("The password hash must be exactly 64 characters and contain only lowercase "
                 "hexadecimal characters");
    }
    u.password_hashes.push_back(h);
    u.nopass = false;
  } else if (rule[0] == '!') {
    std::erase(u.password_hashes, Lower(rule.substr(1)));
  } else if (rule[0] == '~') {
    if (u.all_keys) return bad("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
    u.key_patterns.emplace_back(rule.substr(1));
  } else if (rule[0] == '&') {
    if (u.all_channels) return bad("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels");
    u.channel_patterns.emplace_back(rule.substr(1));
  } else if (rule[0] == '%') {
    if (rule.size() == 1) return bad("Syntax error");
    if (u.all_clusters) return bad("Adding a pattern after the 'allclusters' flag is not valid");
    u.cluster_patterns.emplace_back(rule.substr(1));
  } else if (rule[0] == '+' || rule[0] == '-') {
    std::string_view what = rule.substr(1);
    bool allow = rule[0] == '+';
    if (what.empty()) return bad("Syntax error");
    if (what[0] == '@') {
      std::string cat = Lower(what);
      if (std::find(kCategories.begin(), kCategories.end(), cat) == kCategories.end()) {
        return bad("Unknown command or category name in ACL");
      }
      SetCommands(u, cat, allow);
    } else {
      std::string name = Lower(what);
      size_t bar = name.find('|');
      const CommandSpec* spec = table_->Find(name.substr(0, bar));
      if (spec == nullptr ||
          (bar != std::string::npos && FindSubcommand(*spec, name.substr(bar + 1)) == nullptr)) {
        return bad("Unknown command or category name in ACL");
      }
      SetCommands(u, name, allow);
    }
  } else {
    return bad("Syntax error");
  }
  return std::nullopt;
}

std::optional<std::string> Acl::SetUser(std::string_view name,
                                        std::span<const std::string_view> rules) {
  auto existing = Find(name);
  AclUser u = existing ? *existing : AclUser{};
  u.name = std::string(name);
  for (auto r : rules) {
    if (r.empty()) continue;
    if (auto err = ApplyRule(u, r)) return err;
    // Keep the rule for ACL LIST, passwords only as hashes.
    if (r[0] == '>') {
      u.rules.push_back("#" + Sha256Hex(r.substr(1)));
    } else if (r[0] != '<') {
      u.rules.emplace_back(r);
    }
  }
  size_t total = 0;
  for (const auto& spec : table_->all()) total += 1 + spec.subcommands.size();
  u.all_commands = u.commands.size() == total;
  auto built = std::make_shared<const AclUser>(std::move(u));
  for (auto& slot : users_) {
    if (slot->name == name) {
      slot = built;
      return std::nullopt;
    }
  }
  users_.push_back(built);
  return std::nullopt;
}

bool Acl::DelUser(std::string_view name) {
  auto before = users_.size();
  std::erase_if(users_, [&](const auto& u) { return u->name == name; });
  return users_.size() != before;
}

std::shared_ptr<const AclUser> Acl::Authenticate(std::string_view name,
                                                 std::string_view password) const {
  auto u = Find(name);
  if (!u || !u->enabled) return nullptr;
  if (u->nopass) return u;
  std::string h = Sha256Hex(password);
  for (const auto& p : u->password_hashes) {
    if (p == h) return u;
  }
  return nullptr;
}

std::string Acl::Describe(const AclUser& u) const {
  std::string s = "user " + u.name + (u.enabled ? " on" : " off");
  if (u.nopass) s += " nopass";
  for (const auto& h : u.password_hashes) s += " #" + h;
  if (u.all_keys) {
    s += " ~*";
  } else {
    for (const auto& p : u.key_patterns) s += " ~" + p;
  }
  if (u.all_channels) {
    s += " &*";
  } else {
    s += " resetchannels";
    for (const auto& p : u.channel_patterns) s += " &" + p;
  }
  if (u.all_clusters) {
    s += " %*";
  } else {
    for (const auto& p : u.cluster_patterns) s += " %" + p;
  }
  // Commands as the rules that built them, minus the ones already shown above.
  bool any_command_rule = false;
  for (const auto& r : u.rules) {
    if (!r.empty() && (r[0] == '+' || r[0] == '-' || EqualsIgnoreCase(r, "allcommands") ||
                       EqualsIgnoreCase(r, "nocommands"))) {
      s += " " + r;
      any_command_rule = true;
    }
  }
  if (!any_command_rule) s += " -@all";
  return s;
}

bool Acl::CommandAllowed(const AclUser& u, const CommandSpec& container, const CommandSpec* sub) {
  if (u.all_commands || u.commands.count(container.name)) return true;
  return sub != nullptr && u.commands.count(container.name + "|" + sub->name) > 0;
}

bool Acl::KeyAllowed(const AclUser& u, std::string_view key) {
  if (u.all_keys) return true;
  for (const auto& p : u.key_patterns) {
    if (GlobMatch(p, key)) return true;
  }
  return false;
}

std::optional<std::string_view> Acl::ReservedChannelCluster(std::string_view channel) {
  for (std::string_view prefix : {"__gevent__", "__gdispatch__"}) {
    if (channel.substr(0, prefix.size()) != prefix) continue;
    std::string_view rest = channel.substr(prefix.size());
    if (!rest.empty() && rest[0] == ':') return std::string_view();
    if (!rest.empty() && rest[0] == '@') {
      size_t colon = rest.find(':');
      return rest.substr(1, colon == std::string_view::npos ? std::string_view::npos : colon - 1);
    }
  }
  return std::nullopt;
}

bool Acl::ClusterAllowed(const AclUser& u, std::string_view cluster) {
  if (u.all_clusters) return true;
  std::string_view name = cluster.empty() ? std::string_view("default") : cluster;
  for (const auto& p : u.cluster_patterns) {
    if (GlobMatch(p, name)) return true;
  }
  return false;
}

bool Acl::ChannelAllowed(const AclUser& u, std::string_view channel) {
  // groupd's own channels (events, dispatch) follow the permission on their cluster.
  if (auto cl = ReservedChannelCluster(channel)) return ClusterAllowed(u, *cl);
  if (u.all_channels) return true;
  for (const auto& p : u.channel_patterns) {
    if (GlobMatch(p, channel)) return true;
  }
  return false;
}

bool Acl::PatternAllowed(const AclUser& u, std::string_view pattern) {
  // The literal text before the first glob character bounds what the pattern can match.
  std::string_view literal = pattern.substr(0, pattern.find_first_of("*?[\\"));
  if (auto cl = ReservedChannelCluster(literal);
      cl && literal.find(':') != std::string_view::npos) {
    // Confined to one cluster's event or dispatch channels: the cluster permission decides.
    return ClusterAllowed(u, *cl);
  }
  if (!u.all_clusters) {
    // Anything that could match a reserved channel could leak another cluster's events.
    std::string_view reserved = "__g";
    bool could_be_reserved = literal.size() < reserved.size()
                                 ? reserved.substr(0, literal.size()) == literal
                                 : literal.substr(0, reserved.size()) == reserved;
    if (could_be_reserved) return false;
  }
  if (u.all_channels) return true;
  // As Redis: a pattern subscription needs a channel permission that is the same pattern.
  for (const auto& p : u.channel_patterns) {
    if (p == pattern) return true;
  }
  return false;
}

}  // namespace groupd
