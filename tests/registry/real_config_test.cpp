// Resolving real spaCy/thinc configs (as confection parsed and interpolated them: the
// ../shared/data/configs/expected/*.json trees) with stand-in functions registered under the
// real names and argument lists. The stand-ins record their arguments (fixtures of the resolver).
#include <gtest/gtest.h>

#include <fstream>

#include "registry/fixtures.hpp"
#include "trfpipe/config.hpp"

using namespace trfpipe;
using namespace trfpipe::registry;
using trfpipe::registry::testing::config_error;
using trfpipe::registry::testing::define;
using trfpipe::registry::testing::keys;
using trfpipe::registry::testing::made;
using trfpipe::registry::testing::MadePtr;

namespace {

const char* const kQuickstart = "spaCy__quickstart_training.jinja__rendered_cpu_tagger_ner_textcat_multilabel_accuracy";

Json interpolated(const std::string& name) {
  std::string path = std::string(TRFPIPE_SHARED_DIR) + "/data/configs/expected/" + name + ".json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("can't read " + path);
  return Json::parse(in).at("interpolated");
}

std::string config_file(const std::string& name) {
  return std::string(TRFPIPE_SHARED_DIR) + "/data/configs/" + name + ".cfg";
}

class RealConfig : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // spaCy 3.8 / thinc 8 signatures of the functions the quickstart config names.
    define("architectures", "spacy.Tok2Vec.v2", {arg("embed", "Model"), arg("encode", "Model")});
    define("architectures", "spacy.MultiHashEmbed.v2",
           {arg("width", "int"), arg("attrs", "list[str|int]"), arg("rows", "list[int]"),
            arg("include_static_vectors", "bool")});
    define("architectures", "spacy.MaxoutWindowEncoder.v2",
           {arg("width", "int"), arg("window_size", "int"), arg("maxout_pieces", "int"), arg("depth", "int")});
    define("architectures", "spacy.Tagger.v2",
           {arg("tok2vec", "Model"), arg("nO", "int", nullptr), arg("normalize", "bool", false)});
    define("architectures", "spacy.Tok2VecListener.v1", {arg("width", "int"), arg("upstream", "str", "*")});
    define("architectures", "spacy.TransitionBasedParser.v2",
           {arg("tok2vec", "Model"), arg("state_type", "str"), arg("extra_state_tokens", "bool"),
            arg("hidden_width", "int"), arg("maxout_pieces", "int"), arg("use_upper", "bool"),
            arg("nO", "int", nullptr)});
    define("architectures", "spacy.TextCatEnsemble.v2",
           {arg("tok2vec", "Model"), arg("linear_model", "Model"), arg("nO", "int", nullptr)});
    define("architectures", "spacy.TextCatBOW.v3",
           {arg("exclusive_classes", "bool"), arg("ngram_size", "int"), arg("no_output_layer", "bool"),
            arg("length", "int", 262144), arg("nO", "int", nullptr)});
    define("readers", "spacy.Corpus.v1",
           {arg("path", "str|null"), arg("gold_preproc", "bool", false), arg("max_length", "int", 0),
            arg("limit", "int", 0), arg("augmenter", "Callable", nullptr)});
    define("optimizers", "Adam.v1",
           {arg("learn_rate", "float|Schedule", 0.001), arg("L2", "float|Schedule", 0.0),
            arg("beta1", "float|Schedule", 0.9), arg("beta2", "float|Schedule", 0.999),
            arg("eps", "float|Schedule", 1e-08), arg("grad_clip", "float|Schedule", 1.0),
            arg("use_averages", "bool", true), arg("L2_is_weight_decay", "bool", true)});
    define("batchers", "spacy.batch_by_words.v1",
           {arg("size", "int|Schedule"), arg("tolerance", "float", 0.2), arg("discard_oversize", "bool", false),
            arg("get_length", "Callable", nullptr)});
    define("schedules", "compounding.v1",
           {arg("start", "float"), arg("stop", "float"), arg("compound", "float"), arg("t", "float", 0.0)});
    // thinc's test_arg_order_is_preserved config.
    define("layers", "chain.v1", {arg("*", "Model")});
    define("layers", "HashEmbed.v1",
           {arg("nO", "int"), arg("nV", "int"), arg("seed", "int", nullptr), arg("column", "int", 0)});
    define("layers", "expand_window.v1", {arg("window_size", "int", 1)});
  }
};

}  // namespace

namespace {

// What the quickstart config resolves to.
void check_quickstart(const Value& config) {
  EXPECT_EQ(config.at("nlp").at("pipeline").as<std::vector<std::string>>(),
            (std::vector<std::string>{"tok2vec", "tagger", "ner", "textcat_multilabel"}));
  EXPECT_EQ(config.at("initialize").at("vectors").as<std::string>(), "en_core_web_lg");

  const Value& components = config.at("components");
  EXPECT_EQ(components.at("tagger").at("factory").as<std::string>(), "tagger");
  EXPECT_DOUBLE_EQ(components.at("tagger").at("label_smoothing").as<double>(), 0.05);

  MadePtr tok2vec = made(components.at("tok2vec").at("model"));
  EXPECT_EQ(tok2vec->name, "spacy.Tok2Vec.v2");
  MadePtr embed = made(tok2vec->args.at("embed"));
  EXPECT_EQ(get_int(embed->args, "width"), 256);  // ${components.tok2vec.model.encode.width}
  EXPECT_EQ(get_str_list(embed->args, "attrs"), (std::vector<std::string>{"NORM", "PREFIX", "SUFFIX", "SHAPE"}));
  EXPECT_EQ(embed->args.at("rows").as<std::vector<int>>(), (std::vector<int>{5000, 1000, 2500, 2500}));
  EXPECT_EQ(get_int(made(tok2vec->args.at("encode"))->args, "depth"), 8);

  const Value& tagger_model = components.at("tagger").at("model");
  EXPECT_EQ(tagger_model.made_by(), "@architectures spacy.Tagger.v2");
  MadePtr tagger = made(tagger_model);
  EXPECT_TRUE(is_null(tagger->args, "nO"));
  EXPECT_FALSE(get_bool(tagger->args, "normalize"));  // default
  MadePtr listener = made(tagger->args.at("tok2vec"));
  EXPECT_EQ(listener->path, (std::vector<std::string>{"components", "tagger", "model", "tok2vec"}));
  EXPECT_EQ(get_str(listener->args, "upstream"), "*");

  MadePtr parser = made(components.at("ner").at("model"));
  EXPECT_EQ(get_str(parser->args, "state_type"), "ner");
  EXPECT_EQ(get_int(parser->args, "hidden_width"), 64);

  MadePtr ensemble = made(components.at("textcat_multilabel").at("model"));
  MadePtr bow = made(ensemble->args.at("linear_model"));
  EXPECT_EQ(get_int(bow->args, "length"), 262144);
  EXPECT_FALSE(get_bool(bow->args, "exclusive_classes"));

  MadePtr train = made(config.at("corpora").at("train"));
  EXPECT_TRUE(is_null(train->args, "path"));  // ${paths.train} = null
  EXPECT_EQ(get_int(train->args, "limit"), 0);

  MadePtr adam = made(config.at("training").at("optimizer"));
  EXPECT_DOUBLE_EQ(get_float(adam->args, "beta1"), 0.9);
  EXPECT_DOUBLE_EQ(get_float(adam->args, "eps"), 1e-08);
  MadePtr batcher = made(config.at("training").at("batcher"));
  MadePtr size = made(batcher->args.at("size"));
  EXPECT_EQ(size->name, "compounding.v1");
  EXPECT_DOUBLE_EQ(get_float(size->args, "start"), 100.0);
  EXPECT_DOUBLE_EQ(get_float(size->args, "compound"), 1.001);
}

}  // namespace

TEST_F(RealConfig, ResolvesTheQuickstartConfig) { check_quickstart(resolve(interpolated(kQuickstart))); }

TEST_F(RealConfig, ResolvesTheQuickstartConfigReadByTheConfigParser) {
  Json tree = load_config_file(config_file(kQuickstart));
  EXPECT_EQ(tree, interpolated(kQuickstart));
  check_quickstart(resolve(tree));
}

TEST_F(RealConfig, FillsTheQuickstartConfigLikeInitFillConfig) {
  Json tree = interpolated(kQuickstart);
  Json filled = fill_defaults(tree);
  EXPECT_EQ(keys(filled["training"]["optimizer"]),
            (std::vector<std::string>{"@optimizers", "learn_rate", "L2", "beta1", "beta2", "eps", "grad_clip",
                                      "use_averages", "L2_is_weight_decay"}));
  EXPECT_EQ(filled["training"]["optimizer"]["use_averages"], true);
  EXPECT_EQ(keys(filled["components"]["tagger"]["model"]),
            (std::vector<std::string>{"@architectures", "nO", "tok2vec", "normalize"}));
  EXPECT_EQ(keys(filled["components"]["tagger"]["model"]["tok2vec"]),
            (std::vector<std::string>{"@architectures", "width", "upstream"}));
  EXPECT_EQ(keys(filled["corpora"]["train"]),
            (std::vector<std::string>{"@readers", "path", "max_length", "gold_preproc", "limit", "augmenter"}));
  EXPECT_EQ(filled["training"]["batcher"]["size"]["t"], 0.0);
  EXPECT_EQ(filled["paths"], tree["paths"]);
  EXPECT_EQ(filled["nlp"], tree["nlp"]);
  EXPECT_EQ(keys(filled), keys(tree));
  EXPECT_EQ(fill_defaults(filled), filled);  // filling is idempotent
  // The filled config resolves to the same values.
  MadePtr adam = made(resolve(filled).at("training").at("optimizer"));
  EXPECT_DOUBLE_EQ(get_float(adam->args, "grad_clip"), 1.0);
}

TEST_F(RealConfig, MisspelledArchitectureListsTheAvailableNames) {
  Json tree = interpolated(kQuickstart);
  tree["components"]["tagger"]["model"]["@architectures"] = "spacy.Tager.v2";
  for (bool fill : {false, true}) {
    ConfigError e = config_error([&] { fill ? (void)fill_defaults(tree) : (void)resolve(tree); });
    EXPECT_EQ(e.path(), (std::vector<std::string>{"components", "tagger", "model"}));
    EXPECT_EQ(e.message().rfind("Can't find 'spacy.Tager.v2' in registry architectures. Available names: ", 0), 0u)
        << e.what();
    EXPECT_NE(e.message().find("spacy.Tagger.v2, "), std::string::npos) << e.what();
  }
}

TEST_F(RealConfig, MisspelledArgumentInTheRealConfigNamesItsPath) {
  Json tree = interpolated(kQuickstart);
  Json& model = tree["components"]["ner"]["model"];
  model["hiden_width"] = model["hidden_width"];
  model.erase("hidden_width");
  ConfigError e = config_error([&] { resolve(tree); });
  EXPECT_EQ(std::string(e.what()).rfind("components -> ner -> model -> hiden_width: unexpected argument", 0), 0u)
      << e.what();
}

TEST_F(RealConfig, ThincPositionalSectionsKeepTheirOrder) {
  Json tree = interpolated("thinc__thinc__tests__test_config.py__test_arg_order_is_preserved");
  ASSERT_EQ(keys(tree["model"]["chain"]["*"]), (std::vector<std::string>{"hashembed", "expand_window"}));
  Value v = resolve(tree);
  MadePtr chain = made(v.at("model").at("chain"));
  const auto& layers = chain->args.at("*").elements();
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(made(layers[0])->name, "HashEmbed.v1");
  EXPECT_EQ(get_int(made(layers[0])->args, "nV"), 8);
  EXPECT_EQ(made(layers[1])->name, "expand_window.v1");
  EXPECT_EQ(made(layers[1])->path, (std::vector<std::string>{"model", "chain", "*", "expand_window"}));
  Json filled = fill_defaults(tree);
  EXPECT_EQ(keys(filled["model"]["chain"]["*"]), (std::vector<std::string>{"hashembed", "expand_window"}));
  EXPECT_EQ(keys(filled["model"]["chain"]["*"]["hashembed"]),
            (std::vector<std::string>{"@layers", "nO", "nV", "seed", "column"}));
}

TEST_F(RealConfig, TwoRegistryReferencesInTheParsedFileFailAtResolution) {
  Json tree = load_config_file(config_file("neg_two_registry_refs"));  // parses fine
  ConfigError e = config_error([&] { resolve(tree); });
  EXPECT_EQ(e.what(), std::string("model: a block can only contain one function registry reference "
                                  "(\"@registry = name\"), got 2: @layers, @architectures"));
}

TEST_F(RealConfig, ThincPositionalSectionsReadByTheConfigParserKeepTheirOrder) {
  Value v = resolve(load_config_file(config_file("thinc__thinc__tests__test_config.py__test_arg_order_is_preserved")));
  const auto& layers = made(v.at("model").at("chain"))->args.at("*").elements();
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(made(layers[0])->name, "HashEmbed.v1");
  EXPECT_EQ(made(layers[1])->name, "expand_window.v1");
}

TEST_F(RealConfig, TwoRegistryReferencesFailAtResolution) {
  Json tree = interpolated("neg_two_registry_refs");
  ConfigError e = config_error([&] { resolve(tree); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"model"}));
  EXPECT_NE(e.message().find("@layers, @architectures"), std::string::npos) << e.what();
  EXPECT_EQ(config_error([&] { fill_defaults(tree); }).path(), (std::vector<std::string>{"model"}));
}
