// build_model: the resolved config's model.arch picks the MetaFormer image classifier or the
// isotropic sequence encoder (see model.h).
#include "model.h"

#include "init_weights.h"
#include "metaformer.h"
#include "sequence_model.h"

namespace ms {

std::shared_ptr<ModelImpl> build_model(const nlohmann::json& config) {
  const auto& model = config.at("model");
  const std::string arch = model.at("arch").get<std::string>();
  std::shared_ptr<ModelImpl> built;
  if (arch == "metaformer")
    built = std::make_shared<MetaFormerImpl>(config);
  else if (arch == "sequence")
    built = std::make_shared<SequenceModelImpl>(config);
  else
    throw std::invalid_argument("unknown model.arch '" + arch + "': expected metaformer or sequence");
  // A config stored before model.init existed trained with the constructors' trunc_normal.
  apply_init_scheme(*built, model.value("init", std::string("trunc_normal")));
  return built;
}

}  // namespace ms
