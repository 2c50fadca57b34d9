// Reading and writing whole files and replacing directories, for every area from the pipeline up
// (pipeline folders, checkpoints, data formats, training output).
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace trfpipe {

// The file's bytes; DataError naming the file when it cannot be opened or read, or is a
// directory or a device (reading /dev/zero would never end).
std::string read_file_bytes(const std::string& path);

// The file's JSON (nesting limited, trfpipe/json_limits.hpp); DataError naming the file when it
// cannot be read or is not JSON.
nlohmann::ordered_json read_json_file(const std::string& path);

// Writes `content` to `path` (created or truncated). Error naming the file and the system's reason
// ("No space left on device") when any byte cannot be written, including at close, where a
// buffered std::ofstream would lose the error.
void write_file_bytes(const std::string& path, std::string_view content);

// A new empty directory `<parent>/<prefix><random>`, created with mkdir(0777) so that it gets the
// permissions the umask gives (mkdtemp would make it 0700).
std::filesystem::path make_temp_dir(const std::filesystem::path& parent, const std::string& prefix);

// Writes the directory `dest` as a whole: `write(tmp)` fills a new directory beside it, named
// `<tmp_prefix><random>`, which then replaces `dest` (replace_dir). On any error the temporary
// directory is removed and `dest` is left as it was; a filesystem error (a full disk) becomes an
// Error naming `dest` and the file.
void write_dir_atomically(const std::filesystem::path& dest, const std::string& tmp_prefix,
                          const std::function<void(const std::filesystem::path& tmp)>& write);

// Puts the directory `tmp` at `dest`. When `dest` exists the two are exchanged atomically
// (renameat2 RENAME_EXCHANGE), so `dest` is at every moment either complete old or complete new,
// and the old content (now at `tmp`) is removed; where the file system cannot exchange, two
// renames through a `.<name>.old-*` directory beside `dest`.
void replace_dir(const std::filesystem::path& tmp, const std::filesystem::path& dest);

// ValueError unless a component name can be its folder inside a pipeline directory: not empty,
// ".", "..", no '/', '\\' or NUL (an absolute or relative path would write or read outside the
// pipeline), and not one of the directory's own entries (config.cfg, meta.json, vocab, tokenizer).
void check_component_folder_name(const std::string& name);

// Removes what an interrupted replace_dir or Language::to_disk leaves beside `dest`:
// `<name>.tmp-*`, `<name>.old-*`, `.<name>.tmp-*` and `.<name>.old-*` directories.
void remove_stale_temp_dirs(const std::filesystem::path& dest);

}  // namespace trfpipe
