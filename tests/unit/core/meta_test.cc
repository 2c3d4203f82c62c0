#include "server/meta.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "server/client.h"
#include "server/server.h"

namespace groupd {
namespace {

Meta FromArgs(std::vector<std::string_view> args) { return MetaFromArgs(args); }

TEST(MetaFromArgsTest, BuildsPairsInTheOrderGiven) {
  EXPECT_EQ(FromArgs({"z", "1", "a", "2"}), (Meta{{"z", "1"}, {"a", "2"}}));
  EXPECT_TRUE(FromArgs({}).empty());
}

TEST(MetaFromArgsTest, RepeatedFieldKeepsLastValueAtFirstPosition) {
  EXPECT_EQ(FromArgs({"a", "1", "b", "2", "a", "3"}), (Meta{{"a", "3"}, {"b", "2"}}));
  EXPECT_EQ(FromArgs({"a", "1", "a", "2", "a", "3"}), (Meta{{"a", "3"}}));
}

TEST(MetaEncodeArgsTest, EncodesWhatFromArgsBuildsIntoAReusedBuffer) {
  std::string buf;
  using Args = std::vector<std::string_view>;
  for (const Args& args : {Args{"z", "1", "a", "2"}, Args{"a", "1", "b", "2", "a", "3"},
                           Args{"long", std::string_view("0123456789abcdef0123456789abcdef"
                                                         "0123456789abcdef0123456789abcdef"
                                                         "0123456789abcdef0123456789abcdef"
                                                         "0123456789abcdef0123456789abcdef")},
                           Args{"x", "y"}}) {
    MetaView v = Meta::EncodeArgs(args, &buf);
    EXPECT_EQ(v, FromArgs(args));
    EXPECT_EQ(v.Encoded().data(), buf.data());
    EXPECT_EQ(MetaView::AtEncoded(buf.data()), v);  // Self-delimiting in a longer buffer.
  }
  EXPECT_GE(buf.size(), 130u);  // Kept from the longest meta.
  EXPECT_TRUE(Meta::EncodeArgs({}, &buf).empty());
}

TEST(MetaFromArgsTest, FieldsAndValuesAreBinarySafe) {
  std::string f("f\0x", 3), v("\r\n\0", 3);
  Meta meta = FromArgs({f, v, "", ""});
  ASSERT_EQ(meta.size(), 2u);
  std::vector<Meta::Pair> pairs(meta.begin(), meta.end());
  EXPECT_EQ(pairs[0].first, f);
  EXPECT_EQ(pairs[0].second, v);
  EXPECT_EQ(pairs[1], (Meta::Pair{"", ""}));
}

TEST(MetaEncodingTest, IsTheCountThenLengthPrefixedFieldsAndValues) {
  EXPECT_EQ(Meta{}.Encoded(), std::string_view("\0", 1));
  EXPECT_EQ(Meta({{"ab", "c"}, {"", "d"}}).Encoded(), std::string_view("\2\2ab\1c\0\1d", 9));
  std::string big(200, 'x');
  Meta m{{big, "v"}};
  // 200 needs a two-byte varint.
  EXPECT_EQ(m.Encoded().substr(0, 3), std::string_view("\1\xC8\x01", 3));
  EXPECT_EQ(m.Encoded().size(), 1 + 2 + 200 + 1 + 1u);
}

TEST(MetaEncodingTest, DecodeRoundTripsAndReportsBytesTaken) {
  Meta m{{"host", "10.0.3.7"}, {"port", "8080"}, {std::string(300, 'f'), ""}};
  std::string wire(m.Encoded());
  wire += "trailing";
  Meta out;
  ASSERT_EQ(Meta::Decode(wire, &out), m.Encoded().size());
  EXPECT_EQ(out, m);
  EXPECT_EQ(MetaPayloadBytes(out), 4 + 8 + 4 + 4 + 300u);
  // Decoding an empty meta over a full one clears it.
  ASSERT_EQ(Meta::Decode(std::string_view("\0", 1), &out), 1u);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(out.size(), 0u);
}

TEST(MetaEncodingTest, DecodeRejectsMalformedInput) {
  Meta out{{"keep", "me"}};
  const std::string_view bad[] = {
      std::string_view(""),                   // No count.
      std::string_view("\x80", 1),            // Truncated count.
      std::string_view("\x80\x00", 2),        // Non-minimal count (zero in two bytes).
      std::string_view("\1\1a", 3),           // Value missing.
      std::string_view("\1\1a\5abc", 7),      // Value shorter than its length.
      std::string_view("\5\1a\1b", 5),        // Count larger than the bytes can hold.
      std::string_view("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 11),  // Over 64 bits.
      std::string_view("\1\x81\x00" "a\0", 5),   // Non-minimal field length.
  };
  for (std::string_view in : bad) {
    EXPECT_EQ(Meta::Decode(in, &out), 0u) << "input of " << in.size() << " bytes";
  }
  EXPECT_EQ(out, (Meta{{"keep", "me"}}));  // Untouched by failed decodes.
}

// Frames meta with PutResp into a buffer of exactly RespBound() bytes (so ASan sees any write
// past the bound) and returns the frame.
std::string PutResp(const Meta& meta, bool resp3) {
  std::vector<char> buf(meta.RespBound());
  char* end = meta.PutResp(buf.data(), resp3);
  EXPECT_LE(static_cast<size_t>(end - buf.data()), buf.size());
  return std::string(buf.data(), end);
}

TEST(MetaRespTest, FramesAMapOfBulkStringsInBothProtocols) {
  Meta meta{{"host", "10.0.3.7"}, {"", "e"}};
  EXPECT_EQ(PutResp(meta, false), "*4\r\n$4\r\nhost\r\n$8\r\n10.0.3.7\r\n$0\r\n\r\n$1\r\ne\r\n");
  EXPECT_EQ(PutResp(meta, true), "%2\r\n$4\r\nhost\r\n$8\r\n10.0.3.7\r\n$0\r\n\r\n$1\r\ne\r\n");
  EXPECT_EQ(PutResp(Meta(), false), "*0\r\n");
  EXPECT_EQ(PutResp(Meta(), true), "%0\r\n");
}

TEST(MetaRespTest, BoundHoldsForMultiByteLengths) {
  // Lengths at the edges of one- and two-byte varints and of digit counts.
  for (size_t n : {size_t{9}, size_t{10}, size_t{99}, size_t{100}, size_t{127}, size_t{128},
                   size_t{999}, size_t{1000}, size_t{16383}, size_t{16384}, size_t{100000}}) {
    std::string field(n, 'f'), value(n / 2, 'v');
    Meta meta{{field, value}, {"k", ""}};
    std::string expected = "*4\r\n$" + std::to_string(n) + "\r\n" + field + "\r\n$" +
                           std::to_string(n / 2) + "\r\n" + value + "\r\n$1\r\nk\r\n$0\r\n\r\n";
    EXPECT_EQ(PutResp(meta, false), expected) << n;
  }
  // Many one-byte fields: the bound's per-string allowance is what carries it.
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  std::vector<std::string> names;
  for (int i = 0; i < 200; i++) names.push_back(std::to_string(i % 10));
  for (int i = 0; i < 200; i++) pairs.emplace_back(names[i], "");
  Meta many = Meta::FromPairs(pairs);
  std::string framed = PutResp(many, true);
  EXPECT_EQ(framed.substr(0, 6), "%200\r\n");
  EXPECT_EQ(framed.size(), 6 + 200 * (7 + 6));
}

TEST(MetaTest, CopiesAreIndependent) {
  Meta a{{"x", "1"}};
  Meta b = a;
  EXPECT_EQ(a, b);
  b = Meta{{"x", "2"}};
  EXPECT_EQ(*MetaFind(a, "x"), "1");
  Meta c = std::move(b);
  EXPECT_EQ(*MetaFind(c, "x"), "2");
  a = c;
  a = a;  // Self-assignment keeps the value.
  EXPECT_EQ(*MetaFind(a, "x"), "2");
  EXPECT_NE(Meta{}, a);
  EXPECT_EQ(Meta{}, Meta::FromArgs({}));
}

TEST(MetaViewTest, AtEncodedFindsWhereTheEncodingEnds) {
  // A value longer than 127 bytes takes a two-byte length.
  Meta meta{{"host", "10.0.3.7"}, {"blob", std::string(300, 'z')}, {"", ""}};
  std::string bytes(meta.Encoded());
  const size_t len = bytes.size();
  bytes += "trailing bytes that are not meta";
  MetaView v = MetaView::AtEncoded(bytes.data());
  EXPECT_EQ(v.Encoded().size(), len);
  EXPECT_EQ(v.Encoded().data(), bytes.data());  // Read in place.
  EXPECT_EQ(v, meta);
  EXPECT_EQ(v.size(), 3u);
  EXPECT_EQ(*MetaFind(v, "blob"), std::string(300, 'z'));
  EXPECT_EQ(Meta(v), meta);  // A copy owns its block.
  EXPECT_NE(Meta(v).Encoded().data(), bytes.data());
  // The empty encoding is the empty view, the same as an empty Meta's.
  std::string empty("\0rest", 5);
  MetaView e = MetaView::AtEncoded(empty.data());
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.Encoded(), std::string_view("\0", 1));
  EXPECT_EQ(e, Meta{});
  EXPECT_EQ(e.begin(), e.end());
  EXPECT_TRUE(Meta(e).empty());
}

TEST(MetaFindTest, ReturnsValueOrNull) {
  Meta meta{{"a", "1"}, {"b", "2"}};
  ASSERT_TRUE(MetaFind(meta, "b").has_value());
  EXPECT_EQ(*MetaFind(meta, "b"), "2");
  EXPECT_FALSE(MetaFind(meta, "c").has_value());
  EXPECT_FALSE(MetaFind(Meta{}, "a").has_value());
}

TEST(MetaPayloadBytesTest, CountsFieldAndValueBytes) {
  EXPECT_EQ(MetaPayloadBytes(Meta{}), 0u);
  EXPECT_EQ(MetaPayloadBytes(Meta{{"ab", "cde"}, {"", "f"}}), 6u);
}

TEST(PidTest, CopiesShareOneStringAndCompareByValue) {
  Pid a("1.x@n1");
  EXPECT_EQ(a.use_count(), 1u);
  {
    Pid b = a;
    EXPECT_EQ(a.use_count(), 2u);
    EXPECT_EQ(b.view().data(), a.view().data());
  }
  EXPECT_EQ(a.use_count(), 1u);
  Pid c("1.x@n1");  // Another copy with the same bytes.
  EXPECT_EQ(a, c);
  EXPECT_EQ(a, std::string_view("1.x@n1"));
  EXPECT_LT(Pid("1.a"), Pid("1.b"));
  EXPECT_TRUE(Pid().empty());
  EXPECT_EQ(Pid("").use_count(), 0u);  // The empty pid allocates nothing.
  EXPECT_EQ("p=" + a, "p=1.x@n1");
  Pid moved = std::move(c);
  EXPECT_EQ(moved, a);
  EXPECT_EQ(moved.str(), "1.x@n1");
}

TEST(OwnedIndexTest, RemoveSwapsTheLastRefIntoTheSlotAndSaysWhichMoved) {
  ClusterState blue("blue", 1), red("red", 1);
  Shard& shard = blue.shards[0];
  RegEntry* k1 = shard.registry.Insert("k1", RegEntry{}).first;
  RegEntry* k3 = shard.registry.Insert("k3", RegEntry{}).first;
  Group* k2 = shard.groups.Insert("k2", Group{}).first;
  OwnedIndex index;
  EXPECT_EQ(index.Add(&blue, OwnedIndex::Ref::Registry(k1)), 0u);
  EXPECT_EQ(index.Add(&blue, OwnedIndex::Ref::Group(k2)), 1u);
  EXPECT_EQ(index.Add(&red, OwnedIndex::Ref::Group(k2)), 0u);  // Slots count per cluster.
  EXPECT_EQ(index.Add(&blue, OwnedIndex::Ref::Registry(k3)), 2u);
  EXPECT_EQ(index.size(), 4u);
  EXPECT_TRUE(index.Contains(EntryKind::kGroup, "blue", "k2"));
  EXPECT_TRUE(index.Contains(EntryKind::kGroup, "red", "k2"));
  EXPECT_TRUE(index.Contains(EntryKind::kRegistry, "blue", "k3"));
  EXPECT_FALSE(index.Contains(EntryKind::kRegistry, "blue", "k2"));  // Kind matters.
  EXPECT_FALSE(index.Contains(EntryKind::kGroup, "", "k2"));         // Cluster matters.

  const OwnedIndex::Ref* moved = index.Remove(&blue, 0);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->kind(), EntryKind::kRegistry);
  EXPECT_EQ(moved->entry(), k3);  // The last ref now lives in slot 0.
  EXPECT_EQ(moved->key(), "k3");
  EXPECT_EQ(index.size(), 3u);
  EXPECT_EQ(index.Remove(&red, 0), nullptr);  // Empties red's list: nothing moved.
  EXPECT_FALSE(index.Contains(EntryKind::kGroup, "red", "k2"));
  // Draining from Last() takes blue's refs from the back.
  uint32_t slot;
  auto [cl, ref] = index.Last(&slot);
  EXPECT_EQ(cl, &blue);
  EXPECT_EQ(slot, 1u);
  EXPECT_EQ(ref.kind(), EntryKind::kGroup);
  EXPECT_EQ(ref.group(), k2);
  EXPECT_EQ(ref.key(), "k2");
  EXPECT_EQ(index.Remove(&blue, 1), nullptr);
  EXPECT_EQ(index.Remove(&blue, 0), nullptr);
  EXPECT_TRUE(index.empty());
}

TEST(ChunkedVectorTest, GrowsAndShrinksAcrossChunksKeepingEveryElement) {
  ChunkedVector<uint64_t, 8> v;
  for (uint64_t i = 0; i < 100; i++) {
    v.push_back(i * 3);
    ASSERT_EQ(v.size(), i + 1);
    ASSERT_EQ(v.back(), i * 3);
  }
  for (uint64_t i = 0; i < 100; i++) ASSERT_EQ(v[i], i * 3) << i;
  const uint64_t* stable = &v[50];  // Growing never moves what is past the first chunk.
  for (uint64_t i = 100; i < 200; i++) v.push_back(i * 3);
  EXPECT_EQ(stable, &v[50]);
  v[17] = 1;
  EXPECT_EQ(v[17], 1u);
  while (v.size() > 3) v.pop_back();
  EXPECT_EQ(v[0], 0u);
  EXPECT_EQ(v[2], 6u);
  for (uint64_t i = 3; i < 30; i++) v.push_back(i);  // Chunks freed on the way down come back.
  EXPECT_EQ(v[29], 29u);
  while (!v.empty()) v.pop_back();
  EXPECT_EQ(v.size(), 0u);
}

}  // namespace
}  // namespace groupd
