#include "server/arg_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "server/errors.h"

namespace groupd {
namespace {

using Args = std::vector<std::string_view>;

TEST(EqualsIgnoreCaseTest, ComparesAsciiWithoutCase) {
  EXPECT_TRUE(EqualsIgnoreCase("Cluster", "cLUSTER"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("cluster", "clusters"));
  EXPECT_FALSE(EqualsIgnoreCase("meta", "mete"));
}

TEST(ParseInt64Test, AcceptsWhatRedisString2llAccepts) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("42"), 42);
  EXPECT_EQ(ParseInt64("-42"), -42);
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInt64("-9223372036854775808"), INT64_MIN);
}

TEST(ParseInt64Test, RejectsSignsLeadingZerosSpacesAndOverflow) {
  for (const char* bad : {"", "+1", "01", "-0", "-", " 1", "1 ", "1x", "9223372036854775808",
                          "-9223372036854775809", "1.0", "123456789012345678901"}) {
    EXPECT_FALSE(ParseInt64(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(ParseGOptionsTest, ParsesClusterMetaAndFieldsCaseInsensitively) {
  Args args{"GREG", "k", "cluster", "c1", "Meta", "a", "1", "b", "2"};
  GOptions o;
  EXPECT_EQ(ParseGOptions(args, 2, kOptCluster | kOptMeta, &o), nullptr);
  EXPECT_EQ(o.cluster, "c1");
  EXPECT_TRUE(o.has_meta);
  EXPECT_EQ(Args(o.meta.begin(), o.meta.end()), (Args{"a", "1", "b", "2"}));

  Args read{"GMEMBERS", "g", "WITHKEYS", "CLUSTER", "c", "fields", "x", "y"};
  GOptions r;
  EXPECT_EQ(ParseGOptions(read, 2, kOptCluster | kOptWithKeys | kOptFields, &r), nullptr);
  EXPECT_TRUE(r.withkeys);
  EXPECT_EQ(r.cluster, "c");
  EXPECT_TRUE(r.has_fields);
  EXPECT_EQ(Args(r.fields.begin(), r.fields.end()), (Args{"x", "y"}));
}

TEST(ParseGOptionsTest, NoOptionsLeavesDefaults) {
  Args args{"GREG", "k"};
  GOptions o;
  EXPECT_EQ(ParseGOptions(args, 2, kOptCluster | kOptMeta, &o), nullptr);
  EXPECT_FALSE(o.cluster.has_value());
  EXPECT_FALSE(o.has_meta);
  EXPECT_TRUE(o.meta.empty());
  EXPECT_FALSE(o.withkeys);
  EXPECT_EQ(o.ttl_ms, 0);
}

TEST(ParseGOptionsTest, MetaTakesTheRestSoLaterKeywordsAreMetaFields) {
  Args args{"GREG", "k", "META", "CLUSTER", "c"};
  GOptions o;
  EXPECT_EQ(ParseGOptions(args, 2, kOptCluster | kOptMeta, &o), nullptr);
  EXPECT_FALSE(o.cluster.has_value());
  EXPECT_EQ(Args(o.meta.begin(), o.meta.end()), (Args{"CLUSTER", "c"}));
}

TEST(ParseGOptionsTest, MetaNeedsAtLeastOneCompletePair) {
  GOptions o;
  EXPECT_STREQ(ParseGOptions(Args{"GREG", "k", "META"}, 2, kOptMeta, &o), errors::kMetaPairs);
  EXPECT_STREQ(ParseGOptions(Args{"GREG", "k", "META", "a"}, 2, kOptMeta, &o), errors::kMetaPairs);
  EXPECT_STREQ(ParseGOptions(Args{"GREG", "k", "META", "a", "1", "b"}, 2, kOptMeta, &o),
               errors::kMetaPairs);
}

TEST(ParseGOptionsTest, OptionsNotAllowedOrIncompleteAreSyntaxErrors) {
  GOptions o;
  EXPECT_STREQ(ParseGOptions(Args{"GUNREG", "k", "META", "a", "1"}, 2, kOptCluster, &o),
               errors::kSyntax);
  EXPECT_STREQ(ParseGOptions(Args{"GREG", "k", "CLUSTER"}, 2, kOptCluster, &o), errors::kSyntax);
  EXPECT_STREQ(ParseGOptions(Args{"GLOOKUP", "k", "FIELDS"}, 2, kOptFields, &o), errors::kSyntax);
  EXPECT_STREQ(ParseGOptions(Args{"GREG", "k", "bogus"}, 2, kOptCluster | kOptMeta, &o),
               errors::kSyntax);
  EXPECT_STREQ(ParseGOptions(Args{"GCONNECT", "c", "TTL"}, 2, kOptTtl, &o), errors::kSyntax);
}

TEST(ParseGOptionsTest, TtlMustBeAPositiveInteger) {
  GOptions o;
  EXPECT_EQ(ParseGOptions(Args{"GCONNECT", "c", "ttl", "50"}, 2, kOptTtl, &o), nullptr);
  EXPECT_EQ(o.ttl_ms, 50);
  for (std::string_view bad : {"0", "-1", "abc", "05", "1.5"}) {
    GOptions b;
    EXPECT_STREQ(ParseGOptions(Args{"GCONNECT", "c", "TTL", bad}, 2, kOptTtl, &b),
                 errors::kNotInteger)
        << bad;
  }
}

TEST(ParseGOptionsTest, LaterClusterWins) {
  GOptions o;
  EXPECT_EQ(ParseGOptions(Args{"G", "k", "CLUSTER", "a", "CLUSTER", "b"}, 2, kOptCluster, &o),
            nullptr);
  EXPECT_EQ(o.cluster, "b");
}

TEST(WriteMetaTest, WritesAllFieldsAsMapOrFlatArray) {
  Meta meta{{"a", "1"}, {"b", "2"}};
  std::string out2, out3;
  protocol::ReplyWriter w2(&out2, 2), w3(&out3, 3);
  WriteMeta(w2, meta, {});
  WriteMeta(w3, meta, {});
  EXPECT_EQ(out2, "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(out3, "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n");
}

TEST(WriteMetaTest, FieldsSelectInRequestedOrderSkippingAbsentOnes) {
  Meta meta{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  std::string out;
  protocol::ReplyWriter w(&out, 3);
  Args fields{"c", "missing", "a"};
  WriteMeta(w, meta, fields);
  EXPECT_EQ(out, "%2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\na\r\n$1\r\n1\r\n");
  out.clear();
  Args none{"missing"};
  WriteMeta(w, meta, none);
  EXPECT_EQ(out, "%0\r\n");
}

}  // namespace
}  // namespace groupd
