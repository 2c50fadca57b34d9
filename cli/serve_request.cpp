#include "cli/serve_request.hpp"

#include "trfpipe/json_limits.hpp"
#include "trfpipe/transformer.hpp"

namespace trfpipe::cli {

const std::set<std::string> kParseAttributes = {"ents", "sents", "cats", "tokens", "spans", "_"};

Json parse_request_json(std::string_view body) {
  try {
    return parse_json_limited<Json>(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw ValueError(std::string("invalid JSON (or UTF-8) in the request body: ") + e.what());
  }
}

ParseRequest read_parse_request(const Json& body) {
  if (!body.is_object()) throw ValueError("the body must be a JSON object like {\"texts\": [...]}");
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key() != "texts" && it.key() != "attributes" && it.key() != "include_trf")
      throw ValueError("unknown field \"" + it.key() +
                       "\" (expected \"texts\", \"attributes\", \"include_trf\")");
  ParseRequest r;
  if (!body.contains("texts") || !body["texts"].is_array())
    throw ValueError("\"texts\" must be a list of strings");
  for (size_t i = 0; i < body["texts"].size(); ++i) {
    if (!body["texts"][i].is_string())
      throw ValueError("texts[" + std::to_string(i) + "] is not a string");
    r.texts.push_back(body["texts"][i].get<std::string>());
  }
  if (body.contains("attributes")) {
    const Json& a = body["attributes"];
    if (!a.is_array()) throw ValueError("\"attributes\" must be a list of names");
    r.attributes.emplace();
    for (const Json& name : a) {
      if (!name.is_string() || !kParseAttributes.count(name.get<std::string>())) {
        std::string valid;
        for (const auto& k : kParseAttributes) valid += (valid.empty() ? "" : ", ") + k;
        throw ValueError("unknown attribute " + json_excerpt(name) + " (valid: " + valid + ")");
      }
      r.attributes->insert(name.get<std::string>());
    }
  }
  if (body.contains("include_trf")) {
    if (!body["include_trf"].is_boolean()) throw ValueError("\"include_trf\" must be true or false");
    r.include_trf = body["include_trf"].get<bool>();
  }
  return r;
}

std::string read_render_request(const Json& body) {
  if (!body.is_object() || !body.contains("text") || !body["text"].is_string())
    throw ValueError("the body must be a JSON object like {\"text\": \"...\"}");
  return body["text"].get<std::string>();
}

Json doc_json(const Doc& doc, const ParseRequest& r) {
  Json j = doc.to_json();
  if (r.attributes) {
    Json kept = Json::object();
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key() == "text" || r.attributes->count(it.key())) kept[it.key()] = it.value();
    j = std::move(kept);
  }
  if (r.include_trf) {
    const Json trf = transformer_doc_json(doc);
    for (auto it = trf.begin(); it != trf.end(); ++it) j[it.key()] = it.value();
  }
  return j;
}

}  // namespace trfpipe::cli
