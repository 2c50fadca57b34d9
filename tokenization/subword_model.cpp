#include "tokenization/subword_model.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tokenization/subword_unicode.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::subword {

std::string read_file(const std::string& path) {
  struct stat st;  // a device such as /dev/zero would never end
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
    throw Error("cannot read " + path + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t StringIdMap::hash(const char* s, size_t n) {
  // FNV-1a over 8-byte words, then a final mix.
  uint64_t h = 0xcbf29ce484222325ULL ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, s + i, 8);
    h = (h ^ w) * 0x100000001b3ULL;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s + i, n - i);
  h = (h ^ tail) * 0x9E3779B97F4A7C15ULL;
  h ^= h >> 32;
  return h | 1;  // 0 marks an empty slot
}

void StringIdMap::build(const std::vector<std::string>& strings, const std::vector<int64_t>& ids) {
  size_t cap = 16;
  while (cap < strings.size() * 2 + 1) cap <<= 1;
  slots_.assign(cap, Slot{});
  mask_ = cap - 1;
  arena_.clear();
  for (size_t i = 0; i < strings.size(); ++i) {
    const std::string& str = strings[i];
    uint64_t h = hash(str.data(), str.size());
    uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;
    size_t p = h & mask_;
    bool dup = false;
    while (slots_[p].tag != 0) {
      const Slot& sl = slots_[p];
      if (sl.tag == tag && sl.len == str.size() && arena_.compare(sl.offset, sl.len, str) == 0) {
        dup = true;  // keep the first id
        break;
      }
      p = (p + 1) & mask_;
    }
    if (dup) continue;
    slots_[p] = Slot{tag, static_cast<int32_t>(ids[i]), static_cast<uint32_t>(arena_.size()),
                     static_cast<uint32_t>(str.size())};
    arena_ += str;
  }
}

int64_t StringIdMap::find(const char* s, size_t n) const {
  if (slots_.empty()) return -1;
  uint64_t h = hash(s, n);
  uint32_t tag = static_cast<uint32_t>(h >> 32) | 1u;
  size_t p = h & mask_;
  const Slot* slots = slots_.data();
  while (slots[p].tag != 0) {
    const Slot& sl = slots[p];
    if (sl.tag == tag && sl.len == n && std::memcmp(arena_.data() + sl.offset, s, n) == 0) return sl.id;
    p = (p + 1) & mask_;
  }
  return -1;
}

void ModelTokenizer::set_added_tokens(std::vector<AddedToken> tokens) {
  added_ = std::move(tokens);
  added_ids_.clear();
  added_tokens_by_id_.clear();
  std::memset(added_first_byte_, 0, sizeof(added_first_byte_));
  for (const auto& t : added_) {
    if (t.content.empty()) continue;
    added_ids_[t.content] = t.id;
    added_tokens_by_id_[t.id] = t.content;
    added_first_byte_[static_cast<unsigned char>(t.content[0])] = true;
  }
}

int64_t ModelTokenizer::token_to_id(std::string_view token) const {
  if (!added_ids_.empty()) {
    auto it = added_ids_.find(std::string(token));
    if (it != added_ids_.end()) return it->second;
  }
  return model_token_to_id(token);
}

std::string ModelTokenizer::id_to_token(int64_t id) const {
  if (!added_tokens_by_id_.empty()) {
    auto it = added_tokens_by_id_.find(id);
    if (it != added_tokens_by_id_.end()) return it->second;
  }
  const std::string* s = model_id_to_token(id);
  return s ? *s : std::string();
}

size_t ModelTokenizer::vocab_size() const {
  size_t n = model_vocab_size();
  for (const auto& t : added_)
    if (t.id >= 0 && static_cast<size_t>(t.id) >= n) n = static_cast<size_t>(t.id) + 1;
  return n;
}

void ModelTokenizer::encode_pieces(std::string_view text, Encoding& out) const {
  check_utf8(text);
  if (added_.empty()) {
    encode_segment(text, 0, out);
    return;
  }
  // Leftmost, then longest added token; the text between goes to the model.
  size_t seg = 0, i = 0, n = text.size();
  auto is_ws = [&](size_t p) { return p < n && (text[p] == ' ' || text[p] == '\t' || text[p] == '\n' || text[p] == '\r'); };
  while (i < n) {
    if (!added_first_byte_[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    const AddedToken* best = nullptr;
    for (const auto& t : added_) {
      if (t.content.empty() || text.compare(i, t.content.size(), t.content) != 0) continue;
      if (t.single_word) {
        auto word_char = [&](size_t p) {
          unsigned char c = static_cast<unsigned char>(text[p]);
          return c >= 0x80 || std::isalnum(c) || c == '_';
        };
        if ((i > 0 && word_char(i - 1)) ||
            (i + t.content.size() < n && word_char(i + t.content.size())))
          continue;
      }
      if (!best || t.content.size() > best->content.size()) best = &t;
    }
    if (!best) {
      ++i;
      continue;
    }
    size_t start = i, end = i + best->content.size();
    size_t cut_start = start, cut_end = end;
    if (best->lstrip)
      while (cut_start > seg && is_ws(cut_start - 1)) --cut_start;
    if (best->rstrip)
      while (is_ws(cut_end)) ++cut_end;
    if (cut_start > seg) encode_segment(text.substr(seg, cut_start - seg), seg, out);
    out.ids.push_back(best->id);
    out.tokens.push_back(best->content);
    out.offsets.emplace_back(static_cast<int64_t>(start), static_cast<int64_t>(end));
    seg = i = cut_end;
  }
  if (seg < n) encode_segment(text.substr(seg), seg, out);
}

void ModelTokenizer::make_dir(const std::string& dir) {
  std::string cur;
  for (size_t i = 0; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      if (!cur.empty() && ::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
        throw Error("cannot create directory " + cur + ": " + std::strerror(errno));
    }
    if (i < dir.size()) cur.push_back(dir[i]);
  }
}

void ModelTokenizer::write_file(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error("cannot write " + path + ": " + std::strerror(errno));
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();  // a full disk shows at the final flush
  if (!out) throw Error("cannot write " + path + ": " + std::strerror(errno));
}

void ModelTokenizer::save_config(const std::string& dir, const std::string& tokenizer_class,
                                 const nlohmann::ordered_json& extra) const {
  nlohmann::ordered_json map = nlohmann::ordered_json::object();
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) map[key] = v;
  };
  put("unk_token", special_.unk);
  put("sep_token", special_.sep);
  put("pad_token", special_.pad);
  put("cls_token", special_.cls);
  put("mask_token", special_.mask);
  put("bos_token", special_.bos);
  put("eos_token", special_.eos);
  nlohmann::ordered_json cfg = nlohmann::ordered_json::object();
  cfg["tokenizer_class"] = tokenizer_class;
  // 0 = no limit (XLNet), written as Hugging Face's VERY_LARGE_INTEGER.
  if (model_max_length_ == 0)
    cfg["model_max_length"] = 1e30;
  else
    cfg["model_max_length"] = model_max_length_;
  cfg["trfpipe_family"] = family_name(family_);
  for (auto it = config_extra_.begin(); it != config_extra_.end(); ++it) cfg[it.key()] = it.value();
  for (auto it = extra.begin(); it != extra.end(); ++it) cfg[it.key()] = it.value();
  for (auto it = map.begin(); it != map.end(); ++it) cfg[it.key()] = it.value();
  if (!tokenizer_json_.empty()) write_file(dir + "/tokenizer.json", tokenizer_json_);
  write_file(dir + "/special_tokens_map.json", map.dump(2));
  write_file(dir + "/tokenizer_config.json", cfg.dump(2));
}

}  // namespace trfpipe::subword
