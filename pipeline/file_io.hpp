// Reading a whole file, for every area from the pipeline up (pipeline folders, checkpoints,
// data formats).
#pragma once
#include <string>

namespace trfpipe {

// The file's bytes; DataError naming the file when it cannot be opened or read.
std::string read_file_bytes(const std::string& path);

}  // namespace trfpipe
