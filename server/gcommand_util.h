#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "server/arg_parser.h"
#include "server/command_table.h"
#include "server/server.h"

namespace groupd {

// Helpers shared by the G-command families. Each writes the error reply itself and returns
// null/false when the command must stop.

// NOPERM unless the client's user may touch cluster ("" = default).
bool CheckClusterAccess(CommandContext& ctx, std::string_view cluster);

// The cluster named by CLUSTER (or the default one); NOCLUSTER when not connected.
ClusterState* ResolveCluster(CommandContext& ctx, const GOptions& opts);

// A registry key or group name: non-empty, within max-key-len, and (unless allow_prefix) not a
// prefix pattern ending in '/'.
bool ValidateKey(CommandContext& ctx, std::string_view key, bool allow_prefix);

// META pairs within max-meta-fields and max-meta-bytes.
bool ValidateMeta(CommandContext& ctx, std::span<const std::string_view> meta);

// The fields a read returns: FIELDS when given, else the extract-meta option (empty: all).
std::span<const std::string_view> ReadFields(CommandContext& ctx, const GOptions& opts,
                                             std::vector<std::string_view>* storage);

// Cluster names are non-empty and printable, without ':' (it separates them in channel names).
bool IsValidClusterName(std::string_view name);

}  // namespace groupd
