#include "components/parser_internals/parser_model.hpp"

#include <cmath>

#include <ATen/ATen.h>

#include "components/common/registration.hpp"
#include "models/fast_linear.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

// ---- ParserModel ----
ParserModel::ParserModel(Tok2VecPtr tok2vec, std::string state_type, bool extra_state_tokens,
                         int64_t hidden_width, int64_t maxout_pieces, bool use_upper, int64_t nO)
    : tok2vec_(std::move(tok2vec)),
      state_type_(std::move(state_type)),
      hidden_width_(hidden_width),
      nP_(maxout_pieces),
      nO_(nO),
      use_upper_(use_upper) {
  if (!tok2vec_) throw ValueError("TransitionBasedParser: tok2vec is required");
  if (state_type_ == "ner") {
    nF_ = extra_state_tokens ? 6 : 3;
  } else if (state_type_ == "parser") {
    nF_ = extra_state_tokens ? 13 : 8;
  } else {
    throw ValueError("TransitionBasedParser: state_type must be 'ner' or 'parser', not '" +
                     state_type_ + "'");
  }
  if (hidden_width_ <= 0 || nP_ <= 0)
    throw ValueError("TransitionBasedParser: hidden_width and maxout_pieces must be positive");
  // spaCy's Linear(hidden_width, t2v_width) takes nI=None when the tok2vec has no width yet (a
  // TransformerListener learns it when its transformer is loaded): built in initialize() then.
  if (tok2vec_->width() > 0)
    proj_ = std::make_unique<layers::Linear>(hidden_width_, tok2vec_->width());
  if (use_upper_) make_lower(hidden_width_);
  if (nO_ > 0 && proj_) initialize(nO_);
}

void ParserModel::make_lower(int64_t nO) {
  lower_nO_ = nO;
  double std_ = std::sqrt(1.0 / double(nF_ * hidden_width_));
  W_ = layers::param(at::randn({nF_, nO, nP_, hidden_width_}, at::kFloat) * std_);
  b_ = layers::param(at::zeros({nO, nP_}, at::kFloat));
  pad_ = layers::param(at::zeros({1, nF_, nO, nP_}, at::kFloat));
}

void ParserModel::initialize(int64_t n_actions) {
  if (!proj_) {
    if (tok2vec_->width() <= 0)
      throw ValueError(
          "TransitionBasedParser: the tok2vec's width is still unknown at "
          "initialization (a transformer listener's upstream must be initialized or "
          "loaded first)");
    proj_ = std::make_unique<layers::Linear>(hidden_width_, tok2vec_->width());
  }
  if (initialized() && n_actions == nO_) return;
  nO_ = n_actions;
  if (use_upper_) {
    upper_ = std::make_unique<layers::Linear>(n_actions, hidden_width_, true);
  } else {
    make_lower(n_actions);
  }
}

at::Tensor ParserModel::tokvecs(const std::vector<Doc*>& docs, bool is_train) {
  at::Tensor X = cat_rows(tok2vec_->forward(docs, is_train), tok2vec_->width());
  return proj_->forward(X);
}

at::Tensor ParserModel::precompute(const at::Tensor& tokvecs) const {
  const int64_t N = tokvecs.size(0), K = lower_nO_ * nP_;
  at::Tensor P = models::linear(tokvecs, W_.view({nF_ * K, hidden_width_}), {}).view({N, nF_, K});
  return at::cat({P, pad_.view({1, nF_, K})}, 0);
}

at::Tensor ParserModel::scores(const at::Tensor& precomputed, const at::Tensor& ids) const {
  const int64_t S = ids.size(0), K = lower_nO_ * nP_;
  at::Tensor slots = at::arange(nF_, at::kLong).view({1, nF_});
  at::Tensor flat = (ids * nF_ + slots).view({-1});
  at::Tensor H = precomputed.view({-1, K}).index_select(0, flat).view({S, nF_, K}).sum(1);
  H = (H + b_.view({1, K})).view({S, lower_nO_, nP_});
  H = nP_ > 1 ? std::get<0>(H.max(2)) : at::relu(H.squeeze(2));
  return upper_ ? upper_->forward(H) : H;
}

void ParserModel::collect(const std::string& prefix, NamedTensors& out) const {
  tok2vec_->collect(prefix + "tok2vec.", out);
  if (proj_) proj_->collect(prefix + "proj.", out);
  if (W_.defined()) {
    out.emplace_back(prefix + "lower.W", W_);
    out.emplace_back(prefix + "lower.b", b_);
    out.emplace_back(prefix + "lower.pad", pad_);
  }
  if (upper_) upper_->collect(prefix + "upper.", out);
}
void register_parser_architectures() {
  using registry::arg;
  using registry::Value;
  // v1 (spacy-legacy) builds the same model; only use_upper has a default there.
  for (const char* name : {"spacy.TransitionBasedParser.v2", "spacy.TransitionBasedParser.v1"})
    add_function(
        "architectures", name,
        {arg("tok2vec", "Model"), arg("state_type", "str"), arg("extra_state_tokens", "bool"),
         arg("hidden_width", "int"), arg("maxout_pieces", "int"), arg("use_upper", "bool", true),
         arg("nO", "int", nullptr)},
        [](const Value& a, const ConfigPath& path) -> std::any {
          return std::make_shared<ParserModel>(
              model_arg<Tok2VecModel>(a, "tok2vec", path), registry::get_str(a, "state_type"),
              registry::get_bool(a, "extra_state_tokens"), registry::get_int(a, "hidden_width"),
              registry::get_int(a, "maxout_pieces"), registry::get_bool(a, "use_upper"),
              optional_int(a, "nO"));
        },
        "Model[List[Doc], List[Floats2d]]");
}

Json default_transition_model(const std::string& state_type) {
  return Json{{"@architectures", "spacy.TransitionBasedParser.v2"},
              {"state_type", state_type},
              {"extra_state_tokens", false},
              {"hidden_width", 64},
              {"maxout_pieces", 2},
              {"use_upper", true},
              {"nO", nullptr},
              {"tok2vec", default_hash_embed_cnn()}};
}

std::shared_ptr<ParserModel> transition_component_model(const registry::Value& config,
                                                        const std::string& name,
                                                        const std::string& state_type) {
  const registry::Value& m = config.at("model");
  std::shared_ptr<ParserModel> model;
  if (m.is_object())
    if (const auto* p = std::any_cast<std::shared_ptr<ParserModel>>(&m.object())) model = *p;
  if (!model)
    throw ConfigError({"components", name, "model"},
                      "expected a spacy.TransitionBasedParser model, got " + m.describe());
  if (model->state_type() != state_type)
    throw ConfigError({"components", name, "model", "state_type"},
                      "the " + state_type + " component needs state_type \"" + state_type +
                          "\", not \"" + model->state_type() + "\"");
  if (!registry::is_null(config, "moves"))
    throw ConfigError({"components", name, "moves"}, "custom moves are not supported (use null)");
  return model;
}

}  // namespace trfpipe
