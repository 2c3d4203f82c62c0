#include "server/event.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/core/json_lite.h"

namespace groupd {
namespace {

using testjson::Json;

std::string EventJson(const Event& e) {
  std::string out;
  AppendEventJson(e, &out);
  return out;
}

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

Event BaseEvent() {
  Event e{};
  e.type = EventType::kJoined;
  e.cluster = "";
  e.key = "room/1";
  e.pid = "7.m3x0k1@127.0.0.1:6380";
  e.node = "127.0.0.1:6380";
  e.seq = 12;
  return e;
}

TEST(EventNamesTest, TypeNamesMatchTheDocumentedSpelling) {
  EXPECT_EQ(EventTypeName(EventType::kRegistered), "registered");
  EXPECT_EQ(EventTypeName(EventType::kUnregistered), "unregistered");
  EXPECT_EQ(EventTypeName(EventType::kJoined), "joined");
  EXPECT_EQ(EventTypeName(EventType::kLeft), "left");
}

TEST(EventNamesTest, ReasonNamesMatchTheDocumentedSpelling) {
  EXPECT_EQ(ReasonName(Reason::kNone), "");
  EXPECT_EQ(ReasonName(Reason::kUnregister), "unregister");
  EXPECT_EQ(ReasonName(Reason::kLeave), "leave");
  EXPECT_EQ(ReasonName(Reason::kDisconnect), "disconnect");
  EXPECT_EQ(ReasonName(Reason::kKilled), "killed");
  EXPECT_EQ(ReasonName(Reason::kNodeDown), "nodedown");
  EXPECT_EQ(ReasonName(Reason::kRegistryConflict), "registry_conflict");
  EXPECT_EQ(ReasonName(Reason::kClusterDisconnect), "cluster_disconnect");
  EXPECT_EQ(ReasonName(Reason::kShutdown), "shutdown");
}

TEST(EventJsonTest, JoinedEventInDefaultClusterMatchesTheDocumentedExample) {
  Meta meta{{"role", "admin"}};
  Event e = BaseEvent();
  e.meta = meta;
  EXPECT_EQ(EventJson(e),
            R"({"type":"joined","cluster":null,"key":"room/1","pid":"7.m3x0k1@127.0.0.1:6380",)"
            R"("node":"127.0.0.1:6380","meta":{"role":"admin"},"previous_meta":null,)"
            R"("reason":null,"seq":12})");
}

TEST(EventJsonTest, NamedClusterIsAString) {
  Meta meta;
  Event e = BaseEvent();
  e.type = EventType::kRegistered;
  e.cluster = "blue";
  e.key = "k";
  e.meta = meta;
  e.seq = 1;
  EXPECT_EQ(EventJson(e),
            R"({"type":"registered","cluster":"blue","key":"k","pid":"7.m3x0k1@127.0.0.1:6380",)"
            R"("node":"127.0.0.1:6380","meta":{},"previous_meta":null,"reason":null,"seq":1})");
}

TEST(EventJsonTest, UpdateCarriesPreviousMetaInFieldOrder) {
  Meta meta{{"z", "1"}, {"a", "2"}};
  Meta previous{{"b", "old"}};
  Event e = BaseEvent();
  e.type = EventType::kRegistered;
  e.meta = meta;
  e.previous_meta = previous;
  EXPECT_EQ(EventJson(e),
            R"({"type":"registered","cluster":null,"key":"room/1",)"
            R"("pid":"7.m3x0k1@127.0.0.1:6380","node":"127.0.0.1:6380",)"
            R"("meta":{"z":"1","a":"2"},"previous_meta":{"b":"old"},"reason":null,"seq":12})");
}

TEST(EventJsonTest, RemovalEventsCarryTheirReason) {
  const std::vector<std::pair<Reason, std::string>> reasons = {
      {Reason::kUnregister, "unregister"},
      {Reason::kLeave, "leave"},
      {Reason::kDisconnect, "disconnect"},
      {Reason::kKilled, "killed"},
      {Reason::kNodeDown, "nodedown"},
      {Reason::kRegistryConflict, "registry_conflict"},
      {Reason::kClusterDisconnect, "cluster_disconnect"},
      {Reason::kShutdown, "shutdown"},
  };
  Meta meta{{"f", "v"}};
  for (EventType type : {EventType::kUnregistered, EventType::kLeft}) {
    for (const auto& [reason, name] : reasons) {
      Event e = BaseEvent();
      e.type = type;
      e.key = "k";
      e.pid = "p";
      e.node = "n";
      e.meta = meta;
      e.reason = reason;
      e.seq = 5;
      std::string type_name = type == EventType::kUnregistered ? "unregistered" : "left";
      EXPECT_EQ(EventJson(e), R"({"type":")" + type_name +
                                  R"(","cluster":null,"key":"k","pid":"p","node":"n",)"
                                  R"("meta":{"f":"v"},"previous_meta":null,"reason":")" +
                                  name + R"(","seq":5})");
    }
  }
}

TEST(EventJsonTest, NullMetaIsWrittenAsNull) {
  Event e = BaseEvent();
  e.meta = std::nullopt;
  e.previous_meta = std::nullopt;
  std::string json = EventJson(e);
  EXPECT_NE(json.find(R"("meta":null,"previous_meta":null)"), std::string::npos) << json;
}

TEST(EventJsonTest, SeqIsWrittenAsAnUnsignedDecimalUpToTheMaximum) {
  Event e = BaseEvent();
  e.seq = std::numeric_limits<uint64_t>::max();
  std::string json = EventJson(e);
  EXPECT_TRUE(json.ends_with(R"(,"seq":18446744073709551615})")) << json;
  e.seq = 0;
  json = EventJson(e);
  EXPECT_TRUE(json.ends_with(R"(,"seq":0})")) << json;
}

TEST(EventJsonTest, AppendsWithoutClearingTheBuffer) {
  Event e = BaseEvent();
  std::string out = "prefix";
  AppendEventJson(e, &out);
  EXPECT_EQ(out.rfind("prefix{\"type\":\"joined\"", 0), 0u);
}

TEST(EventJsonTest, OutputParsesAsJsonWithEveryFieldRoundTripping) {
  Meta meta{{"na\"me", "va\\l\nue"}, {"emoji", "\xf0\x9f\x98\x80"}};
  Meta previous{{"x", ""}};
  Event e = BaseEvent();
  e.type = EventType::kRegistered;
  e.cluster = "c-1";
  e.key = "key \"with\" quotes\t/\x01";
  e.meta = meta;
  e.previous_meta = previous;
  e.seq = 99;
  auto doc = testjson::Parse(EventJson(e));
  ASSERT_TRUE(doc.has_value()) << EventJson(e);
  ASSERT_EQ(doc->kind, Json::kObject);
  std::vector<std::string> names;
  for (const auto& [k, v] : doc->object) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"type", "cluster", "key", "pid", "node", "meta",
                                             "previous_meta", "reason", "seq"}));
  EXPECT_EQ(doc->Get("type")->str, "registered");
  EXPECT_EQ(doc->Get("cluster")->str, "c-1");
  EXPECT_EQ(doc->Get("key")->str, e.key);
  EXPECT_EQ(doc->Get("pid")->str, e.pid);
  EXPECT_EQ(doc->Get("node")->str, e.node);
  auto pairs_of = [](const Meta& m) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [f, v] : m) out.emplace_back(f, v);
    return out;
  };
  EXPECT_EQ(doc->Get("meta")->StringPairs(), pairs_of(meta));
  EXPECT_EQ(doc->Get("previous_meta")->StringPairs(), pairs_of(previous));
  EXPECT_TRUE(doc->Get("reason")->IsNull());
  EXPECT_EQ(doc->Get("seq")->AsUint(), 99u);
}

TEST(JsonStringTest, EscapesQuoteBackslashAndCommonControlCharacters) {
  EXPECT_EQ(JsonString(""), R"("")");
  EXPECT_EQ(JsonString("plain"), R"("plain")");
  EXPECT_EQ(JsonString("a\"b"), R"("a\"b")");
  EXPECT_EQ(JsonString("a\\b"), R"("a\\b")");
  EXPECT_EQ(JsonString("\n\r\t"), R"("\n\r\t")");
  // '/' needs no escape in JSON.
  EXPECT_EQ(JsonString("a/b"), R"("a/b")");
}

TEST(JsonStringTest, EscapesOtherControlCharactersAsLowercaseUnicodeEscapes) {
  EXPECT_EQ(JsonString(std::string_view("\0", 1)), R"("\u0000")");
  EXPECT_EQ(JsonString("\x01"), R"("\u0001")");
  EXPECT_EQ(JsonString("\b\f"), R"("\u0008\u000c")");
  EXPECT_EQ(JsonString("\x1f"), R"("\u001f")");
  // DEL is not a JSON control character.
  EXPECT_EQ(JsonString("\x7f"), "\"\x7f\"");
  EXPECT_EQ(JsonString(" ~"), R"(" ~")");
}

TEST(JsonStringTest, PassesValidUtf8Through) {
  for (std::string s : {"\xc3\xa9",             // U+00E9, 2 bytes
                        "\xc2\x80",             // U+0080, smallest 2-byte
                        "\xe2\x82\xac",         // U+20AC
                        "\xe0\xa0\x80",         // U+0800, smallest 3-byte
                        "\xef\xbf\xbf",         // U+FFFF
                        "\xed\x9f\xbf",         // U+D7FF, just below the surrogates
                        "\xee\x80\x80",         // U+E000, just above the surrogates
                        "\xf0\x90\x80\x80",     // U+10000, smallest 4-byte
                        "\xf0\x9f\x98\x80",     // U+1F600
                        "\xf4\x8f\xbf\xbf"}) {  // U+10FFFF, the largest
    EXPECT_EQ(JsonString(s), "\"" + s + "\"") << "input bytes: " << s.size();
    auto doc = testjson::Parse(JsonString(s));
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(doc->str, s);
  }
}

TEST(JsonStringTest, ReplacesEachInvalidUtf8ByteWithReplacementCharacterEscape) {
  const std::string r = "\\ufffd";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\xff", r},                                 // Never valid.
      {"\x80", r},                                 // Lone continuation byte.
      {"a\xc3", "a" + r},                          // Truncated at the end.
      {"\xc3(", r + "("},                          // Lead byte without continuation.
      {"\xc0\xaf", r + r},                         // Overlong 2-byte form of '/'.
      {"\xc1\xbf", r + r},                         // Overlong 2-byte form.
      {"\xe0\x80\xaf", r + r + r},                 // Overlong 3-byte form.
      {"\xed\xa0\x80", r + r + r},                 // UTF-16 surrogate U+D800.
      {"\xed\xbf\xbf", r + r + r},                 // UTF-16 surrogate U+DFFF.
      {"\xf0\x80\x80\xaf", r + r + r + r},         // Overlong 4-byte form.
      {"\xf4\x90\x80\x80", r + r + r + r},         // U+110000, past the last code point.
      {"\xf5\x80\x80\x80", r + r + r + r},         // Lead byte past F4.
      {"\xe2\x82", r + r},                         // Truncated 3-byte sequence.
      {"\xe2\x82x\xc3\xa9", r + r + "x\xc3\xa9"},  // Recovery before valid text.
  };
  for (const auto& [in, escaped] : cases) {
    std::string json = JsonString(in);
    EXPECT_EQ(json, "\"" + escaped + "\"");
    // Whatever the input, the payload stays valid JSON.
    EXPECT_TRUE(testjson::Parse(json).has_value()) << json;
  }
}

TEST(JsonLiteTest, RejectsWhatIsNotJson) {
  // The checker the other tests rely on must actually reject invalid documents.
  EXPECT_FALSE(testjson::Parse("").has_value());
  EXPECT_FALSE(testjson::Parse("{").has_value());
  EXPECT_FALSE(testjson::Parse(R"({"a":1,})").has_value());
  EXPECT_FALSE(testjson::Parse("\"a\nb\"").has_value());
  EXPECT_FALSE(testjson::Parse("\"\xff\"").has_value());
  EXPECT_FALSE(testjson::Parse("\"\xed\xa0\x80\"").has_value());
  EXPECT_FALSE(testjson::Parse(R"("\x")").has_value());
  EXPECT_FALSE(testjson::Parse("01").has_value());
  EXPECT_FALSE(testjson::Parse("{} {}").has_value());
  EXPECT_TRUE(testjson::Parse(R"({"a":[1,-2.5e3,true,false,null,"\ud83d\ude00"]})").has_value());
}

}  // namespace
}  // namespace groupd
