#include "matcher/py_regex.hpp"

#include <unicode/regex.h>
#include <unicode/unistr.h>

#include "trfpipe/error.hpp"

namespace trfpipe::matcher {

namespace {

std::string translate_python_syntax(const std::string& p) {
  std::string out;
  out.reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '\\' && i + 1 < p.size()) {
      out += p[i + 1] == 'Z' ? std::string("\\z") : p.substr(i, 2);
      ++i;
    } else if (p.compare(i, 4, "(?P<") == 0) {
      out += "(?<";
      i += 3;
    } else if (p.compare(i, 4, "(?P=") == 0) {
      size_t close = p.find(')', i);
      if (close == std::string::npos) {
        out += p.substr(i);
        break;
      }
      out += "\\k<" + p.substr(i + 4, close - i - 4) + ">";
      i = close;
    } else {
      out += p[i];
    }
  }
  return out;
}

}  // namespace

struct PyRegex::Compiled {
  std::unique_ptr<icu::RegexPattern> pattern;
};

PyRegex::PyRegex(const std::string& pattern) : pattern_(pattern) {
  UErrorCode status = U_ZERO_ERROR;
  UParseError parse_error;
  compiled_ = std::make_unique<Compiled>();
  compiled_->pattern.reset(icu::RegexPattern::compile(
      icu::UnicodeString::fromUTF8(translate_python_syntax(pattern)), 0, parse_error, status));
  if (U_FAILURE(status) || !compiled_->pattern)
    throw ValueError("invalid REGEX '" + pattern + "': " + u_errorName(status) +
                     (parse_error.offset >= 0 ? " at offset " + std::to_string(parse_error.offset) : ""));
}

PyRegex::~PyRegex() = default;
PyRegex::PyRegex(PyRegex&&) noexcept = default;

bool PyRegex::search(std::string_view text) const {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString input = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), int32_t(text.size())));
  std::unique_ptr<icu::RegexMatcher> m(compiled_->pattern->matcher(input, status));
  if (U_FAILURE(status) || !m) throw Error("REGEX '" + pattern_ + "': " + u_errorName(status));
  bool found = m->find(status);
  if (U_FAILURE(status)) throw Error("REGEX '" + pattern_ + "': " + u_errorName(status));
  return found;
}

}  // namespace trfpipe::matcher
