// spaCy's corpus readers (spacy/training/corpus.py) and batchers (spacy/training/batchers.py).
#include <algorithm>
#include <filesystem>
#include <iterator>

#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe {
namespace {

// A new Doc holding tokens [start, end) of `doc` with their annotations (spaCy's Span.as_doc).
Doc slice_doc(const Doc& doc, size_t start, size_t end) {
  std::vector<std::string> words;
  std::vector<bool> spaces;
  for (size_t i = start; i < end; ++i) {
    const TokenData& t = doc.tokens()[i];
    words.emplace_back(doc.text().substr(t.idx_bytes, t.len_bytes));
    spaces.push_back(i + 1 == end ? false : t.space);
  }
  Doc out(doc.vocab_ptr(), words, spaces);
  for (size_t i = start; i < end; ++i) {
    const TokenData& s = doc.tokens()[i];
    TokenData& d = out.tokens()[i - start];
    d.lemma = s.lemma;
    d.tag = s.tag;
    d.pos = s.pos;
    d.dep = s.dep;
    d.morph = s.morph;
    d.ent_type = s.ent_type;
    d.ent_kb_id = s.ent_kb_id;
    d.ent_id = s.ent_id;
    d.ent_iob = s.ent_iob;
    d.sent_start = s.sent_start;
    int64_t head = int64_t(i) + s.head;
    d.head = (head >= int64_t(start) && head < int64_t(end)) ? s.head : 0;
  }
  // An entity cut at the start becomes a begin.
  if (!out.tokens().empty()) {
    if (out.tokens()[0].ent_iob == 1) out.tokens()[0].ent_iob = 3;
    if (out.tokens()[0].sent_start != 0) out.tokens()[0].sent_start = 1;
  }
  for (const auto& kv : doc.cats()) out.cats()[kv.first] = kv.second;
  if (out.has_annotation("DEP")) out.set_children_from_heads();  // as Span.as_doc (from_array)
  return out;
}

std::vector<std::pair<size_t, size_t>> sentence_bounds(const Doc& doc) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t start = 0;
  for (size_t i = 1; i <= doc.size(); ++i) {
    if (i == doc.size() || doc.tokens()[i].sent_start == 1) {
      out.emplace_back(start, i);
      start = i;
    }
  }
  return out;
}

Example make_example(Language& nlp, std::shared_ptr<Doc> reference, bool gold_preproc) {
  if (gold_preproc || has_unknown_spaces(*reference))
    return Example::from_reference(std::move(reference));
  auto predicted = std::make_shared<Doc>(nlp.make_doc(reference->text()));
  return Example(std::move(predicted), std::move(reference));
}

}  // namespace

Corpus::Corpus(CorpusOptions options, std::vector<std::string> config_path)
    : options_(std::move(options)) {
  if (options_.path.empty())
    throw ConfigError(config_path,
                      "[E913] Corpus path can't be None. Maybe you forgot to define it in your "
                      ".cfg file or override it on the CLI?");
}

std::vector<std::string> Corpus::files() const {
  fs::path p(options_.path);
  if (!fs::exists(p)) throw DataError(options_.path, -1, "can't find the corpus file or directory");
  std::vector<std::string> out;
  if (fs::is_directory(p)) {
    for (const auto& e : fs::recursive_directory_iterator(p)) {
      if (!e.is_regular_file()) continue;
      std::string name = e.path().filename().string();
      if (name.rfind('.', 0) == 0) continue;
      if (e.path().extension() == ".spacy") out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    if (out.empty())
      throw DataError(options_.path, -1, "no .spacy files found in the corpus directory");
  } else {
    out.push_back(p.string());
  }
  return out;
}

std::vector<Doc> Corpus::read_docs(Language& nlp) const {
  std::vector<Doc> out;
  for (const std::string& file : files()) {
    for (Doc& doc : read_docbin(file, nlp.vocab_ptr())) {
      if (doc.size() == 0) continue;
      out.push_back(std::move(doc));
      if (options_.limit >= 1 && int64_t(out.size()) >= options_.limit) return out;
    }
  }
  return out;
}

std::vector<Example> Corpus::operator()(Language& nlp) const {
  std::vector<Example> out;
  const int64_t max_len = options_.max_length;
  for (Doc& doc : read_docs(nlp)) {
    auto ref = std::make_shared<Doc>(std::move(doc));
    if (options_.gold_preproc) {
      if (ref->has_annotation("SENT_START")) {
        for (auto [s, e] : sentence_bounds(*ref)) {
          if (e == s) continue;
          out.push_back(make_example(nlp, std::make_shared<Doc>(slice_doc(*ref, s, e)), true));
        }
      } else {
        out.push_back(make_example(nlp, ref, true));
      }
      continue;
    }
    if (max_len == 0 || int64_t(ref->size()) < max_len) {
      out.push_back(make_example(nlp, ref, false));
    } else if (ref->has_annotation("SENT_START")) {
      for (auto [s, e] : sentence_bounds(*ref)) {
        if (e == s || int64_t(e - s) >= max_len) continue;
        out.push_back(make_example(nlp, std::make_shared<Doc>(slice_doc(*ref, s, e)), false));
      }
    }
  }
  return out;
}

std::vector<Example> read_jsonl_corpus(const JsonlCorpusOptions& o, Language& nlp) {
  std::vector<Example> out;
  MakeDoc make_doc = [&](std::string_view text) { return nlp.make_doc(text); };
  for (Doc& doc : read_jsonl(o.path, make_doc)) {
    if (o.min_length > 0 && int64_t(doc.size()) < o.min_length) continue;
    if (o.max_length > 0 && int64_t(doc.size()) > o.max_length) continue;
    auto ref = std::make_shared<Doc>(std::move(doc));
    auto pred = std::make_shared<Doc>(ref->copy());
    pred->spans().clear();  // span groups are reference annotation
    out.emplace_back(pred, ref);
    if (o.limit >= 1 && int64_t(out.size()) >= o.limit) break;
  }
  return out;
}

// ----------------------------------------------------------------------------------- batchers

SizeSchedule constant_size(double size) {
  return [size](int64_t) { return size; };
}

Batcher batch_by_words(SizeSchedule size, double tolerance, bool discard_oversize) {
  return [=](const std::vector<Example>& seqs) {
    std::vector<Batch> batches;
    int64_t size_step = 0;
    double target = size(size_step++);
    double tol = target * tolerance;
    Batch batch, overflow;
    double batch_size = 0, overflow_size = 0;
    for (const Example& eg : seqs) {
      double n = double(eg.predicted().size());
      if (n > target + tol) {
        if (!discard_oversize) batches.push_back(Batch{eg});
      } else if (overflow_size == 0 && batch_size + n <= target) {
        batch.push_back(eg);
        batch_size += n;
      } else if (batch_size + overflow_size + n <= target + tol) {
        overflow.push_back(eg);
        overflow_size += n;
      } else {
        if (!batch.empty()) batches.push_back(std::move(batch));
        target = size(size_step++);
        tol = target * tolerance;
        batch = std::move(overflow);
        batch_size = overflow_size;
        overflow.clear();
        overflow_size = 0;
        if (batch_size + n <= target) {
          batch.push_back(eg);
          batch_size += n;
        } else if (batch_size + n <= target + tol) {
          overflow.push_back(eg);
          overflow_size += n;
        } else {
          if (!batch.empty()) batches.push_back(std::move(batch));
          target = size(size_step++);
          tol = target * tolerance;
          batch = Batch{eg};
          batch_size = n;
        }
      }
    }
    batch.insert(batch.end(), overflow.begin(), overflow.end());
    if (!batch.empty()) batches.push_back(std::move(batch));
    return batches;
  };
}

Batcher batch_by_padded(SizeSchedule size, int64_t buffer, bool discard_oversize) {
  if (buffer < 1) throw ValueError("batch_by_padded: buffer must be at least 1");
  return [=](const std::vector<Example>& seqs) {
    std::vector<Batch> batches;
    int64_t size_step = 0;
    for (size_t outer = 0; outer < seqs.size(); outer += size_t(buffer)) {
      size_t outer_end = std::min(seqs.size(), outer + size_t(buffer));
      double target = size(size_step++);
      std::vector<std::pair<size_t, size_t>> lengths;  // (length, index)
      for (size_t i = outer; i < outer_end; ++i)
        lengths.emplace_back(seqs[i].predicted().size(), i - outer);
      std::sort(lengths.begin(), lengths.end());
      std::vector<std::vector<size_t>> groups;
      std::vector<size_t> group;
      for (auto [len, i] : lengths) {
        if (group.empty() || double(len) * double(group.size() + 1) <= target) {
          group.push_back(i);
        } else {
          groups.push_back(group);
          group = {i};
        }
      }
      if (!group.empty()) groups.push_back(group);
      std::reverse(groups.begin(), groups.end());
      for (auto& g : groups) {
        std::sort(g.begin(), g.end());
        Batch b;
        size_t longest = 0;
        for (size_t i : g) {
          b.push_back(seqs[outer + i]);
          longest = std::max(longest, seqs[outer + i].predicted().size());
        }
        double padded = double(longest) * double(b.size());
        if (discard_oversize && padded >= target) continue;
        batches.push_back(std::move(b));
      }
    }
    return batches;
  };
}

Batcher batch_by_sequence(SizeSchedule size) {
  return [=](const std::vector<Example>& seqs) {
    std::vector<Batch> batches;
    int64_t size_step = 0;
    size_t i = 0;
    while (i < seqs.size()) {
      int64_t n = int64_t(size(size_step++));
      if (n < 1) throw ValueError("batch_by_sequence: the batch size must be at least 1");
      size_t end = std::min(seqs.size(), i + size_t(n));
      batches.emplace_back(seqs.begin() + int64_t(i), seqs.begin() + int64_t(end));
      i = end;
    }
    return batches;
  };
}

}  // namespace trfpipe
