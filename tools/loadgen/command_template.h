#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace groupd::loadgen {

// The values a template's placeholders expand to for one operation.
struct TemplateVars {
  uint64_t conn = 0;    // {c}: the connection's index, 0-based.
  uint64_t index = 0;   // {i} / {I}: the operation's index on its connection (new keys).
  uint64_t rand = 0;    // {r} / {R}: a random number below the keyspace (-r).
  uint64_t global = 0;  // {n}: the operation's index over all connections.
};

// One operation: one or more commands (separated by the word ";;" on the command line) whose
// arguments may hold placeholders:
//   {c} connection index, {i} per-connection operation index, {n} global operation index,
//   {r} random number below the keyspace, {I} / {R} the same as {i} / {r} zero-padded to 12
//   digits (the shape redis-benchmark gives __rand_int__, so keys loaded here match its keys).
// Append() writes the RESP multibulk encoding of every command. Immutable after Parse(); any
// thread.
class CommandTemplate {
 public:
  // Returns nullopt (and sets *error) on an empty command or an unknown {placeholder}.
  static std::optional<CommandTemplate> Parse(const std::vector<std::string>& words,
                                              std::string* error);

  void Append(std::string* out, const TemplateVars& vars) const;
  size_t commands() const { return commands_.size(); }
  // Upper-case name of command k, e.g. "SUBSCRIBE".
  std::string Name(size_t k) const;
  size_t Args(size_t k) const { return commands_[k].size(); }

 private:
  enum class Kind { kLiteral, kConn, kIndex, kIndexPadded, kRand, kRandPadded, kGlobal };
  struct Piece {
    Kind kind;
    std::string text;  // kLiteral only.
  };
  struct Arg {
    std::vector<Piece> pieces;
    std::string encoded;  // "$len\r\ntext\r\n" when the argument has no placeholder.
  };
  using Command = std::vector<Arg>;

  std::vector<Command> commands_;
};

// Splits a setup command given as one string ("HELLO 3") into words at spaces.
std::vector<std::string> SplitWords(const std::string& s);

}  // namespace groupd::loadgen
