// trfpipe debug encode: JSON inputs -> encoder -> safetensors (see trfpipe/torch/encode_file.hpp).
#include "trfpipe/torch/encode_file.hpp"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <filesystem>

#include "models/safetensors.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/encoder.hpp"

namespace fs = std::filesystem;

namespace trfpipe {
namespace {

// One [rows, cols] integer matrix of the inputs file; undefined when `key` is absent.
at::Tensor int_matrix(const Json& j, const char* key, const std::string& path, int64_t want_rows,
                      int64_t want_cols) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  auto bad = [&](const std::string& what) { return DataError(path, -1, std::string("'") + key + "': " + what); };
  if (!it->is_array() || it->empty()) throw bad("expected a non-empty list of rows (lists of integers)");
  const int64_t rows = static_cast<int64_t>(it->size());
  int64_t cols = -1;
  std::vector<int64_t> flat;
  for (int64_t r = 0; r < rows; ++r) {
    const Json& row = (*it)[static_cast<size_t>(r)];
    if (!row.is_array()) throw bad("row " + std::to_string(r) + " is not a list");
    if (cols < 0) cols = static_cast<int64_t>(row.size());
    if (static_cast<int64_t>(row.size()) != cols)
      throw bad("row " + std::to_string(r) + " has " + std::to_string(row.size()) + " values, row 0 has " +
                std::to_string(cols) + " (pad the rows to one length)");
    for (const Json& v : row) {
      if (!v.is_number_integer()) throw bad("row " + std::to_string(r) + " holds " + v.dump() + ", not an integer");
      flat.push_back(v.get<int64_t>());
    }
  }
  if (cols == 0) throw bad("the rows are empty");
  if (want_rows >= 0 && (rows != want_rows || cols != want_cols))
    throw bad("shape [" + std::to_string(rows) + ", " + std::to_string(cols) + "] differs from input_ids [" +
              std::to_string(want_rows) + ", " + std::to_string(want_cols) + "]");
  return at::tensor(flat, at::kLong).view({rows, cols});
}

}  // namespace

EncodeFileReport encode_inputs_file(const std::string& model_dir, const std::string& inputs_json,
                                    const std::string& out_path, bool all) {
  Json j;
  try {
    j = Json::parse(read_file_bytes(inputs_json));
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(inputs_json, -1, std::string("invalid JSON: ") + e.what());
  }
  if (!j.is_object()) throw DataError(inputs_json, -1, "expected a JSON object with \"input_ids\"");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "input_ids" && it.key() != "attention_mask" && it.key() != "token_type_ids")
      throw DataError(inputs_json, -1, "unknown key '" + it.key() +
                                           "' (expected input_ids, attention_mask, token_type_ids)");
  EncoderInput in;
  in.input_ids = int_matrix(j, "input_ids", inputs_json, -1, -1);
  if (!in.input_ids.defined()) throw DataError(inputs_json, -1, "missing 'input_ids'");
  const int64_t b = in.input_ids.size(0), s = in.input_ids.size(1);
  in.attention_mask = int_matrix(j, "attention_mask", inputs_json, b, s);
  in.token_type_ids = int_matrix(j, "token_type_ids", inputs_json, b, s);

  LoadReport load;
  Json flags = Json::object();
  if (all) flags = Json{{"output_hidden_states", true}, {"output_attentions", true}};
  auto enc = load_encoder(model_dir, flags, true, &load);
  enc->eval();
  EncoderOutput out;
  {
    at::NoGradGuard no_grad;
    try {
      out = enc->forward(in);
    } catch (const ValueError& e) {
      throw DataError(inputs_json, -1, e.what());
    }
  }
  models::TensorMap tensors;
  auto put = [&](const std::string& name, const at::Tensor& t) {
    tensors[name] = t.detach().to(at::kCPU).to(at::kFloat).contiguous();
  };
  put("last_hidden_state", out.last_hidden_state);
  // A checkpoint without pooler weights (a task model's) has no pooler in Hugging Face either.
  if (out.pooler_output.defined() && load.newly_initialized.empty()) put("pooler_output", out.pooler_output);
  for (size_t i = 0; all && i < out.hidden_states.size(); ++i) put("hidden_states." + std::to_string(i), out.hidden_states[i]);
  for (size_t i = 0; all && i < out.attentions.size(); ++i) put("attentions." + std::to_string(i), out.attentions[i]);
  const fs::path parent = fs::path(out_path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw DataError(out_path, -1, "cannot create the folder: " + ec.message());
  }
  models::write_safetensors(out_path, tensors,
                            {{"format", "pt"}, {"model_type", enc->config().model_type},
                             {"inputs", fs::path(inputs_json).filename().string()}});
  EncodeFileReport report;
  report.model_type = enc->config().model_type;
  report.batch = b;
  report.length = s;
  for (const auto& [name, t] : tensors) report.written.push_back(name);
  return report;
}

}  // namespace trfpipe
