// The table of syntax iterators per language (see pipeline/syntax_iterators.hpp).
#include <map>
#include <utility>

#include "pipeline/syntax_iterators.hpp"

namespace trfpipe {

const SyntaxIterator* find_syntax_iterator(const std::string& lang, const std::string& name) {
  static const std::map<std::pair<std::string, std::string>, SyntaxIterator> table = {
      {{"en", "noun_chunks"}, lang::en::noun_chunks},
      {{"de", "noun_chunks"}, lang::de::noun_chunks},
  };
  auto it = table.find({lang, name});
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace trfpipe
