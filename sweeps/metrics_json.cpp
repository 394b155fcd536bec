// EpochMetrics <-> JSON (see metrics_json.h).
#include "sweeps/metrics_json.h"

namespace ms {

void to_json(nlohmann::json& j, const EpochMetrics& m) {
  j = {{"epoch", m.epoch},
       {"train_loss", m.train_loss},
       {"test_loss", m.test_loss},
       {"test_acc", m.test_acc},
       {"test_seq_acc", m.test_seq_acc},
       {"lr", m.lr},
       {"samples_per_s", m.samples_per_s},
       {"wall_s", m.wall_s},
       {"skipped_train", m.skipped_train},
       {"skipped_test", m.skipped_test},
       {"device", m.device}};
}

void from_json(const nlohmann::json& j, EpochMetrics& m) {
  m.epoch = j.at("epoch");
  m.train_loss = j.at("train_loss");
  m.test_loss = j.at("test_loss");
  m.test_acc = j.at("test_acc");
  m.test_seq_acc = j.at("test_seq_acc");
  m.lr = j.at("lr");
  m.samples_per_s = j.at("samples_per_s");
  m.wall_s = j.at("wall_s");
  m.skipped_train = j.value("skipped_train", int64_t{0});  // absent in checkpoints of older releases
  m.skipped_test = j.value("skipped_test", int64_t{0});
  m.device = j.value("device", std::string());
}

}  // namespace ms
