// spaCy's Scorer (spacy/scorer.py) and Language.evaluate.
#include "trfpipe/scorer.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <unordered_map>

#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/morphology.hpp"

namespace trfpipe {

double PRFScore::precision() const { return double(tp) / (double(tp) + double(fp) + 1e-100); }
double PRFScore::recall() const { return double(tp) / (double(tp) + double(fn) + 1e-100); }
double PRFScore::fscore() const {
  double p = precision(), r = recall();
  return 2 * ((p * r) / (p + r + 1e-100));
}
Json PRFScore::to_dict() const {
  return Json{{"p", precision()}, {"r", recall()}, {"f", fscore()}};
}
PRFScore& PRFScore::operator+=(const PRFScore& o) {
  tp += o.tp;
  fp += o.fp;
  fn += o.fn;
  return *this;
}

bool ROCAUCScore::is_binary() const {
  std::set<double> distinct(golds.begin(), golds.end());
  return distinct.size() == 2;
}

double ROCAUCScore::score() const { return roc_auc_score(golds, cands); }

double roc_auc_score(const std::vector<double>& y_true, const std::vector<double>& y_score) {
  std::set<double> distinct(y_true.begin(), y_true.end());
  if (distinct.size() != 2) {
    std::string found;
    for (double d : distinct) found += (found.empty() ? "" : ", ") + Json(d).dump();
    throw ValueError("[E165] Only one class present in the gold labels: {" + found +
                     "}. ROC AUC score is not defined in that case.");
  }
  if (y_true.size() != y_score.size())
    throw ValueError("roc_auc_score: " + std::to_string(y_true.size()) + " gold values but " +
                     std::to_string(y_score.size()) + " scores");
  // _binary_clf_curve: scores in decreasing order; one threshold per distinct score.
  size_t n = y_true.size();
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return y_score[a] > y_score[b]; });
  std::vector<double> tps{0.0}, fps{0.0};
  double cum_tp = 0;
  for (size_t k = 0; k < n; ++k) {
    cum_tp += y_true[order[k]] == 1.0 ? 1.0 : 0.0;
    bool last_of_value = k + 1 == n || y_score[order[k + 1]] != y_score[order[k]];
    if (last_of_value) {
      tps.push_back(cum_tp);
      fps.push_back(double(k + 1) - cum_tp);
    }
  }
  double tp_total = tps.back(), fp_total = fps.back();
  if (tp_total <= 0 || fp_total <= 0) return std::nan("");  // numpy gives nan rates
  double area = 0;
  for (size_t i = 1; i < tps.size(); ++i) {
    double dx = (fps[i] - fps[i - 1]) / fp_total;
    area += dx * (tps[i] / tp_total + tps[i - 1] / tp_total) / 2.0;
  }
  return area;
}

namespace scorer {
namespace {

Json null_or(bool ok, double v) { return ok ? Json(v) : Json(nullptr); }

template <class T>
void score_set(PRFScore& s, const std::set<T>& cand, const std::set<T>& gold) {
  for (const auto& c : cand) {
    if (gold.count(c)) ++s.tp;
    else ++s.fp;
  }
  for (const auto& g : gold)
    if (!cand.count(g)) ++s.fn;
}

std::string token_attr(const Token& t, const std::string& attr) {
  if (attr == "tag") return t.tag_();
  if (attr == "pos") return t.pos_();
  if (attr == "lemma") return t.lemma_();
  if (attr == "dep") return t.dep_();
  if (attr == "morph") return t.doc().vocab().strings()[t.data().morph];  // the key's string
  throw ValueError("score_token_attr: unsupported attribute '" + attr +
                   "' (tag, pos, lemma, dep, morph)");
}

}  // namespace

Json score_tokenization(const std::vector<Example>& examples) {
  PRFScore acc, prf;
  for (const Example& eg : examples) {
    const Doc& gold = eg.reference();
    const Doc& pred = eg.predicted();
    if (has_unknown_spaces(gold)) continue;
    const auto& x2y = eg.alignment().x2y;
    std::set<std::pair<size_t, size_t>> gold_spans, pred_spans;
    for (size_t i = 0; i < gold.size(); ++i) {
      Token t = gold.token(i);
      if (t.is_space()) continue;
      gold_spans.emplace(t.idx(), t.idx() + t.length());
    }
    for (size_t i = 0; i < pred.size(); ++i) {
      Token t = pred.token(i);
      if (t.is_space()) continue;
      pred_spans.emplace(t.idx(), t.idx() + t.length());
      if (x2y[i].size() != 1) ++acc.fp;
      else ++acc.tp;
    }
    score_set(prf, pred_spans, gold_spans);
  }
  bool ok = acc.size() > 0;
  return Json{{"token_acc", null_or(ok, acc.precision())},
              {"token_p", null_or(ok, prf.precision())},
              {"token_r", null_or(ok, prf.recall())},
              {"token_f", null_or(ok, prf.fscore())}};
}

Json score_token_attr(const std::vector<Example>& examples, const std::string& attr) {
  PRFScore score;
  for (const Example& eg : examples) {
    const Doc& gold = eg.reference();
    const Doc& pred = eg.predicted();
    const auto& x2y = eg.alignment().x2y;
    std::set<std::pair<int64_t, std::string>> gold_tags, pred_tags;
    std::set<int64_t> missing;
    for (size_t i = 0; i < gold.size(); ++i) {
      std::string v = token_attr(gold.token(i), attr);
      if (!v.empty()) gold_tags.emplace(int64_t(i), v);
      else missing.insert(int64_t(i));
    }
    for (size_t i = 0; i < pred.size(); ++i) {
      Token t = pred.token(i);
      if (t.is_space()) continue;
      if (x2y[i].size() == 1 && !missing.count(x2y[i][0]))
        pred_tags.emplace(x2y[i][0], token_attr(t, attr));
    }
    score_set(score, pred_tags, gold_tags);
  }
  return Json{{attr + "_acc", null_or(score.size() > 0, score.fscore())}};
}

Json score_morph_per_feat(const std::vector<Example>& examples) {
  std::vector<std::pair<std::string, PRFScore>> per_feat;  // in order of first appearance
  auto slot = [&](const std::string& field) -> PRFScore& {
    for (auto& p : per_feat)
      if (p.first == field) return p.second;
    per_feat.emplace_back(field, PRFScore{});
    return per_feat.back().second;
  };
  using Feats = std::map<std::string, std::set<std::pair<int64_t, std::string>>>;
  // Adds token gold_i's "Field=Values" features; false for an unset or empty analysis.
  auto add_feats = [&](const Token& t, int64_t gold_i, Feats& into) {
    const hash_t key = t.data().morph;
    if (key == 0) return false;
    const std::string morph = t.doc().vocab().strings()[key];
    if (morph == morphology::kEmptyMorph) return false;
    for (const auto& [field, values] : morphology::feats_to_dict(morph)) {
      slot(field);
      into[field].emplace(gold_i, field + morphology::kFieldSep + values);
    }
    return true;
  };
  PRFScore micro;
  for (const Example& eg : examples) {
    const Doc& gold = eg.reference();
    const Doc& pred = eg.predicted();
    const auto& x2y = eg.alignment().x2y;
    Feats gold_feats, pred_feats;
    std::set<int64_t> missing;
    for (size_t i = 0; i < gold.size(); ++i)
      if (!add_feats(gold.token(i), int64_t(i), gold_feats)) missing.insert(int64_t(i));
    for (size_t i = 0; i < pred.size(); ++i) {
      Token t = pred.token(i);
      if (t.is_space() || x2y[i].size() != 1 || missing.count(x2y[i][0])) continue;
      add_feats(t, x2y[i][0], pred_feats);
    }
    static const std::set<std::pair<int64_t, std::string>> none;
    for (auto& [field, score] : per_feat) {
      auto p = pred_feats.find(field), g = gold_feats.find(field);
      const auto& ps = p == pred_feats.end() ? none : p->second;
      const auto& gs = g == gold_feats.end() ? none : g->second;
      score_set(micro, ps, gs);
      score_set(score, ps, gs);
    }
  }
  if (micro.size() == 0)
    return Json{{"morph_micro_p", nullptr}, {"morph_micro_r", nullptr},
                {"morph_micro_f", nullptr}, {"morph_per_feat", nullptr}};
  Json pf = Json::object();
  for (const auto& [field, score] : per_feat) pf[field] = score.to_dict();
  return Json{{"morph_micro_p", micro.precision()}, {"morph_micro_r", micro.recall()},
              {"morph_micro_f", micro.fscore()}, {"morph_per_feat", pf}};
}

Json score_ents(const std::vector<Example>& examples) {
  std::vector<std::pair<std::string, PRFScore>> per_type;
  auto slot = [&](const std::string& label) -> PRFScore& {
    for (auto& p : per_type)
      if (p.first == label) return p.second;
    per_type.emplace_back(label, PRFScore{});
    return per_type.back().second;
  };
  for (const Example& eg : examples) {
    Doc& gold = eg.reference();
    Doc& pred = eg.predicted();
    if (!gold.has_annotation("ENT_IOB")) continue;
    std::vector<std::tuple<std::string, size_t, size_t>> golds;
    for (const Span& e : gold.ents()) golds.emplace_back(e.label_(), e.start(), e.end());
    const auto& x2y = eg.alignment().x2y;
    for (const Span& e : pred.ents()) {
      std::string label = e.label_();
      PRFScore& s = slot(label);
      std::vector<int64_t> indices;
      for (size_t i = e.start(); i < e.end(); ++i)
        indices.insert(indices.end(), x2y[i].begin(), x2y[i].end());
      if (indices.empty()) continue;
      size_t gs = size_t(indices.front()), ge = size_t(indices.back()) + 1;
      bool annotated = true;
      for (size_t i = gs; i < ge && i < gold.size(); ++i)
        if (gold.tokens()[i].ent_iob == 0) annotated = false;
      if (!annotated) continue;
      auto key = std::make_tuple(label, gs, ge);
      auto it = std::find(golds.begin(), golds.end(), key);
      if (it != golds.end()) {
        ++s.tp;
        golds.erase(it);
      } else {
        ++s.fp;
      }
    }
    for (const auto& g : golds) ++slot(std::get<0>(g)).fn;
  }
  PRFScore totals;
  for (const auto& p : per_type) totals += p.second;
  if (totals.size() == 0)
    return Json{{"ents_p", nullptr}, {"ents_r", nullptr}, {"ents_f", nullptr},
                {"ents_per_type", nullptr}};
  Json pt = Json::object();
  for (const auto& p : per_type) pt[p.first] = p.second.to_dict();
  return Json{{"ents_p", totals.precision()}, {"ents_r", totals.recall()},
              {"ents_f", totals.fscore()}, {"ents_per_type", pt}};
}

Json score_spans(const std::vector<Example>& examples, const std::string& attr,
                 const SpanGetter& getter, const std::function<bool(const Doc&)>& has_annotation,
                 bool labeled, bool allow_overlap) {
  using Key = std::tuple<std::string, size_t, size_t>;  // (label or "", start, end - 1)
  auto key_of = [labeled](const Span& s) {
    return Key(labeled ? s.label_() : std::string(), s.start(), s.end() - 1);
  };
  PRFScore score;
  std::vector<std::pair<std::string, PRFScore>> per_type;  // labels in order of appearance
  auto slot = [&](const std::string& label) -> PRFScore& {
    for (auto& p : per_type)
      if (p.first == label) return p.second;
    per_type.emplace_back(label, PRFScore{});
    return per_type.back().second;
  };
  for (const Example& eg : examples) {
    Doc& gold = eg.reference();
    Doc& pred = eg.predicted();
    if (has_annotation && !has_annotation(gold)) continue;
    const bool pred_annotated = !has_annotation || has_annotation(pred);
    std::vector<Span> gold_list = getter(gold), pred_list;
    if (pred_annotated) pred_list = getter(pred);
    std::set<std::string> labels;  // this example's: gold and predicted
    for (const auto* list : {&gold_list, &pred_list})
      for (const Span& s : *list) {
        (void)slot(s.label_());
        labels.insert(s.label_());
      }
    std::set<Key> gold_spans, pred_spans;
    std::map<std::string, std::set<Key>> gold_per_type, pred_per_type;
    for (const Span& s : gold_list) {
      gold_spans.insert(key_of(s));
      gold_per_type[s.label_()].insert(key_of(s));
    }
    if (pred_annotated)
      for (const Span& s : eg.get_aligned_spans_x2y(pred_list, allow_overlap)) {
        pred_spans.insert(key_of(s));
        pred_per_type[s.label_()].insert(key_of(s));
      }
    if (labeled)
      for (const std::string& label : labels)
        score_set(slot(label), pred_per_type[label], gold_per_type[label]);
    score_set(score, pred_spans, gold_spans);
  }
  const bool ok = score.size() > 0;
  Json r{{attr + "_p", null_or(ok, score.precision())},
         {attr + "_r", null_or(ok, score.recall())},
         {attr + "_f", null_or(ok, score.fscore())}};
  if (labeled) {
    Json pt = Json::object();
    for (const auto& [label, prf] : per_type) pt[label] = prf.to_dict();
    r[attr + "_per_type"] = ok ? pt : Json();
  }
  return r;
}

Json score_span_group(const std::vector<Example>& examples, const std::string& key, bool labeled,
                      bool allow_overlap) {
  return score_spans(
      examples, "spans_" + key,
      [key](Doc& doc) { return doc.spans().contains(key) ? doc.spans().get(key) : std::vector<Span>{}; },
      [key](const Doc& doc) { return doc.spans().contains(key); }, labeled, allow_overlap);
}

Json score_sents(const std::vector<Example>& examples) {
  // spaCy's senter_score: score_spans over doc.sents, without sents_per_type.
  Json r = score_spans(
      examples, "sents", [](Doc& doc) { return doc.sents(); },
      [](const Doc& doc) { return doc.has_annotation("SENT_START"); });
  r.erase("sents_per_type");
  return r;
}

namespace {

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return s;
}

bool is_all_space(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') return false;
  return true;
}

}  // namespace

Json score_deps(const std::vector<Example>& examples, const std::vector<std::string>& ignore,
                bool lowercase) {
  using Dep = std::tuple<size_t, size_t, std::string>;
  auto getter = [&](const Token& t) { return lowercase ? ascii_lower(t.dep_()) : t.dep_(); };
  auto head_of = [](const Token& t) { return t.has_head() ? t.head().i() : t.i(); };
  auto ignored = [&](const std::string& d) {
    return std::find(ignore.begin(), ignore.end(), d) != ignore.end();
  };
  PRFScore unlabelled, labelled;
  std::vector<std::pair<std::string, PRFScore>> per_dep;  // insertion order, as spaCy's dict
  auto per = [&](const std::string& d) -> PRFScore& {
    for (auto& p : per_dep)
      if (p.first == d) return p.second;
    return per_dep.emplace_back(d, PRFScore{}).second;
  };
  std::set<size_t> missing;  // spaCy keeps this set across examples
  for (const Example& eg : examples) {
    Doc& gold = eg.reference();
    Doc& pred = eg.predicted();
    const auto& x2y = eg.alignment().x2y;
    std::set<Dep> gold_deps, pred_deps;
    std::map<std::string, std::set<Dep>> gold_per, pred_per;
    for (size_t i = 0; i < gold.size(); ++i) {
      const Token t = gold.token(i);
      const std::string dep = getter(t);
      if (dep.empty()) {
        missing.insert(i);
        continue;
      }
      if (ignored(dep)) continue;
      gold_deps.emplace(i, head_of(t), dep);
      per(dep);
      gold_per[dep].emplace(i, head_of(t), dep);
    }
    for (size_t i = 0; i < pred.size(); ++i) {
      const Token t = pred.token(i);
      if (is_all_space(t.text())) continue;
      const bool single = i < x2y.size() && x2y[i].size() == 1;
      if (single && missing.count(size_t(x2y[i][0]))) continue;
      const std::string dep = getter(t);
      if (ignored(dep)) continue;  // (a token that is all space was skipped above)
      const size_t h = head_of(t);
      const bool head_single = h < x2y.size() && x2y[h].size() == 1;
      if (!single || !head_single) {
        ++unlabelled.fp;
        ++labelled.fp;
        continue;
      }
      const Dep d(size_t(x2y[i][0]), size_t(x2y[h][0]), dep);
      pred_deps.insert(d);
      per(dep);
      pred_per[dep].insert(d);
    }
    score_set(labelled, pred_deps, gold_deps);
    for (auto& [dep, score] : per_dep) score_set(score, pred_per[dep], gold_per[dep]);
    std::set<std::pair<size_t, size_t>> pu, gu;
    for (const auto& [a, b, c] : pred_deps) pu.emplace(a, b);
    for (const auto& [a, b, c] : gold_deps) gu.emplace(a, b);
    score_set(unlabelled, pu, gu);
  }
  if (unlabelled.size() == 0)
    return Json{{"dep_uas", nullptr}, {"dep_las", nullptr}, {"dep_las_per_type", nullptr}};
  Json pt = Json::object();
  for (const auto& [dep, score] : per_dep) pt[dep] = score.to_dict();
  return Json{{"dep_uas", unlabelled.fscore()}, {"dep_las", labelled.fscore()},
              {"dep_las_per_type", pt}};
}

Json score_parser(const std::vector<Example>& examples) {
  Json out = score_sents(examples);
  Json deps = score_deps(examples, {"p", "punct"}, true);
  for (auto it = deps.begin(); it != deps.end(); ++it) out[it.key()] = it.value();
  return out;
}

Json score_cats(const std::vector<Example>& examples, const std::string& attr,
                const CatsOptions& options) {
  const bool multi = options.multi_label;
  double threshold = options.threshold.value_or(multi ? 0.5 : 0.0);
  if (!multi) threshold = 0.0;
  std::vector<std::string> labels;  // unique, in the given order
  for (const auto& l : options.labels)
    if (std::find(labels.begin(), labels.end(), l) == labels.end()) labels.push_back(l);
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < labels.size(); ++i) index[labels[i]] = i;
  std::vector<PRFScore> f_per_type(labels.size());
  std::vector<ROCAUCScore> auc_per_type(labels.size());
  using Cats = std::vector<std::pair<std::string, double>>;
  auto filtered = [&](const Doc& doc) {
    Cats out;
    for (const auto& kv : doc.cats())
      if (index.count(kv.first)) out.emplace_back(kv.first, kv.second);
    return out;
  };
  auto find = [](const Cats& c, const std::string& l) -> const double* {
    for (const auto& kv : c)
      if (kv.first == l) return &kv.second;
    return nullptr;
  };
  auto argmax = [](const Cats& c) {  // Python's max(): the first of equal maxima
    size_t best = 0;
    for (size_t i = 1; i < c.size(); ++i)
      if (c[i].second > c[best].second) best = i;
    return c[best];
  };
  for (const Example& eg : examples) {
    Cats pred = filtered(eg.predicted()), gold = filtered(eg.reference());
    for (size_t li = 0; li < labels.size(); ++li) {
      const double* p = find(pred, labels[li]);
      const double* g = find(gold, labels[li]);
      double pred_score = p ? *p : 0.0;
      std::optional<double> gold_score;
      if (g) gold_score = *g;
      if ((!gold_score || *gold_score == 0.0) && !multi) gold_score = 0.0;
      if (gold_score) auc_per_type[li].score_set(pred_score, *gold_score);
    }
    if (multi) {
      for (size_t li = 0; li < labels.size(); ++li) {
        const double* p = find(pred, labels[li]);
        const double* g = find(gold, labels[li]);
        double pred_score = p ? *p : 0.0;
        if (!g) continue;
        if (pred_score >= threshold && *g > 0) ++f_per_type[li].tp;
        else if (pred_score >= threshold && *g == 0) ++f_per_type[li].fp;
        else if (pred_score < threshold && *g > 0) ++f_per_type[li].fn;
      }
    } else if (!pred.empty() && !gold.empty()) {
      auto pbest = argmax(pred), gbest = argmax(gold);
      if (pbest.first == gbest.first) {
        ++f_per_type[index[pbest.first]].tp;
      } else {
        ++f_per_type[index[gbest.first]].fn;
        ++f_per_type[index[pbest.first]].fp;
      }
    } else if (!gold.empty()) {
      // spaCy intends max over (label, score) pairs here.
      auto gbest = argmax(gold);
      if (gbest.second > 0) ++f_per_type[index[gbest.first]].fn;
    } else if (!pred.empty()) {
      ++f_per_type[index[argmax(pred).first]].fp;
    }
  }
  PRFScore micro;
  for (const auto& s : f_per_type) micro += s;
  double n_cats = double(labels.size()) + 1e-100;
  double macro_p = 0, macro_r = 0, macro_f = 0, macro_auc = 0;
  for (const auto& s : f_per_type) {
    macro_p += s.precision();
    macro_r += s.recall();
    macro_f += s.fscore();
  }
  for (const auto& a : auc_per_type) macro_auc += a.is_binary() ? a.score() : 0.0;
  macro_p /= n_cats;
  macro_r /= n_cats;
  macro_f /= n_cats;
  macro_auc /= n_cats;
  Json f_pt = Json::object(), auc_pt = Json::object();
  for (size_t li = 0; li < labels.size(); ++li) {
    f_pt[labels[li]] = f_per_type[li].to_dict();
    auc_pt[labels[li]] = auc_per_type[li].is_binary() ? Json(auc_per_type[li].score())
                                                       : Json(nullptr);
  }
  Json r;
  r[attr + "_score"] = nullptr;
  r[attr + "_score_desc"] = nullptr;
  r[attr + "_micro_p"] = micro.precision();
  r[attr + "_micro_r"] = micro.recall();
  r[attr + "_micro_f"] = micro.fscore();
  r[attr + "_macro_p"] = macro_p;
  r[attr + "_macro_r"] = macro_r;
  r[attr + "_macro_f"] = macro_f;
  r[attr + "_macro_auc"] = macro_auc;
  r[attr + "_f_per_type"] = f_pt;
  r[attr + "_auc_per_type"] = auc_pt;
  if (labels.size() == 2 && !multi && options.positive_label && !options.positive_label->empty()) {
    if (!index.count(*options.positive_label))
      throw ValueError("score_cats: positive_label '" + *options.positive_label +
                       "' is not one of the labels");
    r[attr + "_score"] = f_pt[*options.positive_label]["f"];
    r[attr + "_score_desc"] = "F (" + *options.positive_label + ")";
  } else if (!multi) {
    r[attr + "_score"] = macro_f;
    r[attr + "_score_desc"] = "macro F";
  } else {
    r[attr + "_score"] = macro_auc;
    r[attr + "_score_desc"] = "macro AUC";
  }
  return r;
}

namespace {

CatsOptions cats_options(const Json& settings, bool multi) {
  CatsOptions o;
  o.multi_label = multi;
  if (settings.contains("labels"))
    for (const auto& l : settings["labels"]) o.labels.push_back(l.get<std::string>());
  if (settings.contains("threshold") && settings["threshold"].is_number())
    o.threshold = settings["threshold"].get<double>();
  if (settings.contains("positive_label") && settings["positive_label"].is_string())
    o.positive_label = settings["positive_label"].get<std::string>();
  return o;
}

const std::map<std::string, ScorerFn>& builtins() {
  static const std::map<std::string, ScorerFn> table = {
      {"spacy.tagger_scorer.v1",
       [](const std::vector<Example>& egs, const Json&) { return score_token_attr(egs, "tag"); }},
      {"spacy.ner_scorer.v1",
       [](const std::vector<Example>& egs, const Json&) { return score_ents(egs); }},
      {"spacy.morphologizer_scorer.v1",
       [](const std::vector<Example>& egs, const Json&) {
         Json r = score_token_attr(egs, "pos");
         r.update(score_token_attr(egs, "morph"));
         r.update(score_morph_per_feat(egs));
         return r;
       }},
      {"spacy.lemmatizer_scorer.v1",
       [](const std::vector<Example>& egs, const Json&) { return score_token_attr(egs, "lemma"); }},
      {"spacy.senter_scorer.v1",
       [](const std::vector<Example>& egs, const Json&) { return score_sents(egs); }},
      {"spacy.spancat_scorer.v1",
       [](const std::vector<Example>& egs, const Json& s) {
         std::string key = s.contains("spans_key") && s["spans_key"].is_string()
                               ? s["spans_key"].get<std::string>()
                               : std::string("sc");
         return score_span_group(egs, key, /*labeled=*/true, /*allow_overlap=*/true);
       }},
      {"spacy.parser_scorer.v1",
       [](const std::vector<Example>& egs, const Json&) { return score_parser(egs); }},
      {"spacy.textcat_scorer.v2",
       [](const std::vector<Example>& egs, const Json& s) {
         return score_cats(egs, "cats", cats_options(s, false));
       }},
      {"spacy.textcat_multilabel_scorer.v2",
       [](const std::vector<Example>& egs, const Json& s) {
         return score_cats(egs, "cats", cats_options(s, true));
       }},
      {"spacy.entity_ruler_scorer.v1",
       [](const std::vector<Example>& egs, const Json&) { return score_ents(egs); }},
      // spaCy's attribute_ruler_score, without morph_per_feat.
      {"spacy.attribute_ruler_scorer.v1",
       [](const std::vector<Example>& egs, const Json&) {
         Json out = Json::object();
         for (const char* attr : {"tag", "pos", "morph", "lemma"}) {
           // Held in a variable: items() of a temporary would dangle in the range-for.
           const Json scores = score_token_attr(egs, attr);
           for (const auto& [k, v] : scores.items()) out[k] = v;
         }
         return out;
       }},
      {"spacy.overlapping_labeled_spans_scorer.v1",
       [](const std::vector<Example>& egs, const Json& s) {
         return score_span_group(egs, s.value("spans_key", std::string("ruler")), /*labeled=*/true,
                                 /*allow_overlap=*/true);
       }},
  };
  return table;
}

}  // namespace

bool has(const std::string& name) { return builtins().count(name) > 0; }

const ScorerFn& get(const std::string& name) {
  auto it = builtins().find(name);
  if (it == builtins().end()) {
    std::string names;
    for (const auto& kv : builtins()) names += (names.empty() ? "" : ", ") + kv.first;
    throw Error("unknown scorer '" + name + "'; available: " + names);
  }
  return it->second;
}

void register_scorers() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& reg = registry::get("scorers");
    for (const auto& kv : builtins()) {
      registry::Function f;
      f.name = kv.first;
      if (kv.first == "spacy.overlapping_labeled_spans_scorer.v1")
        f.args = {registry::arg("spans_key", "str", "ruler")};
      ScorerFn fn = kv.second;
      f.make = [fn](const registry::Value&, const std::vector<std::string>&) -> std::any {
        return fn;
      };
      f.returns = "Callable";
      reg.add(std::move(f));
    }
  });
}

}  // namespace scorer

Json evaluate(Language& nlp, const std::vector<Example>& examples, size_t batch_size,
              bool per_component) {
  std::vector<Example> egs;
  egs.reserve(examples.size());
  for (const Example& eg : examples) egs.push_back(eg.copy_predicted());
  // Fresh predicted docs (spaCy's corpus gives unannotated ones; evaluate overwrites them).
  auto start = std::chrono::steady_clock::now();
  for (const Example& eg : egs) (void)nlp.make_doc(eg.reference().text());
  std::vector<Doc*> docs;
  for (Example& eg : egs) docs.push_back(&eg.predicted());
  nlp.pipe_docs(docs, batch_size);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Json results = Json::object();
  if (per_component) results["tokenizer"] = scorer::score_tokenization(egs);
  else results = scorer::score_tokenization(egs);
  Json full = nlp.config();
  for (Pipe* pipe : nlp.pipeline()) {
    const Json* block = nullptr;
    if (full.contains("components") && full["components"].contains(pipe->name()))
      block = &full["components"][pipe->name()];
    std::string scorer_name;
    if (block && block->contains("scorer") && (*block)["scorer"].is_object() &&
        (*block)["scorer"].contains("@scorers"))
      scorer_name = (*block)["scorer"]["@scorers"].get<std::string>();
    if (scorer_name.empty() || !scorer::has(scorer_name)) continue;
    Json settings = Json::object();
    settings["labels"] = pipe->labels();
    if (block && block->contains("threshold")) settings["threshold"] = (*block)["threshold"];
    if (block && block->contains("positive_label"))
      settings["positive_label"] = (*block)["positive_label"];
    if (block && block->contains("spans_key")) settings["spans_key"] = (*block)["spans_key"];
    // The scorer block's own arguments (spans_key of the span scorers).
    if (block && block->contains("scorer"))
      for (const auto& [k, v] : (*block)["scorer"].items())
        if (k != "@scorers") settings[k] = v;
    Json s = scorer::get(scorer_name)(egs, settings);
    if (per_component) results[pipe->name()] = s;
    else
      for (auto it = s.begin(); it != s.end(); ++it) results[it.key()] = it.value();
  }
  size_t n_words = 0;
  for (const Example& eg : egs) n_words += eg.predicted().size();
  results["speed"] = seconds > 0 ? double(n_words) / seconds : 0.0;
  return results;
}

}  // namespace trfpipe
