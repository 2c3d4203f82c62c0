#pragma once

// Every error reply groupd writes, in one place. Texts follow Redis's wording where Redis has the
// same error. They carry their RESP error code ("ERR", "NOAUTH", ...) and no leading '-'.
namespace groupd::errors {

inline constexpr const char* kSyntax = "ERR syntax error";
inline constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
inline constexpr const char* kNoAuth = "NOAUTH Authentication required.";
inline constexpr const char* kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr const char* kAuthNotConfigured =
    "ERR AUTH <password> called without any password configured for the default user. Are you "
    "sure your configuration is correct?";
inline constexpr const char* kNoProto = "NOPROTO unsupported protocol version";
inline constexpr const char* kDbIndexOutOfRange = "ERR DB index is out of range";
inline constexpr const char* kOom = "OOM command not allowed when used memory > 'maxmemory'.";
inline constexpr const char* kMaxClients = "ERR max number of clients reached";
inline constexpr const char* kInvalidClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";
inline constexpr const char* kNoSuchClient = "ERR No such client";
inline constexpr const char* kMetaPairs = "ERR META needs field value pairs";
inline constexpr const char* kEmptyKey = "ERR key must not be empty";
inline constexpr const char* kKeyTooLong = "ERR key is longer than max-key-len";
inline constexpr const char* kMetaTooManyFields = "ERR meta has more fields than max-meta-fields";
inline constexpr const char* kMetaTooBig = "ERR meta is larger than max-meta-bytes";
inline constexpr const char* kInvalidClusterName = "ERR invalid cluster name";
inline constexpr const char* kPrefixNotAllowed =
    "ERR a key ending in '/' is a prefix and cannot be registered or joined";
inline constexpr const char* kMultiNested = "ERR MULTI calls can not be nested";
inline constexpr const char* kExecWithoutMulti = "ERR EXEC without MULTI";
inline constexpr const char* kDiscardWithoutMulti = "ERR DISCARD without MULTI";
inline constexpr const char* kNotInTransaction = "ERR Command not allowed inside a transaction";
inline constexpr const char* kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr const char* kInvalidLogLevel = "ERR log level must be info, verbose or off";
// Formats with the argument named.
inline constexpr const char* kTakenFmt = "TAKEN key '{}' is registered by {}";
inline constexpr const char* kNotOwnerFmt = "NOTOWNER key '{}' is not registered by this process";
inline constexpr const char* kNotInGroupFmt = "NOTINGROUP not a member of group '{}'";
inline constexpr const char* kNoClusterFmt = "NOCLUSTER this node is not connected to cluster '{}'";
inline constexpr const char* kUnknownCommandFmt =
    "ERR unknown command '{}', with args beginning with: {}";
inline constexpr const char* kWrongArityFmt = "ERR wrong number of arguments for '{}' command";
inline constexpr const char* kUnknownSubcommandFmt = "ERR unknown subcommand '{}'. Try {} HELP.";
inline constexpr const char* kSubscribedContextFmt =
    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
    "allowed in this context";
inline constexpr const char* kNoPermCommandFmt =
    "NOPERM User {} has no permissions to run the '{}' command";
inline constexpr const char* kNoPermKey = "NOPERM No permissions to access a key";
inline constexpr const char* kNoPermChannel = "NOPERM No permissions to access a channel";
inline constexpr const char* kNoPermClusterFmt = "NOPERM No permissions to access cluster '{}'";
inline constexpr const char* kConfigSetFailedFmt =
    "ERR CONFIG SET failed (possibly related to argument '{}') - {}";
inline constexpr const char* kConfigUnknownOptionFmt =
    "ERR Unknown option or number of arguments for CONFIG SET - '{}'";

}  // namespace groupd::errors
