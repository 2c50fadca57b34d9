#include "pipeline/file_io.hpp"

#include <fstream>
#include <sstream>

#include "trfpipe/error.hpp"

namespace trfpipe {

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, -1, "cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw DataError(path, -1, "cannot read the file");
  return ss.str();
}

}  // namespace trfpipe
