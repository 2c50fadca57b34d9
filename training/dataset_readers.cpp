#include "training/dataset_readers.hpp"

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "pipeline/file_io.hpp"
#include "training/augment.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace fs = std::filesystem;

namespace trfpipe {

namespace {

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

bool is_blank(const std::string& text) {
  return text.find_first_not_of(" \t\n\r\f\v") == std::string::npos;
}

void register_once() {
  using registry::arg;
  // ml_datasets/spacy_readers.py imdb_reader. ml_datasets downloads aclImdb_v1.tar.gz when path
  // is null and reads the files when the config is resolved; trfpipe downloads nothing and reads
  // when a reader is called, so `debug config` validates the config without the data.
  registry::get("readers").add(registry::Function{
      "", "ml_datasets.imdb_sentiment.v1",
      {arg("path", "str|null", nullptr), arg("train_limit", "int", 0), arg("dev_limit", "int", 0)},
      false,
      [](const registry::Value& a, const std::vector<std::string>& at) -> std::any {
        std::vector<std::string> path_at = at;
        path_at.push_back("path");
        const std::string folder = registry::is_null(a, "path") ? "" : registry::get_str(a, "path");
        auto split_reader = [=](const std::string& split, int64_t limit) {
          return Reader([=](Language& nlp) {
            if (folder.empty())
              throw ConfigError(path_at,
                                "ml_datasets.imdb_sentiment.v1 needs the IMDB movie reviews "
                                "(Maas et al. 2011, \"Large Movie Review Dataset\", "
                                "aclImdb_v1.tar.gz) unpacked in a folder with train/pos, "
                                "train/neg, test/pos and test/neg: set `path` to it. "
                                "ml_datasets downloads the archive when `path` is null; trfpipe "
                                "downloads nothing");
            return read_imdb_split(folder, split, limit, nlp);
          });
        };
        return ReaderSplits{{"train", split_reader("train", registry::get_int(a, "train_limit"))},
                            {"dev", split_reader("test", registry::get_int(a, "dev_limit"))}};
      },
      "Dict[str, Callable[[Language], Iterable[Example]]]"});
}

}  // namespace

std::vector<Example> read_imdb_split(const std::string& folder, const std::string& split,
                                     int64_t limit, Language& nlp) {
  std::vector<std::pair<fs::path, std::string>> files;  // (review, label)
  for (const char* label : {"pos", "neg"}) {
    const fs::path dir = fs::path(folder) / split / label;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      throw DataError(dir.string(), -1,
                      "not a folder: ml_datasets.imdb_sentiment.v1 reads the layout of the "
                      "unpacked aclImdb_v1.tar.gz (train/pos, train/neg, test/pos, test/neg, "
                      "one .txt review per file)");
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(dir))
      if (entry.is_regular_file()) found.push_back(entry.path());
    std::sort(found.begin(), found.end());  // the shuffle below, not the file system, orders them
    for (auto& f : found) files.emplace_back(std::move(f), label);
  }
  std::shuffle(files.begin(), files.end(), augment_rng());
  if (limit >= 1 && size_t(limit) < files.size()) files.resize(size_t(limit));
  std::vector<Example> out;
  for (const auto& [file, label] : files) {
    std::string text = read_file_bytes(file.string());
    replace_all(text, "<br />", "\n\n");
    if (is_blank(text)) continue;
    Doc doc = nlp.make_doc(text);
    auto reference = std::make_shared<Doc>(doc.copy());
    reference->cats()["pos"] = label == "pos" ? 1.0 : 0.0;
    reference->cats()["neg"] = label == "neg" ? 1.0 : 0.0;
    out.emplace_back(std::make_shared<Doc>(std::move(doc)), std::move(reference));
  }
  return out;
}

void register_dataset_readers() {
  static std::once_flag once;
  std::call_once(once, register_once);
}

}  // namespace trfpipe
