// build_model: the resolved config's model.arch picks the MetaFormer image classifier or the
// isotropic sequence encoder (see model.h).
#include "worker/models/model.h"

#include "sweeps/run_config.h"
#include "worker/models/init_weights.h"
#include "worker/models/metaformer.h"
#include "worker/models/sequence_model.h"

namespace ms {

std::shared_ptr<ModelImpl> build_model(const nlohmann::json& config) {
  const RunConfig run = run_config(config);
  const std::string& arch = run.model.arch;
  std::shared_ptr<ModelImpl> built;
  if (arch == "metaformer")
    built = std::make_shared<MetaFormerImpl>(run);
  else if (arch == "sequence")
    built = std::make_shared<SequenceModelImpl>(run);
  else
    throw std::invalid_argument("unknown model.arch '" + arch + "': expected metaformer or sequence");
  // A config stored before model.init existed reads as trunc_normal, what it trained with.
  apply_init_scheme(*built, run.model.init);
  return built;
}

}  // namespace ms
