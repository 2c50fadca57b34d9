// spaCy's reserved symbol table (string -> symbol ID), in spaCy's declaration order.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

namespace trfpipe::pipeline {

const std::vector<std::pair<const char*, uint64_t>>& symbol_table();

}  // namespace trfpipe::pipeline
