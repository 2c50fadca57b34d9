// Text pieces of spaCy's console output (wasabi), shared by the training loop and debug model.
#pragma once
#include <string>
#include <vector>

namespace trfpipe {

// Python's repr of a list of strings: ['a', 'b'].
std::string py_list(const std::vector<std::string>& v);
// wasabi's msg.divider(text): a newline, then the text centred in a line of '=' (80 wide).
std::string divider(const std::string& text);

}  // namespace trfpipe
