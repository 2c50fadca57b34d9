// levenshtein / levenshtein_compare (spaCy's tests/matcher/test_levenshtein.py tables).
#include <gtest/gtest.h>

#include "trfpipe/matcher.hpp"

using namespace trfpipe;

struct DistanceCase {
  int64_t distance;
  const char* a;
  const char* b;
};
class Levenshtein : public ::testing::TestWithParam<DistanceCase> {};

TEST_P(Levenshtein, CountsEditsInCodePoints) {
  EXPECT_EQ(levenshtein(GetParam().a, GetParam().b), GetParam().distance);
  EXPECT_EQ(levenshtein(GetParam().b, GetParam().a), GetParam().distance);
  // With a bound, distances above it come back as bound + 1.
  EXPECT_EQ(levenshtein(GetParam().a, GetParam().b, 1), std::min<int64_t>(GetParam().distance, 2));
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, Levenshtein,
    ::testing::Values(DistanceCase{0, "", ""}, DistanceCase{4, "bbcb", "caba"}, DistanceCase{3, "abcb", "cacc"},
                      DistanceCase{3, "aa", "ccc"}, DistanceCase{1, "cca", "ccac"}, DistanceCase{1, "aba", "aa"},
                      DistanceCase{4, "bcbb", "abac"}, DistanceCase{3, "acbc", "bba"}, DistanceCase{3, "cbba", "a"},
                      DistanceCase{2, "bcc", "ba"}, DistanceCase{4, "aaa", "ccbb"},
                      DistanceCase{3, "うあい", "いいうい"}, DistanceCase{2, "あううい", "うあい"},
                      DistanceCase{3, "いういい", "うううあ"}, DistanceCase{2, "うい", "あいあ"},
                      DistanceCase{2, "いあい", "いう"}, DistanceCase{1, "いい", "あいい"},
                      DistanceCase{3, "あうあ", "いいああ"}, DistanceCase{4, "いあうう", "ううああ"},
                      DistanceCase{3, "いあいい", "ういああ"}, DistanceCase{3, "いいああ", "ううあう"},
                      DistanceCase{6, "kitten sitting", "sitting kitten"}));

struct CompareCase {
  const char* a;
  const char* b;
  int fuzzy;
  bool expected;
};
class LevenshteinCompare : public ::testing::TestWithParam<CompareCase> {};

TEST_P(LevenshteinCompare, AllowsTheEditBudget) {
  EXPECT_EQ(levenshtein_compare(GetParam().a, GetParam().b, GetParam().fuzzy), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, LevenshteinCompare,
    ::testing::Values(CompareCase{"a", "a", 1, true}, CompareCase{"a", "a", 0, true}, CompareCase{"a", "a", -1, true},
                      CompareCase{"a", "ab", 1, true}, CompareCase{"a", "ab", 0, false},
                      CompareCase{"a", "ab", -1, true}, CompareCase{"ab", "ac", 1, true},
                      CompareCase{"ab", "ac", -1, true}, CompareCase{"abc", "cde", 4, true},
                      CompareCase{"abc", "cde", -1, false}, CompareCase{"abcdef", "cdefgh", 4, true},
                      CompareCase{"abcdef", "cdefgh", 3, false}, CompareCase{"abcdef", "cdefgh", -1, false},
                      CompareCase{"abcdefgh", "cdefghijk", 5, true}, CompareCase{"abcdefgh", "cdefghijk", 4, false},
                      CompareCase{"abcdefgh", "cdefghijk", -1, false},
                      CompareCase{"abcdefgh", "cdefghijkl", 6, true}, CompareCase{"abcdefgh", "cdefghijkl", 5, false},
                      CompareCase{"abcdefgh", "cdefghijkl", -1, false},
                      // round(0.3 * 5) = 2 (half to even), round(0.3 * 15) = 4: "kitchenettesxyz" has 15.
                      CompareCase{"abxyz", "abcde", -1, false}, CompareCase{"kitchenette1234", "kitchenettesxyz", -1, true},
                      CompareCase{"kitchenett12345", "kitchenettesxyz", -1, false}));
