// Shared data of the spancat tests: spaCy's test_spancat.py TRAIN_DATA and
// TRAIN_DATA_OVERLAPPING ({"spans": {key: [(start_char, end_char, label)]}}) as Examples.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "trfpipe/example.hpp"
#include "trfpipe/language.hpp"

namespace trfpipe::testing {

inline const std::string kSpanKey = "labeled_spans";
using SpanData = std::vector<std::pair<std::string, Json>>;  // (text, [[start, end, label], ...])

inline const SpanData& spancat_train_data() {
  static const SpanData d = {
      {"Who is Shaka Khan?", Json::array({Json::array({7, 17, "PERSON"})})},
      {"I like London and Berlin.",
       Json::array({Json::array({7, 13, "LOC"}), Json::array({18, 24, "LOC"})})}};
  return d;
}

inline const SpanData& spancat_overlapping_data() {
  static const SpanData d = {
      {"Who is Shaka Khan?", Json::array({Json::array({7, 17, "PERSON"})})},
      {"I like London and Berlin",
       Json::array({Json::array({7, 13, "LOC"}), Json::array({18, 24, "LOC"}),
                    Json::array({7, 24, "DOUBLE_LOC"})})},
      {"", Json::array()}};
  return d;
}

// spaCy's Example.from_dict(nlp.make_doc(text), {"spans": {kSpanKey: spans}}).
inline std::vector<Example> spancat_examples(Language& nlp, const SpanData& data) {
  std::vector<Example> out;
  for (const auto& [text, spans] : data) {
    auto ref = std::make_shared<Doc>(nlp.make_doc(text));
    add_spans_from_dict(*ref, Json{{kSpanKey, spans}});
    out.push_back(Example::from_reference(ref));
  }
  return out;
}

}  // namespace trfpipe::testing
