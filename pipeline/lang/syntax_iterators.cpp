// The table of syntax iterators per language (see pipeline/syntax_iterators.hpp).
#include <map>
#include <utility>

#include "pipeline/syntax_iterators.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

std::vector<hash_t> lang::noun_chunk_deps(Doc& doc, const std::vector<const char*>& np_labels) {
  if (!doc.has_annotation("DEP"))
    throw ValueError("[E029] noun_chunks requires the dependency parse, which requires a "
                     "statistical model to be installed and loaded. For more info, see the "
                     "documentation: https://spacy.io/usage/models");
  std::vector<hash_t> out;
  for (const char* label : np_labels) out.push_back(doc.vocab().strings().add(label));
  return out;
}

const SyntaxIterator* find_syntax_iterator(const std::string& lang, const std::string& name) {
  static const std::map<std::pair<std::string, std::string>, SyntaxIterator> table = {
      {{"en", "noun_chunks"}, lang::en::noun_chunks},
      {{"de", "noun_chunks"}, lang::de::noun_chunks},
  };
  auto it = table.find({lang, name});
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace trfpipe
