#include "trfpipe/error.hpp"

namespace trfpipe {

std::string ConfigError::format_path(const std::vector<std::string>& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (i) out += " -> ";
    out += path[i];
  }
  return out;
}

ConfigError::ConfigError(std::vector<std::string> path, const std::string& message)
    : Error(path.empty() ? message : format_path(path) + ": " + message),
      path_(std::move(path)),
      message_(message) {}

static std::string data_error_text(const std::string& file, int64_t line, int64_t doc,
                                   const std::string& message) {
  std::string where = file;
  if (line >= 0) where += (where.empty() ? "line " : ":") + std::to_string(line);
  if (doc >= 0) where += (where.empty() ? "" : " ") + std::string("doc ") + std::to_string(doc);
  return where.empty() ? message : where + ": " + message;
}

DataError::DataError(std::string file, int64_t line, const std::string& message, int64_t doc_index)
    : Error(data_error_text(file, line, doc_index, message)),
      file_(std::move(file)),
      line_(line),
      doc_index_(doc_index) {}

}  // namespace trfpipe
