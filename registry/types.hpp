// The small type language of ArgSpec::type (see include/trfpipe/registry.hpp).
#pragma once
#include <string>

#include "trfpipe/registry.hpp"

namespace trfpipe::registry::types {

// Whether a resolved value has the declared type ("int", "float|Schedule", "list[str]", "Model"…).
bool accepts(const std::string& type, const Value& value);

// Empty when the spelling is valid; else why not (Python spellings such as "Optional[int]" or
// "List[str]" would silently be taken as object kinds, so they are refused at registration).
std::string spelling_problem(const std::string& type);

}  // namespace trfpipe::registry::types
