// Token-pattern validation (spaCy's tests/matcher/test_pattern_validation.py) and the errors a bad
// pattern gives with and without `validate`: each names the rule, the pattern index, the token
// and the key.
#include <gtest/gtest.h>

#include "matcher_fixture.hpp"
#include "pipeline/error_of.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
using namespace std::string_literals;

namespace {

Json J(const char* text) { return Json::parse(text); }

struct ValidationCase {
  const char* pattern;
  bool schema_errors;   // validate_token_pattern reports problems
  bool minimal_errors;  // Matcher(validate=false).add raises as spaCy's does
};

class PatternValidation : public MatcherTestBase, public ::testing::WithParamInterface<ValidationCase> {};

}  // namespace

TEST_P(PatternValidation, SchemaReportsProblems) {
  std::vector<std::string> errors = validate_token_pattern(J(GetParam().pattern));
  EXPECT_EQ(!errors.empty(), GetParam().schema_errors) << ::testing::PrintToString(errors);
  for (const std::string& e : errors) EXPECT_EQ(e.rfind("[pattern", 0), 0u) << e;
}

TEST_P(PatternValidation, MatcherWithoutValidationRaisesOnMinimalProblems) {
  Matcher m(vocab, /*validate=*/false);
  Json pattern = J(GetParam().pattern);
  if (GetParam().minimal_errors) {
    EXPECT_THROW(m.add("TEST", Json::array({pattern})), ValueError);
    EXPECT_FALSE(m.contains("TEST"));
  } else if (!GetParam().schema_errors) {
    EXPECT_NO_THROW(m.add("TEST", Json::array({pattern})));
  }
}

TEST_P(PatternValidation, ValidatingMatcherRaisesMatchPatternError) {
  Matcher m(vocab, /*validate=*/true);
  Json pattern = J(GetParam().pattern);
  if (GetParam().schema_errors && pattern.is_array() && !pattern.empty()) {
    EXPECT_THROW(m.add("TEST", Json::array({pattern})), MatchPatternError);
  } else if (!GetParam().schema_errors) {
    EXPECT_NO_THROW(m.add("TEST", Json::array({pattern})));
  }
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, PatternValidation,
    ::testing::Values(
        // Bad patterns flagged in all cases.
        ValidationCase{R"([{"XX": "foo"}])", true, true},
        ValidationCase{R"([{"IS_ALPHA": {"==": true}}, {"LIKE_NUM": null}])", true, true},
        ValidationCase{R"([{"IS_PUNCT": true, "OP": "$"}])", true, true},
        ValidationCase{R"([{"_": "foo"}])", true, true},
        ValidationCase{R"("[{\"TEXT\": \"foo\"}, {\"LOWER\": \"bar\"}]")", true, true},
        ValidationCase{R"([1, 2, 3])", true, true},
        ValidationCase{R"([{"TEXT": "foo", "OP": "{,}"}])", true, true},
        ValidationCase{R"([{"TEXT": "foo", "OP": "{,4}4"}])", true, true},
        ValidationCase{R"([{"TEXT": "foo", "OP": "{a,3}"}])", true, true},
        ValidationCase{R"([{"TEXT": "foo", "OP": "{a}"}])", true, true},
        ValidationCase{R"([{"TEXT": "foo", "OP": "{,a}"}])", true, true},
        ValidationCase{R"([{"TEXT": "foo", "OP": "{1,2,3}"}])", true, true},
        ValidationCase{R"([{"TEXT": "foo", "OP": "{1, 3}"}])", true, true},
        ValidationCase{R"([{"TEXT": "foo", "OP": "{-2}"}])", true, true},
        // Bad patterns spaCy flags only with validation; trfpipe refuses them too.
        ValidationCase{R"([{"ENT_IOB": "foo"}])", true, true},
        ValidationCase{R"([{"_": {"foo": "bar", "baz": {"IN": "foo"}}}])", true, true},
        ValidationCase{R"([{"LENGTH": "2", "TEXT": 2}, {"LOWER": "test"}])", true, true},
        ValidationCase{R"([{"LENGTH": {"IN": [1, 2, "3"]}}, {"POS": {"IN": "VERB"}}])", true, true},
        ValidationCase{R"([{"LENGTH": {"VALUE": 5}}])", true, true},
        ValidationCase{R"([{"TEXT": {"VALUE": "foo"}}])", true, true},
        ValidationCase{R"([{"IS_DIGIT": -1}])", true, false},
        ValidationCase{R"([{"ORTH": -1}])", true, false},
        ValidationCase{R"([{"ENT_ID": -1}])", true, false},
        ValidationCase{R"([{"ENT_KB_ID": -1}])", true, false},
        // Good patterns.
        ValidationCase{R"([{"TEXT": "foo"}, {"LOWER": "bar"}])", false, false},
        ValidationCase{R"([{"LEMMA": {"IN": ["love", "like"]}}, {"POS": "DET", "OP": "?"}])", false, false},
        ValidationCase{R"([{"LIKE_NUM": true, "LENGTH": {">=": 5}}])", false, false},
        ValidationCase{R"([{"LENGTH": 2}])", false, false},
        ValidationCase{R"([{"LOWER": {"REGEX": "^X", "NOT_IN": ["XXX", "XY"]}}])", false, false},
        ValidationCase{R"([{"NORM": "a"}, {"POS": {"IN": ["NOUN"]}}])", false, false},
        ValidationCase{R"([{"_": {"foo": {"NOT_IN": ["bar", "baz"]}, "a": 5, "b": {">": 10}}}])", false, false},
        ValidationCase{R"([{"orth": "foo"}])", false, false},
        ValidationCase{R"([{"IS_SENT_START": true}])", false, false},
        ValidationCase{R"([{"SENT_START": true}])", false, false},
        ValidationCase{R"([{"ENT_ID": "STRING"}])", false, false},
        ValidationCase{R"([{"ENT_KB_ID": "STRING"}])", false, false},
        ValidationCase{R"([{"TEXT": "ha", "OP": "{3}"}])", false, false},
        ValidationCase{R"([{"text": {"regex": "regex"}}])", false, false},
        ValidationCase{R"([{"ORTH": {"FUZZY2": {"IN": ["a", "b"]}}}])", false, false}));

class PatternErrors : public MatcherTestBase {};

TEST_F(PatternErrors, ValidationErrorListsPatternIndexAndKey) {
  Matcher m(vocab, /*validate=*/true);
  m.add("GOOD", J(R"([[{"LOWER": "hello"}, {"LOWER": "world"}]])"));
  try {
    m.add("BAD", J(R"([[{"LOWER": "ok"}], [{"LOWER": "x"}, {"X": "Y"}]])"));
    FAIL() << "no error";
  } catch (const MatchPatternError& e) {
    EXPECT_EQ(e.key(), "BAD");
    ASSERT_EQ(e.errors().size(), 1u);
    ASSERT_TRUE(e.errors().count(1));
    EXPECT_EQ(e.errors().at(1), std::vector<std::string>{"[pattern -> 1 -> X] Extra inputs are not permitted"});
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("Invalid token patterns for matcher rule 'BAD'"));
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("Pattern 1:"));
  }
  EXPECT_FALSE(m.contains("BAD"));
  EXPECT_TRUE(m.contains("GOOD"));
}

struct MessageCase {
  const char* patterns;
  std::vector<std::string> parts;
};
class PatternErrorMessages : public MatcherTestBase, public ::testing::WithParamInterface<MessageCase> {};

TEST_P(PatternErrorMessages, NameRulePatternTokenAndKey) {
  Matcher m(vocab, /*validate=*/false);
  std::string msg = error_of([&] { m.add("RULE", J(GetParam().patterns)); });
  for (const std::string& part : GetParam().parts) EXPECT_THAT(msg, ::testing::HasSubstr(part));
  EXPECT_FALSE(m.contains("RULE"));
}

INSTANTIATE_TEST_SUITE_P(
    Minimal, PatternErrorMessages,
    ::testing::Values(
        MessageCase{R"([[{"ORTH": "a"}], [{"ORTH": "b"}, {"XX": "y"}]])",
                    {"rule 'RULE', pattern 1, token 1, key 'XX'", "[E152]"}},
        MessageCase{R"([[{"ORTH": "a", "OP": "$"}]])", {"pattern 0, token 0, key 'OP'", "[E011]", "'$'"}},
        MessageCase{R"([[{"ORTH": "a", "OP": 3}]])", {"key 'OP'", "[E154]"}},
        MessageCase{R"([[{"LENGTH": "2"}]])", {"key 'LENGTH'", "a number"}},
        MessageCase{R"([[{"LENGTH": 2.5}]])", {"key 'LENGTH'", "[E153]", "float"}},
        MessageCase{R"([[{"IS_ALPHA": "yes"}]])", {"key 'IS_ALPHA'", "true or false"}},
        MessageCase{R"([[{"ORTH": true}]])", {"key 'ORTH'", "a string"}},
        MessageCase{R"([[{"ORTH": ["a"]}]])", {"key 'ORTH'", "[E153]"}},
        MessageCase{R"([[{"ORTH": {"XX": "a"}}]])", {"key 'ORTH -> XX'", "unknown predicate"}},
        MessageCase{R"([[{"ORTH": {"IN": "abc"}}]])", {"key 'ORTH -> IN'", "takes a list"}},
        MessageCase{R"([[{"LENGTH": {">=": "5"}}]])", {"key 'LENGTH -> >='", "takes a number"}},
        MessageCase{R"([[{"ORTH": {"REGEX": "("}}]])", {"key 'ORTH -> REGEX'", "invalid REGEX"}},
        MessageCase{R"([[{"_": "foo"}]])", {"key '_'", "[E154]"}},
        MessageCase{R"([[{"_": {"ext": [1, 2]}}]])", {"key '_ -> ext'", "[E153]"}},
        MessageCase{R"([["ORTH"]])", {"pattern 0, token 0", "[E154]"}},
        MessageCase{R"([[{"ENT_IOB": "X"}]])", {"key 'ENT_IOB'", "\"X\""}}));

TEST_F(PatternErrors, SchemaMessagesArePydanticStyle) {
  EXPECT_EQ(validate_token_pattern(J(R"([{"IS_DIGIT": -1}])")),
            std::vector<std::string>{"[pattern -> 0 -> IS_DIGIT] Input should be a valid boolean"});
  EXPECT_EQ(validate_token_pattern(J(R"([])")),
            std::vector<std::string>{"[pattern] List should have at least 1 item after validation, not 0"});
  EXPECT_EQ(validate_token_pattern(J(R"([{"LIKE_NUM": null}])")),
            std::vector<std::string>{"[pattern -> 0 -> LIKE_NUM] Value error, None / null is not allowed"});
  EXPECT_EQ(validate_token_pattern(J(R"([{"POS": {"IN": "VERB"}}])")),
            std::vector<std::string>{"[pattern -> 0 -> POS -> IN] Input should be a valid list"});
  EXPECT_EQ(validate_token_pattern(J(R"([{"Orth": "x"}])")),
            std::vector<std::string>{"[pattern -> 0 -> Orth] Extra inputs are not permitted"});
  EXPECT_TRUE(validate_token_pattern(J(R"([{"orth": "x"}, {"ORTH": "y"}, {"_": {"a": {"IN": [1]}}}])")).empty());
}

// Hostile operators (issue #19): a 40,000-digit count overflowed the stack in the schema's
// std::regex, and counts beyond a long long ended in std::out_of_range ("Unexpected error").
TEST_F(PatternErrors, HugeOperatorCountsAreErrorsNotCrashes) {
  const std::string long_op = "{" + std::string(40000, '7') + "}";
  // The schema accepts any digits, as spaCy's regex does; the count is refused when added.
  EXPECT_TRUE(validate_token_pattern(Json::array({{{"ORTH", "a"}, {"OP", long_op}}})).empty());
  for (const std::string& op : {long_op, "{99999999999999999999}"s, "{1,99999999999999999999}"s}) {
    for (bool validate : {true, false}) {
      Matcher m(vocab, validate);
      // A trfpipe::Error (ValueError / MatchPatternError), never std::out_of_range.
      EXPECT_THROW(m.add("RULE", Json::array({Json::array({{{"ORTH", "a"}, {"OP", op}}})})), trfpipe::Error)
          << op.substr(0, 40);
      EXPECT_FALSE(m.contains("RULE"));
    }
  }
  // Leading zeros still read as the small count they are.
  Matcher ok(vocab, /*validate=*/true);
  ok.add("RULE", Json::array({Json::array({{{"ORTH", "a"}, {"OP", "{,00000000000000000000000000002}"}}})}));
  EXPECT_TRUE(ok.contains("RULE"));
}
