#include "tools/loadgen/command_template.h"

#include <cctype>
#include <charconv>

namespace groupd::loadgen {

namespace {

// std::to_chars, not snprintf: the loader formats a number per command, and on the core it
// shares with a server under test snprintf took about half of its own time.
void AppendUint(std::string* out, uint64_t v, bool padded) {
  char buf[24];
  char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  size_t n = static_cast<size_t>(end - buf);
  if (padded && n < 12) out->append(12 - n, '0');
  out->append(buf, n);
}

}  // namespace

std::optional<CommandTemplate> CommandTemplate::Parse(const std::vector<std::string>& words,
                                                      std::string* error) {
  CommandTemplate t;
  Command current;
  auto finish = [&]() -> bool {
    if (current.empty()) {
      *error = "empty command in template";
      return false;
    }
    t.commands_.push_back(std::move(current));
    current.clear();
    return true;
  };
  for (const std::string& w : words) {
    if (w == ";;") {
      if (!finish()) return std::nullopt;
      continue;
    }
    Arg arg;
    std::string literal;
    size_t i = 0;
    while (i < w.size()) {
      if (w[i] == '{') {
        size_t close = w.find('}', i);
        if (close != std::string::npos && close - i == 2) {
          Kind kind;
          switch (w[i + 1]) {
            case 'c':
              kind = Kind::kConn;
              break;
            case 'i':
              kind = Kind::kIndex;
              break;
            case 'I':
              kind = Kind::kIndexPadded;
              break;
            case 'r':
              kind = Kind::kRand;
              break;
            case 'R':
              kind = Kind::kRandPadded;
              break;
            case 'n':
              kind = Kind::kGlobal;
              break;
            default:
              *error = "unknown placeholder " + w.substr(i, 3);
              return std::nullopt;
          }
          if (!literal.empty()) arg.pieces.push_back({Kind::kLiteral, std::move(literal)});
          literal.clear();
          arg.pieces.push_back({kind, ""});
          i = close + 1;
          continue;
        }
      }
      literal.push_back(w[i]);
      ++i;
    }
    if (!literal.empty() || arg.pieces.empty()) {
      arg.pieces.push_back({Kind::kLiteral, std::move(literal)});
    }
    if (arg.pieces.size() == 1 && arg.pieces[0].kind == Kind::kLiteral) {
      const std::string& text = arg.pieces[0].text;
      arg.encoded.append("$").append(std::to_string(text.size())).append("\r\n");
      arg.encoded.append(text).append("\r\n");
    }
    current.push_back(std::move(arg));
  }
  if (!finish()) return std::nullopt;
  return t;
}

void CommandTemplate::Append(std::string* out, const TemplateVars& vars) const {
  std::string scratch;
  for (const Command& cmd : commands_) {
    out->push_back('*');
    AppendUint(out, cmd.size(), false);
    out->append("\r\n");
    for (const Arg& arg : cmd) {
      if (!arg.encoded.empty()) {
        out->append(arg.encoded);
        continue;
      }
      scratch.clear();
      for (const Piece& p : arg.pieces) {
        switch (p.kind) {
          case Kind::kLiteral:
            scratch.append(p.text);
            break;
          case Kind::kConn:
            AppendUint(&scratch, vars.conn, false);
            break;
          case Kind::kIndex:
            AppendUint(&scratch, vars.index, false);
            break;
          case Kind::kIndexPadded:
            AppendUint(&scratch, vars.index, true);
            break;
          case Kind::kRand:
            AppendUint(&scratch, vars.rand, false);
            break;
          case Kind::kRandPadded:
            AppendUint(&scratch, vars.rand, true);
            break;
          case Kind::kGlobal:
            AppendUint(&scratch, vars.global, false);
            break;
        }
      }
      out->push_back('$');
      AppendUint(out, scratch.size(), false);
      out->append("\r\n");
      out->append(scratch);
      out->append("\r\n");
    }
  }
}

std::string CommandTemplate::Name(size_t k) const {
  std::string name;
  for (const Piece& p : commands_[k][0].pieces) {
    if (p.kind == Kind::kLiteral) name += p.text;
  }
  for (char& ch : name) ch = static_cast<char>(toupper(static_cast<unsigned char>(ch)));
  return name;
}

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> words;
  std::string w;
  for (char ch : s) {
    if (ch == ' ') {
      if (!w.empty()) words.push_back(std::move(w));
      w.clear();
    } else {
      w.push_back(ch);
    }
  }
  if (!w.empty()) words.push_back(std::move(w));
  return words;
}

}  // namespace groupd::loadgen
