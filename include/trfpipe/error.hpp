// Every error trfpipe throws derives from trfpipe::Error, so an application can catch one type.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace trfpipe {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A config problem at a path in the tree: ["components", "ner", "model", "hidden_width"]
// reads as "components -> ner -> model -> hidden_width: <message>".
class ConfigError : public Error {
 public:
  ConfigError(std::vector<std::string> path, const std::string& message);
  const std::vector<std::string>& path() const { return path_; }
  const std::string& message() const { return message_; }
  static std::string format_path(const std::vector<std::string>& path);

 private:
  std::vector<std::string> path_;
  std::string message_;
};

// A problem in input data: names the file and the line (1-based) or the doc index (0-based)
// where known (-1 = unknown).
class DataError : public Error {
 public:
  DataError(std::string file, int64_t line, const std::string& message, int64_t doc_index = -1);
  const std::string& file() const { return file_; }
  int64_t line() const { return line_; }
  int64_t doc_index() const { return doc_index_; }

 private:
  std::string file_;
  int64_t line_;
  int64_t doc_index_;
};

// A bad argument or value given through the API (spaCy's ValueError): unknown pipe names,
// over-long text, invalid UTF-8 and the like.
class ValueError : public Error {
 public:
  using Error::Error;
};

}  // namespace trfpipe
