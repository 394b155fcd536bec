// build_model: the resolved config's model.arch picks the MetaFormer image classifier or the
// isotropic sequence encoder (see model.h).
#include "model.h"

#include "run_config.h"
#include "init_weights.h"
#include "metaformer.h"
#include "sequence_model.h"

namespace ms {

std::shared_ptr<ModelImpl> build_model(const nlohmann::json& config) {
  const RunConfig run = run_config(config);
  const std::string& arch = run.model.arch;
  std::shared_ptr<ModelImpl> built;
  if (arch == "metaformer")
    built = std::make_shared<MetaFormerImpl>(config);
  else if (arch == "sequence")
    built = std::make_shared<SequenceModelImpl>(config);
  else
    throw std::invalid_argument("unknown model.arch '" + arch + "': expected metaformer or sequence");
  // A config stored before model.init existed reads as trunc_normal, what it trained with.
  apply_init_scheme(*built, run.model.init);
  return built;
}

}  // namespace ms
