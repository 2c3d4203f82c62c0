#include "server/command_table.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace groupd {
namespace {

CommandSpec Spec(std::string name) {
  CommandSpec s;
  s.name = std::move(name);
  s.arity = 1;
  s.flags = 0;
  return s;
}

class CommandTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* n : {"get", "glookup", "client", "a", "x_y", "exactly16bytes!!",
                          "seventeen-bytes-x", "h1@`z"}) {
      table_.Add(Spec(n));
    }
  }
  std::string Found(std::string_view name) const {
    const CommandSpec* s = table_.Find(name);
    return s == nullptr ? "(none)" : s->name;
  }
  CommandTable table_;
};

TEST_F(CommandTableTest, FindsNamesWhateverTheirLetterCase) {
  EXPECT_EQ(Found("get"), "get");
  EXPECT_EQ(Found("GET"), "get");
  EXPECT_EQ(Found("gEt"), "get");
  EXPECT_EQ(Found("GLOOKUP"), "glookup");
  EXPECT_EQ(Found("A"), "a");
  EXPECT_EQ(Found("X_Y"), "x_y");
  EXPECT_EQ(Found("EXACTLY16BYTES!!"), "exactly16bytes!!");
  EXPECT_EQ(Found("SEVENTEEN-BYTES-X"), "seventeen-bytes-x");  // Past the fast table.
}

TEST_F(CommandTableTest, FoldsOnlyLettersAndComparesEveryByte) {
  // '@' and '`' differ only in the bit that lower-cases letters: they are not letters.
  EXPECT_EQ(Found("H1@`Z"), "h1@`z");
  EXPECT_EQ(Found("h1``z"), "(none)");
  EXPECT_EQ(Found("h1@@z"), "(none)");
  EXPECT_EQ(Found("x\x7fy"), "(none)");  // '_' | 0x20 is DEL.
  EXPECT_EQ(Found("ge"), "(none)");
  EXPECT_EQ(Found("gett"), "(none)");
  EXPECT_EQ(Found(std::string_view("get\0", 4)), "(none)");
  EXPECT_EQ(Found("\xC7" "ET"), "(none)");  // 'G' | 0x80.
  EXPECT_EQ(Found(""), "(none)");
  EXPECT_EQ(Found("exactly16bytes!?"), "(none)");
}

}  // namespace
}  // namespace groupd
