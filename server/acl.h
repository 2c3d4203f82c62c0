#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "server/command_table.h"

namespace groupd {

// One ACL user, as Redis defines them, extended with the named clusters the user may touch so
// that tenants sharing a groupd cluster cannot see or change each other's entries, events or
// dispatches. Immutable once built: redefining a user builds a new one, and connections keep a
// shared_ptr to the version they authenticated as.
struct AclUser {
  std::string name;
  bool enabled = false;
  bool nopass = false;
  std::vector<std::string> password_hashes;  // SHA-256, lower-case hex.
  bool all_keys = false;
  std::vector<std::string> key_patterns;  // Glob patterns (~pattern).
  bool all_channels = false;
  std::vector<std::string> channel_patterns;  // Glob patterns (&pattern).
  bool all_clusters = false;
  // Glob patterns over cluster names (%pattern); the default cluster is named "default" here.
  std::vector<std::string> cluster_patterns;
  // Lower-case command names ("greg") and subcommand names ("client|kill") allowed.
  std::unordered_set<std::string> commands;
  bool all_commands = false;  // Every command allowed: the dispatcher's fast path.
  std::vector<std::string> rules;  // Normalized rule text for ACL LIST (passwords as #hash).
};

// The ACL categories of a command, derived from its flags and group, in Redis's order.
std::vector<std::string_view> AclCategories(const CommandSpec& spec, bool container);

// The user table. Loop thread only.
class Acl {
 public:
  // Starts with the "default" user: on, nopass, every key, channel, cluster and command.
  explicit Acl(const CommandTable* table);

  // Applies rules to user `name` (creating it as "off, no permissions" first if new), as ACL
  // SETUSER does. Returns Redis's error text (without "ERR ") on a bad rule; nothing changes.
  std::optional<std::string> SetUser(std::string_view name,
                                     std::span<const std::string_view> rules);
  bool DelUser(std::string_view name);
  std::shared_ptr<const AclUser> Find(std::string_view name) const;
  // The user if it exists, is enabled and the password matches (or it is nopass).
  std::shared_ptr<const AclUser> Authenticate(std::string_view name,
                                              std::string_view password) const;
  const std::vector<std::shared_ptr<const AclUser>>& users() const { return users_; }
  std::string Describe(const AclUser& u) const;  // "user alice on #... ~app:* ..."

  static bool CommandAllowed(const AclUser& u, const CommandSpec& container,
                             const CommandSpec* sub);
  static bool KeyAllowed(const AclUser& u, std::string_view key);
  static bool ChannelAllowed(const AclUser& u, std::string_view channel);
  static bool PatternAllowed(const AclUser& u, std::string_view pattern);  // PSUBSCRIBE
  // cluster "" is the default cluster.
  static bool ClusterAllowed(const AclUser& u, std::string_view cluster);

  // For groupd's reserved channels (__gevent__[@c]:..., __gdispatch__[@c]:...) the cluster they
  // belong to ("" = default); nullopt for any other channel.
  static std::optional<std::string_view> ReservedChannelCluster(std::string_view channel);

 private:
  std::optional<std::string> ApplyRule(AclUser& u, std::string_view rule) const;
  void SetCommands(AclUser& u, std::string_view name_or_category, bool allow) const;

  const CommandTable* table_;
  std::vector<std::shared_ptr<const AclUser>> users_;
};

std::string Sha256Hex(std::string_view data);

}  // namespace groupd
