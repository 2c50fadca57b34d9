#include "trfpipe/label_data.hpp"

#include "components/common/torch_pipe.hpp"

namespace trfpipe {

std::vector<std::pair<std::string, Json>> pipeline_label_data(const Language& nlp) {
  std::vector<std::pair<std::string, Json>> out;
  for (Pipe* p : nlp.pipeline())
    if (const auto* trainable = dynamic_cast<const TorchPipe*>(p)) {
      Json data = trainable->label_data();
      if (!data.is_null()) out.emplace_back(p->name(), std::move(data));
    }
  return out;
}

}  // namespace trfpipe
