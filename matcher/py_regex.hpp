// Python `re.search` for matcher predicates (REGEX), on ICU's regex engine, whose syntax is
// close to Python's: Python-only spellings are translated ((?P<name>...) to (?<name>...),
// (?P=name) to \k<name>, \Z to \z).
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace trfpipe::matcher {

class PyRegex {
 public:
  // ValueError naming the pattern when it does not compile.
  explicit PyRegex(const std::string& pattern);
  ~PyRegex();
  PyRegex(PyRegex&&) noexcept;
  // re.search(pattern, text) is not None.
  bool search(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  struct Compiled;  // ICU's RegexPattern, kept out of this header
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace trfpipe::matcher
