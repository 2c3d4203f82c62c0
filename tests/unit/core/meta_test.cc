#include "server/meta.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "server/client.h"

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

TEST(MetaFromArgsTest, FieldsAndValuesAreBinarySafe) {
  std::string f("f\0x", 3), v("\r\n\0", 3);
  Meta meta = FromArgs({f, v, "", ""});
  ASSERT_EQ(meta.size(), 2u);
  EXPECT_EQ(meta[0].first, f);
  EXPECT_EQ(meta[0].second, v);
  EXPECT_EQ(meta[1], (std::pair<std::string, std::string>{"", ""}));
}

TEST(MetaFindTest, ReturnsValueOrNull) {
  Meta meta{{"a", "1"}, {"b", "2"}};
  ASSERT_NE(MetaFind(meta, "b"), nullptr);
  EXPECT_EQ(*MetaFind(meta, "b"), "2");
  EXPECT_EQ(MetaFind(meta, "c"), nullptr);
  EXPECT_EQ(MetaFind(Meta{}, "a"), nullptr);
}

TEST(MetaPayloadBytesTest, CountsFieldAndValueBytes) {
  EXPECT_EQ(MetaPayloadBytes(Meta{}), 0u);
  EXPECT_EQ(MetaPayloadBytes(Meta{{"ab", "cde"}, {"", "f"}}), 6u);
}

TEST(OwnedKeyTest, SplitRecoversKindClusterAndBinaryKey) {
  std::string key("k\0ey", 4);
  for (std::string_view cluster : {std::string_view(""), std::string_view("blue")}) {
    for (EntryKind kind : {EntryKind::kRegistry, EntryKind::kGroup}) {
      std::string owned = OwnedKey(kind, cluster, key);
      EntryKind k;
      std::string_view c, kk;
      SplitOwnedKey(owned, &k, &c, &kk);
      EXPECT_EQ(k, kind);
      EXPECT_EQ(c, cluster);
      EXPECT_EQ(kk, key);
    }
  }
  // The same key in two clusters, or as two kinds, gives distinct owned keys.
  EXPECT_NE(OwnedKey(EntryKind::kRegistry, "", "k"), OwnedKey(EntryKind::kGroup, "", "k"));
  EXPECT_NE(OwnedKey(EntryKind::kRegistry, "a", "k"), OwnedKey(EntryKind::kRegistry, "", "ak"));
}

}  // namespace
}  // namespace groupd
