// spaCy's token attributes (spacy/attrs.pyx): the attribute IDs, names, reading an attribute of a
// token by ID (spaCy's get_token_attr) and setting token attributes from a dict (spaCy's
// intify_attrs / normalize_token_attrs / set_token_attrs, used by the retokenizer and the
// attribute_ruler). Shared by the DocBin, the matchers and the rule-based components. Torch-free.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "trfpipe/strings.hpp"

namespace trfpipe {

class Doc;
class Token;
class Vocab;
struct TokenData;
struct Lexeme;

// spaCy's attribute IDs (spacy/attrs.pxd; they equal the symbol IDs of the names).
namespace attrs {
constexpr uint64_t NULL_ATTR = 0, IS_ALPHA = 1, IS_ASCII = 2, IS_DIGIT = 3, IS_LOWER = 4,
                   IS_PUNCT = 5, IS_SPACE = 6, IS_TITLE = 7, IS_UPPER = 8, LIKE_URL = 9,
                   LIKE_NUM = 10, LIKE_EMAIL = 11, IS_STOP = 12, IS_OOV_DEPRECATED = 13,
                   IS_BRACKET = 14, IS_QUOTE = 15, IS_LEFT_PUNCT = 16, IS_RIGHT_PUNCT = 17,
                   IS_CURRENCY = 18, ID = 64, ORTH = 65, LOWER = 66, NORM = 67, SHAPE = 68,
                   PREFIX = 69, SUFFIX = 70, LENGTH = 71, CLUSTER = 72, LEMMA = 73, POS = 74,
                   TAG = 75, DEP = 76, ENT_IOB = 77, ENT_TYPE = 78, HEAD = 79, SENT_START = 80,
                   SPACY = 81, PROB = 82, LANG = 83, ENT_KB_ID = 452, MORPH = 453, ENT_ID = 454,
                   IDX = 455;
}  // namespace attrs

// spaCy's IDS lookup: the ID of an attribute name, exact or upper-cased ("ORTH", "lower");
// nullopt when the name is not one of spaCy's attributes. (Callers map "TEXT" to ORTH and
// "IS_SENT_START" to SENT_START where spaCy does.)
std::optional<uint64_t> attr_id(std::string_view name);
// "ORTH" for attrs::ORTH; "FLAG19".."FLAG63" for the spare flags; "attribute <n>" when unknown.
std::string attr_name(uint64_t id);
// Whether the value of the attribute is a StringStore ID (ORTH, LOWER, TAG, MORPH ...), as
// opposed to a number or flag (LENGTH, IS_*, ENT_IOB, HEAD, SENT_START, SPACY, IDX).
bool is_string_attr(uint64_t id);

// spaCy's get_token_attr: the value of attribute `id` of token i. String attributes are
// StringStore IDs (0 = unset), flags 0/1, LENGTH and IDX in characters, ENT_IOB 0-3 (""/I/O/B),
// HEAD the offset to the head (two's complement), SENT_START 1/0/-1 (two's complement), SPACY
// 0/1, NORM the token's norm else the lexeme's. Attributes without data here (ID, CLUSTER, PROB,
// the spare flags) are 0. ValueError for an ID that is no attribute.
uint64_t token_attr(const Doc& doc, size_t i, uint64_t id);
// The same from the token's data and its lexeme (the matchers look each lexeme up once per
// token and read many attributes from it).
uint64_t token_attr(const Doc& doc, const TokenData& token, const Lexeme& lex, uint64_t id);

// Attribute values for tokens, from a dict such as {"TAG": "NNP", "lemma": "New York",
// "ENT_IOB": "B", "_": {"my_ext": 1}} (spaCy's normalize_token_attrs): names are spaCy's
// attribute names in any case, string values are added to the StringStore, MORPH is normalized
// as Token::set_morph does, ENT_IOB takes "", "I", "O", "B" or 0-3. Errors are ValueErrors
// naming the key: an unknown attribute, a lexical attribute (LOWER, SHAPE, IS_* ... belong to
// the shared Lexeme and are not set per token here), a value of the wrong type, an unregistered
// or getter-only `_` extension (spaCy's E118/E119).
struct TokenAttrValues {
  std::vector<std::pair<uint64_t, uint64_t>> values;  // (attribute ID, value)
  nlohmann::ordered_json underscore = nlohmann::ordered_json::object();  // "_" values
  bool empty() const { return values.empty() && underscore.empty(); }
};
TokenAttrValues normalize_token_attrs(Vocab& vocab, const nlohmann::ordered_json& attrs);
// Sets the values on the token (spaCy's set_token_attrs). JSON values of `_` extensions take the
// C++ type of the extension's default where it is a bool, number or string.
void set_token_attrs(Token token, const TokenAttrValues& attrs);

}  // namespace trfpipe
