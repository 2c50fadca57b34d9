// spaCy's TokenPattern schema (spacy/schemas.py): which keys a token spec may have and what
// values they take. Used by validate_token_pattern and by the PhraseMatcher's attribute check.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace trfpipe {
class Doc;
}

namespace trfpipe::matcher {

enum class FieldKind { String, Number, Bool, Iob, Op, Underscore };

// The kind of a token-spec key as the schema accepts it: the lower-case field name ("orth",
// "is_sent_start", "op") or its upper-case alias ("ORTH", "OP", "_"); false when the schema
// has no such field.
bool token_pattern_field(std::string_view key, FieldKind* kind = nullptr);

// spaCy's check `attr.lower() in TokenPattern().model_dump()` (PhraseMatcher attrs).
bool is_token_pattern_field_name(std::string_view lower_name);

std::string lower_ascii(std::string_view s);
std::string upper_ascii(std::string_view s);

// Whether `op` is a valid OP value: + * ? ! or {n} {n,m} {n,} {,m}.
bool valid_operator(std::string_view op);

// spaCy's E155: matching on TAG, POS, MORPH, LEMMA or DEP needs a Doc with that annotation.
// ValueError starting with `where` when `doc` lacks it; other attributes need nothing.
void require_annotation(const Doc& doc, uint64_t attr, const std::string& where = "");

}  // namespace trfpipe::matcher
