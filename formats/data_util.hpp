// Internal helpers shared by the data-format readers and writers.
#pragma once
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/file_io.hpp"  // read_file_bytes
#include "config/text_util.hpp"  // split_on
#include "trfpipe/doc.hpp"

namespace trfpipe::formats {

// Writes atomically enough for our use (temp file + rename); DataError on failure.
void write_file_bytes(const std::string& path, std::string_view data);

std::string zlib_compress(std::string_view data);
// Throws std::runtime_error with zlib's reason when `data` is not one complete zlib stream, or
// when it inflates to more than `max_size` bytes (checked as it inflates, so a small "zip bomb"
// never allocates what it claims).
std::string zlib_decompress(std::string_view data,
                            size_t max_size = std::numeric_limits<size_t>::max());

// Lines without their terminator ("\n", "\r\n"); a final line without "\n" counts; a leading
// UTF-8 byte order mark is dropped.
std::vector<std::string_view> split_lines(std::string_view text);
// split_lines of a text file that must be UTF-8 (as Python reads it for spaCy): DataError naming
// `source` and the line of the first invalid byte sequence.
std::vector<std::string_view> split_utf8_lines(std::string_view text, const std::string& source);
std::vector<std::string_view> split_ws(std::string_view s);             // ASCII whitespace
using trfpipe::split_on;  // every field kept
std::string_view trim(std::string_view s);
bool is_blank(std::string_view s);

// A valid entity tag: "O" or one of B/I/L/U/E/S + "-" + non-empty label.
bool is_entity_tag(std::string_view tag);

// The string for a StringStore ID ("" for 0), or "" when unknown.
std::string string_or_empty(const Vocab& vocab, hash_t id);

}  // namespace trfpipe::formats
