// The first half of the 2019 spacy-pytorch-transformers seed notebook in C++: for each pipeline
// folder given (sentencizer + trf_wordpiecer + trf_tok2vec over a BERT or an XLNet model), the
// word pieces and alignment of "Here is some text to encode.", doc.tensor (one row per token,
// summing to the wordpiece outputs), a span's tensor, then the Apple similarities.
//
//   seed_2019 out/seed_2019/bert-pipeline out/seed_2019/xlnet-pipeline
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include <trfpipe/transformer.hpp>
#include <trfpipe/trfpipe.hpp>

namespace {

template <class T>
std::string list(const std::vector<T>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ", ";
    if constexpr (std::is_same_v<T, std::string>) s += "'" + v[i] + "'";
    else if constexpr (std::is_arithmetic_v<T>) s += std::to_string(v[i]);
    else s += list(v[i]);
  }
  return s + "]";
}

void seed(const std::string& dir) {
  auto nlp = trfpipe::Language::load(dir);
  std::cout << "== " << dir << " (pipeline:";
  for (const auto& n : nlp->pipe_names()) std::cout << " " << n;
  std::cout << ")\n";
  trfpipe::Doc doc = (*nlp)("Here is some text to encode.");
  const auto& pieces = doc.ext_as<std::vector<std::string>>("trf_word_pieces_");
  const auto& ids = doc.ext_as<std::vector<int64_t>>("trf_word_pieces");
  const auto& alignment = doc.ext_as<std::vector<std::vector<int64_t>>>("trf_alignment");
  std::cout << "doc._.trf_word_pieces_ = " << list(pieces) << "\n";
  std::cout << "doc._.trf_word_pieces = " << list(ids) << "\n";
  std::cout << "doc._.trf_alignment = " << list(alignment) << "\n";
  const trfpipe::Matrix& tensor = doc.tensor();
  std::cout << "doc.tensor.shape = (" << tensor.rows << ", " << tensor.cols << ")\n";
  // The raw transformer output has one row per wordpiece; doc.tensor keeps its sum.
  const trfpipe::Json trf = trfpipe::transformer_doc_json(doc);
  const auto& lhs = trf["trf_last_hidden_state"];
  std::cout << "len(doc._.trf_last_hidden_state) = " << lhs["shape"][0].get<int64_t>()
            << ", len(doc._.trf_word_pieces) = " << ids.size() << "\n";
  double worst = 0;
  for (int64_t c = 0; c < tensor.cols; ++c) {
    double a = 0, b = 0;
    for (int64_t r = 0; r < tensor.rows; ++r) a += tensor.row(r)[c];
    for (const auto& row : lhs["rows"]) b += row[static_cast<size_t>(c)].get<double>();
    worst = std::max(worst, std::abs(a - b));
  }
  std::cout << "max |doc.tensor.sum(0) - trf_last_hidden_state.sum(0)| = " << worst << "\n";
  if (trf.contains("trf_pooler_output"))
    std::cout << "doc._.trf_pooler_output.shape = (" << trf["trf_pooler_output"]["shape"][0] << ", "
              << trf["trf_pooler_output"]["shape"][1] << ")\n";
  trfpipe::Span span = doc.span(2, 4);
  std::vector<float> span_sum(static_cast<size_t>(tensor.cols), 0.f), span_vec = span.vector();
  for (int64_t r = 2; r < 4; ++r)
    for (int64_t c = 0; c < tensor.cols; ++c) span_sum[static_cast<size_t>(c)] += tensor.row(r)[c];
  std::cout << "span = doc[2:4] ('" << span.text() << "'): span.vector == doc.tensor[2:4].sum(0): "
            << (span_vec == span_sum ? "true" : "false") << "\n";
  // .vector and .similarity use the transformer outputs.
  trfpipe::Doc apple1 = (*nlp)("Apple shares rose on the news.");
  trfpipe::Doc apple2 = (*nlp)("Apple sold fewer iPhones this quarter.");
  trfpipe::Doc apple3 = (*nlp)("Apple pie is delicious.");
  std::cout << "apple1[0].similarity(apple2[0]) = " << apple1[0].similarity(apple2[0]) << "\n";
  std::cout << "apple1[0].similarity(apple3[0]) = " << apple1[0].similarity(apple3[0]) << "\n";
  std::cout << "apple1[0:2].similarity(apple2[0:2]) = " << apple1.span(0, 2).similarity(apple2.span(0, 2)) << "\n";
  std::cout << "apple1.similarity(apple2) = " << apple1.similarity(apple2) << "\n";
  std::cout << "apple1.similarity(apple3) = " << apple1.similarity(apple3) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: seed_2019 PIPELINE_DIR [PIPELINE_DIR ...]\n";
    return 2;
  }
  try {
    for (int i = 1; i < argc; ++i) seed(argv[i]);
  } catch (const trfpipe::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
