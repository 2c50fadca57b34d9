#include "pipeline/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"

namespace fs = std::filesystem;

namespace trfpipe {

std::string read_file_bytes(const std::string& path) {
  // A device never ends (/dev/zero, /dev/urandom) or is not data: only files and pipes are read.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    throw DataError(path, -1, S_ISDIR(st.st_mode) ? "is a directory, not a file" : "is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, -1, "cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw DataError(path, -1, "cannot read the file");
  return ss.str();
}

nlohmann::ordered_json read_json_file(const std::string& path) {
  const std::string text = read_file_bytes(path);
  try {
    return parse_json_limited<nlohmann::ordered_json>(text);
  } catch (const nlohmann::json::exception& e) {
    throw DataError(path, -1, std::string("invalid JSON: ") + e.what());
  }
}

void write_file_bytes(const std::string& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw Error("cannot open " + path + " for writing: " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      throw Error("cannot write " + path + ": " + std::strerror(err));
    }
    done += size_t(n);
  }
  if (::close(fd) != 0) throw Error("cannot write " + path + ": " + std::strerror(errno));
}

fs::path make_temp_dir(const fs::path& parent, const std::string& prefix) {
  static std::atomic<uint64_t> counter{0};
  std::mt19937_64 rng(uint64_t(std::chrono::steady_clock::now().time_since_epoch().count()) ^
                      (uint64_t(::getpid()) << 32) ^ counter.fetch_add(1));
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = prefix;
    for (int k = 0; k < 6; ++k) name += kChars[rng() % (sizeof(kChars) - 1)];
    const fs::path dir = parent / name;
    if (::mkdir(dir.c_str(), 0777) == 0) return dir;
    if (errno != EEXIST)
      throw Error("cannot create a temporary directory in '" + parent.string() + "': " + std::strerror(errno));
  }
  throw Error("cannot create a temporary directory in '" + parent.string() + "': all names taken");
}

void replace_dir(const fs::path& tmp, const fs::path& dest) {
  std::error_code ec;
  if (!fs::exists(dest, ec)) {
    fs::rename(tmp, dest);
    return;
  }
#ifdef SYS_renameat2
  constexpr unsigned kRenameExchange = 2;  // RENAME_EXCHANGE
  if (::syscall(SYS_renameat2, AT_FDCWD, tmp.c_str(), AT_FDCWD, dest.c_str(), kRenameExchange) == 0) {
    fs::remove_all(tmp, ec);  // now holds the previous content
    return;
  }
#endif
  const fs::path parent = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
  const fs::path old = make_temp_dir(parent, "." + dest.filename().string() + ".old-");
  fs::rename(dest, old);  // replaces the empty directory just made
  try {
    fs::rename(tmp, dest);
  } catch (...) {
    fs::rename(old, dest, ec);
    throw;
  }
  fs::remove_all(old, ec);
}

void check_component_folder_name(const std::string& name) {
  std::string why;
  if (name.empty() || name == "." || name == "..") why = "it is not a folder name";
  else if (name.find_first_of(std::string("/\\\0", 3)) != std::string::npos)
    why = "it contains a path separator or NUL";
  else if (name == "config.cfg" || name == "meta.json" || name == "vocab" || name == "tokenizer")
    why = "the pipeline directory uses that name itself";
  if (!why.empty())
    throw ValueError("component name '" + name + "' cannot be saved or loaded as a folder of the pipeline: " +
                     why);
}

void write_dir_atomically(const fs::path& dest, const std::string& tmp_prefix,
                          const std::function<void(const fs::path&)>& write) {
  const fs::path parent = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
  const fs::path tmp = make_temp_dir(parent, tmp_prefix);
  try {
    write(tmp);
    replace_dir(tmp, dest);
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw Error("cannot save '" + dest.string() + "': " + e.code().message() +
                (e.path1().empty() ? std::string() : " (" + e.path1().string() + ")"));
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

void remove_stale_temp_dirs(const fs::path& dest) {
  const fs::path parent = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
  const std::string name = dest.filename().string();
  std::error_code ec;
  std::vector<fs::path> stale;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    for (const std::string& prefix : {name + ".tmp-", name + ".old-", "." + name + ".tmp-", "." + name + ".old-"})
      if (entry.compare(0, prefix.size(), prefix) == 0 && it->is_directory(ec)) stale.push_back(it->path());
  }
  for (const auto& p : stale) fs::remove_all(p, ec);
}

}  // namespace trfpipe
