// build_model: the resolved config's model.arch picks the MetaFormer image classifier or the
// isotropic sequence encoder (see model.h).
#include "model.h"

#include "metaformer.h"
#include "sequence_model.h"

namespace ms {

std::shared_ptr<ModelImpl> build_model(const nlohmann::json& config) {
  const std::string arch = config.at("model").at("arch").get<std::string>();
  if (arch == "metaformer") return std::make_shared<MetaFormerImpl>(config);
  if (arch == "sequence") return std::make_shared<SequenceModelImpl>(config);
  throw std::invalid_argument("unknown model.arch '" + arch + "': expected metaformer or sequence");
}

}  // namespace ms
