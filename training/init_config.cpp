// spaCy's `init config` (the quickstart template, CPU) and `debug data` counts. Torch-free.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/training.hpp"

namespace trfpipe {
namespace {

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The embedding layer of a listening component: the tok2vec / transformer listener.
std::string listener_block(const std::string& prefix, bool transformer) {
  if (transformer)
    return "[" + prefix + "]\n@architectures = \"spacy-transformers.TransformerListener.v1\"\n"
           "grad_factor = 1.0\n\n[" + prefix + ".pooling]\n@layers = \"reduce_mean.v1\"\n\n";
  return "[" + prefix + "]\n@architectures = \"spacy.Tok2VecListener.v1\"\n"
         "width = ${components.tok2vec.model.encode.width}\n\n";
}

}  // namespace

Json quickstart_config(const std::string& lang, const std::vector<std::string>& pipeline,
                       bool accuracy, const std::string& transformer_name) {
  static const std::set<std::string> known = {"tagger", "ner", "textcat", "textcat_multilabel",
                                              "spancat", "spancat_singlelabel", "parser", "senter",
                                              "morphologizer", "trainable_lemmatizer"};
  for (const auto& p : pipeline)
    if (!known.count(p))
      throw ValueError("unsupported component '" + p +
                       "' for init config (tagger, morphologizer, parser, ner, senter, "
                       "trainable_lemmatizer, textcat, textcat_multilabel, spancat, "
                       "spancat_singlelabel)");
  if (pipeline.empty()) throw ValueError("init config: the pipeline is empty");
  const bool trf = !transformer_name.empty();
  std::vector<std::string> names{trf ? "transformer" : "tok2vec"};
  names.insert(names.end(), pipeline.begin(), pipeline.end());
  std::ostringstream c;
  c << "[paths]\ntrain = null\ndev = null\nvectors = null\ninit_tok2vec = null\n\n"
    << "[system]\ngpu_allocator = null\nseed = 0\n\n"
    << "[nlp]\nlang = \"" << lang << "\"\npipeline = " << Json(names).dump()
    << "\nbatch_size = " << (trf ? 128 : 1000) << "\n\n[components]\n\n";
  if (trf) {
    c << "[components.transformer]\nfactory = \"transformer\"\n\n"
      << "[components.transformer.model]\n@architectures = \"spacy-transformers.TransformerModel.v3\"\n"
      << "name = " << Json(transformer_name).dump() << "\nmixed_precision = false\n\n"
      << "[components.transformer.model.get_spans]\n"
      << "@span_getters = \"spacy-transformers.strided_spans.v1\"\nwindow = 128\nstride = 96\n\n"
      << "[components.transformer.model.grad_scaler_config]\n\n"
      << "[components.transformer.model.tokenizer_config]\nuse_fast = true\n\n"
      << "[components.transformer.model.transformer_config]\n\n";
  } else {
    c << "[components.tok2vec]\nfactory = \"tok2vec\"\n\n"
      << "[components.tok2vec.model]\n@architectures = \"spacy.Tok2Vec.v2\"\n\n"
      << "[components.tok2vec.model.embed]\n@architectures = \"spacy.MultiHashEmbed.v2\"\n"
      << "width = ${components.tok2vec.model.encode.width}\n"
      << "attrs = [\"NORM\",\"PREFIX\",\"SUFFIX\",\"SHAPE\"]\n"
      << "rows = " << (accuracy ? "[5000,1000,2500,2500]" : "[5000,1000,2500,2500]") << "\n"
      << "include_static_vectors = false\n\n"
      << "[components.tok2vec.model.encode]\n@architectures = \"spacy.MaxoutWindowEncoder.v2\"\n"
      << "width = " << (accuracy ? 256 : 96) << "\ndepth = " << (accuracy ? 8 : 4)
      << "\nwindow_size = 1\nmaxout_pieces = 3\n\n";
  }
  if (has(pipeline, "morphologizer")) {
    c << "[components.morphologizer]\nfactory = \"morphologizer\"\n"
      << (trf ? "" : "label_smoothing = 0.05\n") << "\n[components.morphologizer.model]\n"
      << "@architectures = \"spacy.Tagger.v2\"\nnO = null\n\n"
      << listener_block("components.morphologizer.model.tok2vec", trf);
  }
  if (has(pipeline, "tagger")) {
    c << "[components.tagger]\nfactory = \"tagger\"\n\n[components.tagger.model]\n"
      << "@architectures = \"spacy.Tagger.v2\"\nnO = null\n\n"
      << listener_block("components.tagger.model.tok2vec", trf);
  }
  if (has(pipeline, "ner")) {
    c << "[components.ner]\nfactory = \"ner\"\n\n[components.ner.model]\n"
      << "@architectures = \"spacy.TransitionBasedParser.v2\"\nstate_type = \"ner\"\n"
      << "extra_state_tokens = false\nhidden_width = 64\nmaxout_pieces = 2\nuse_upper = "
      << (trf ? "false" : "true") << "\nnO = null\n\n"
      << listener_block("components.ner.model.tok2vec", trf);
  }
  if (has(pipeline, "parser")) {
    c << "[components.parser]\nfactory = \"parser\"\n\n[components.parser.model]\n"
      << "@architectures = \"spacy.TransitionBasedParser.v2\"\nstate_type = \"parser\"\n"
      << "extra_state_tokens = false\nhidden_width = 128\nmaxout_pieces = 3\nuse_upper = "
      << (trf ? "false" : "true") << "\nnO = null\n\n"
      << listener_block("components.parser.model.tok2vec", trf);
  }
  // spaCy's template has no senter block (its `init config -p senter` fails with E956): a
  // spacy.Tagger.v2 senter listening to the shared tok2vec / transformer, like the tagger.
  if (has(pipeline, "senter")) {
    c << "[components.senter]\nfactory = \"senter\"\n\n[components.senter.model]\n"
      << "@architectures = \"spacy.Tagger.v2\"\nnO = null\n\n"
      << listener_block("components.senter.model.tok2vec", trf);
  }
  if (has(pipeline, "trainable_lemmatizer")) {
    c << "[components.trainable_lemmatizer]\nfactory = \"trainable_lemmatizer\"\n"
      << "backoff = \"orth\"\nmin_tree_freq = 3\noverwrite = false\n"
      << "scorer = {\"@scorers\":\"spacy.lemmatizer_scorer.v1\"}\ntop_k = 1\n\n"
      << "[components.trainable_lemmatizer.model]\n@architectures = \"spacy.Tagger.v2\"\n"
      << "nO = null\nnormalize = false\n\n"
      << listener_block("components.trainable_lemmatizer.model.tok2vec", trf);
  }
  for (const char* sc : {"spancat", "spancat_singlelabel"}) {
    if (!has(pipeline, sc)) continue;
    const std::string n = sc, b = "components." + n;
    const bool single = n == "spancat_singlelabel";
    c << "[" << b << "]\nfactory = \"" << n << "\"\n"
      << (single ? "negative_weight = 1.0\nallow_overlap = true\n" : "max_positive = null\n")
      << "scorer = {\"@scorers\":\"spacy.spancat_scorer.v1\"}\nspans_key = \"sc\"\n"
      << (single ? "" : "threshold = 0.5\n") << "\n"
      << "[" << b << ".model]\n@architectures = \"spacy.SpanCategorizer.v1\"\n\n"
      << "[" << b << ".model.reducer]\n@layers = \"spacy.mean_max_reducer.v1\"\nhidden_size = 128\n\n"
      << "[" << b << ".model.scorer]\n"
      << (single ? "@layers = \"Softmax.v2\"\n\n" : "@layers = \"spacy.LinearLogistic.v1\"\nnO = null\nnI = null\n\n")
      << listener_block(b + ".model.tok2vec", trf) << "[" << b << ".suggester]\n"
      << "@misc = \"spacy.ngram_suggester.v1\"\nsizes = [1,2,3]\n\n";
  }
  for (const char* tc : {"textcat", "textcat_multilabel"}) {
    if (!has(pipeline, tc)) continue;
    std::string n = tc;
    bool exclusive = n == "textcat";
    c << "[components." << n << "]\nfactory = \"" << n << "\"\n\n";
    if (trf || accuracy) {
      c << "[components." << n << ".model]\n@architectures = \"spacy.TextCatEnsemble.v2\"\nnO = null\n\n"
        << "[components." << n << ".model.linear_model]\n@architectures = \"spacy.TextCatBOW.v3\"\n"
        << "exclusive_classes = " << (exclusive ? "true" : "false")
        << "\nlength = 262144\nngram_size = 1\nno_output_layer = false\n\n"
        << listener_block("components." + n + ".model.tok2vec", trf);
    } else {
      c << "[components." << n << ".model]\n@architectures = \"spacy.TextCatBOW.v3\"\n"
        << "exclusive_classes = " << (exclusive ? "true" : "false")
        << "\nlength = 262144\nngram_size = 1\nno_output_layer = false\n\n";
    }
  }
  c << "[corpora]\n\n[corpora.train]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.train}\n"
    << "max_length = 0\n\n[corpora.dev]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.dev}\n"
    << "max_length = 0\n\n[training]\ndev_corpus = \"corpora.dev\"\ntrain_corpus = \"corpora.train\"\n";
  if (trf) {
    c << "accumulate_gradient = 3\n\n[training.optimizer]\n@optimizers = \"Adam.v1\"\n\n"
      << "[training.optimizer.learn_rate]\n@schedules = \"warmup_linear.v1\"\nwarmup_steps = 250\n"
      << "total_steps = 20000\ninitial_rate = 0.00005\n\n"
      << "[training.batcher]\n@batchers = \"spacy.batch_by_padded.v1\"\ndiscard_oversize = true\n"
      << "size = 2000\nbuffer = 256\n\n";
  } else {
    c << "\n[training.optimizer]\n@optimizers = \"Adam.v1\"\n\n"
      << "[training.batcher]\n@batchers = \"spacy.batch_by_words.v1\"\ndiscard_oversize = false\n"
      << "tolerance = 0.2\n\n[training.batcher.size]\n@schedules = \"compounding.v1\"\n"
      << "start = 100\nstop = 1000\ncompound = 1.001\n\n";
  }
  c << "[initialize]\nvectors = ${paths.vectors}\n";
  return parse_cfg(c.str(), "<quickstart>");
}

Json debug_data_counts(Language& nlp, const Reader& train, const Reader& dev) {
  Json out = Json::object();
  std::map<std::string, std::set<std::string>> label_sets;
  for (const auto& [name, reader] : {std::pair<std::string, const Reader*>{"train", &train},
                                     {"dev", &dev}}) {
    std::vector<Example> egs = (*reader)(nlp);
    size_t words = 0, missing_tags = 0, missing_ents = 0;
    size_t ws_ents = 0, punct_ents = 0, boundary_cross_ents = 0;
    std::map<std::string, size_t> tags, ents, cats;
    std::map<std::string, size_t> docs_with_ent;  // per label: docs that have one
    size_t docs_with_ents_annotation = 0;
    std::set<std::string> unique_words;
    for (const Example& eg : egs) {
      const Doc& d = eg.reference();
      words += d.size();
      bool annotated = false;
      std::set<std::string> doc_labels;
      for (size_t i = 0; i < d.size(); ++i) {
        Token t = d.token(i);
        unique_words.insert(std::string(t.text()));
        std::string tag = t.tag_();
        if (tag.empty()) ++missing_tags;
        else ++tags[tag];
        if (t.ent_iob() == 0) ++missing_ents;
        else annotated = true;
        if (t.ent_iob() == 3) {
          ++ents[t.ent_type_()];
          doc_labels.insert(t.ent_type_());
          // spaCy's debug data: entities starting with whitespace or punctuation tokens
          if (t.is_space()) ++ws_ents;
          const std::string text(t.text());
          if (text == "." || text == "'" || text == "!" || text == "?" || text == ",") ++punct_ents;
          // An entity whose tokens run into a following sentence.
          if (d.has_sents())
            for (size_t j = i + 1; j < d.size() && d.token(j).ent_iob() == 1; ++j)
              if (d.token(j).is_sent_start().value_or(false)) {
                ++boundary_cross_ents;
                break;
              }
        }
      }
      if (annotated) {
        ++docs_with_ents_annotation;
        for (const std::string& l : doc_labels) ++docs_with_ent[l];
      }
      for (const auto& kv : d.cats())
        if (kv.second > 0) ++cats[kv.first];
        else cats.emplace(kv.first, 0);
    }
    Json part = Json::object();
    part["docs"] = egs.size();
    part["words"] = words;
    part["tags"] = tags;
    part["missing_tags"] = missing_tags;
    part["entities"] = ents;
    part["missing_entity_tokens"] = missing_ents;
    part["unique_words"] = unique_words.size();
    part["ws_ents"] = ws_ents;
    part["punct_ents"] = punct_ents;
    part["boundary_cross_ents"] = boundary_cross_ents;
    // Docs with entity annotation but none of the label (spaCy's _get_examples_without_label).
    Json without = Json::object();
    for (const auto& [label, n] : ents)
      without[label] = docs_with_ents_annotation - docs_with_ent[label];
    part["docs_without_entity_label"] = without;
    part["cats"] = cats;
    out[name] = part;
  }
  return out;
}

}  // namespace trfpipe
