// train_job: the trainer with the model zoo's builder (kept apart from trainer.cpp so the
// trainer can be linked and tested with other models).
#include "worker/models/model.h"
#include "worker/train/trainer.h"

namespace ms {

TrainOutcome train_job(const nlohmann::json& config, int64_t seed, const TrainOptions& options) {
  return train_model(config, seed, options, [](const nlohmann::json& c) { return build_model(c); });
}

}  // namespace ms
