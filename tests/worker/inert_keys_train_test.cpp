// The facts behind sweeps/inert_keys.h, by training: every key inert_keys() calls inert for a job
// is one its training never reads. For each rule a tiny job and the same job with that key changed
// train to the same losses and accuracy to the last bit (CPU, one thread: deterministic), and
// inert_keys() names the key; in a job where the key is read, the same change moves the numbers,
// so each comparison can fail. (expand_sweep refuses a variant that changes only such keys.)
#include <gtest/gtest.h>

#include "sweeps/inert_keys.h"
#include "tests/worker/model_test_util.h"
#include "worker/train/trainer.h"

namespace ms {
namespace {

using test::KeyValues;

struct Rule {
  std::string name;
  KeyValues inert_job;  // a job that never reads `key`
  KeyValues live_job;   // one that reads it
  std::string key;
  nlohmann::json value;  // a value other than the job's
  // model.head_dim is inert in every resolved config (the heads it chose are there), yet live in
  // a sweep file under heads: auto: there changing it changes the resolved heads.
  bool named_when_live = false;
};

// The model-zoo tests' tiny job, one epoch on 128 images.
KeyValues image_job(KeyValues extra) {
  extra.insert(extra.begin(), {{"task.train_size", 128}, {"task.epochs", 1}});
  return test::tiny_image_job_values(extra);
}

KeyValues sequence_job(KeyValues extra) {
  KeyValues kv = {
      {"task.dataset", "reverse"}, {"task.seq_len", 8},     {"task.train_size", 128},      {"task.test_size", 64},
      {"task.epochs", 1},          {"task.batch_size", 32}, {"model.arch", "sequence"},    {"model.depths", {1}},
      {"model.dims", {16}},        {"model.head_dim", 8},   {"model.mixers", "attention"}, {"model.drop_path", 0.0}};
  kv.insert(kv.end(), extra.begin(), extra.end());
  return kv;
}

std::vector<double> trained(KeyValues kv) {
  TrainOptions o;
  o.threads = 1;
  const TrainOutcome out = train_job(test::make_config(kv), 0, o);
  EXPECT_EQ(out.status, JobStatus::Done);
  std::vector<double> numbers;
  for (const EpochMetrics& m : out.epochs) numbers.insert(numbers.end(), {m.train_loss, m.test_loss, m.test_acc});
  return numbers;
}

KeyValues with(KeyValues kv, const std::string& key, const nlohmann::json& value) {
  kv.push_back({key, value});
  return kv;
}

bool names(const KeyValues& kv, const std::string& key) {
  for (const InertKey& k : inert_keys(test::make_config(kv), model_catalog()))
    if (k.key == key) return true;
  return false;
}

TEST(InertKeys, TrainingNeverReadsThemAndReadsThemWhereTheyAreLive) {
  const std::vector<Rule> rules = {
      {"pool_size without a pool stage", image_job({{"model.mixers", "identity"}}),
       image_job({{"model.mixers", "pool"}}), "model.pool_size", 5},
      // Attention starts near uniform (small q and k), where the head split changes nothing: live
      // only once its branch trains, so without layer scale's 1e-5 start.
      {"head_dim without heads", image_job({{"model.mixers", "pool"}}),
       image_job({{"model.mixers", "attention"}, {"model.layer_scale", 0.0}}), "model.head_dim", 4, true},
      {"head_dim beside explicit heads",
       image_job({{"model.mixers", "attention"}, {"model.heads", {2, 2}}, {"model.layer_scale", 0.0}}),
       image_job({{"model.mixers", "attention"}, {"model.layer_scale", 0.0}}), "model.head_dim", 4, true},
      {"heads of a stage without heads",
       image_job({{"model.mixers", {"pool", "attention"}}, {"model.heads", {2, 2}}, {"model.layer_scale", 0.0}}),
       image_job({{"model.mixers", "attention"}, {"model.heads", {2, 2}}, {"model.layer_scale", 0.0}}), "model.heads",
       {4, 2}},
      {"heads without heads", image_job({{"model.mixers", "identity"}}),
       image_job({{"model.mixers", "attention"}, {"model.layer_scale", 0.0}}), "model.heads", 4},
      {"momentum under adamw", image_job({}), image_job({{"task.optimizer.name", "sgd"}}), "task.optimizer.momentum",
       0.5},
      {"nesterov under adamw", image_job({}), image_job({{"task.optimizer.name", "sgd"}}), "task.optimizer.nesterov",
       true},
      {"nesterov without momentum", image_job({{"task.optimizer.name", "sgd"}, {"task.optimizer.momentum", 0.0}}),
       image_job({{"task.optimizer.name", "sgd"}}), "task.optimizer.nesterov", true},
      {"beta1 under sgd", image_job({{"task.optimizer.name", "sgd"}}), image_job({}), "task.optimizer.beta1", 0.5},
      {"beta2 under sgd", image_job({{"task.optimizer.name", "sgd"}}), image_job({}), "task.optimizer.beta2", 0.9},
      {"min_lr under a constant schedule", image_job({{"task.schedule.name", "constant"}}), image_job({}),
       "task.schedule.min_lr", 1e-3},
      {"warmup_lr under metasweep's style", image_job({}), image_job({{"task.schedule.style", "timm"}}),
       "task.schedule.warmup_lr", 1e-3},
      {"warmup_lr without warmup", image_job({{"task.schedule.style", "timm"}, {"task.schedule.warmup_epochs", 0.0}}),
       image_job({{"task.schedule.style", "timm"}}), "task.schedule.warmup_lr", 1e-3},
      {"mlp_ratio without a channel MLP", image_job({{"model.channel_mlp", false}}), image_job({}), "model.mlp_ratio",
       2.0},
      {"activation without a channel MLP", image_job({{"model.channel_mlp", false}}), image_job({}),
       "model.activation", "relu"},
      {"drop_path with one block", image_job({{"model.depths", {1}}, {"model.dims", {8}}}), image_job({}),
       "model.drop_path", 0.5},
      {"downsampling with one stage", image_job({{"model.depths", {1}}, {"model.dims", {8}}}), image_job({}),
       "model.downsample.padding", 2},
      {"init poolformer in a sequence model", sequence_job({{"model.init", "poolformer"}}),
       image_job({{"model.init", "poolformer"}}), "model.init", "trunc_normal"},
      {"positions in a metaformer", image_job({}), sequence_job({}), "model.positions", "learned"},
      {"stem in a sequence model", sequence_job({}), image_job({}), "model.stem.kernel", 5},
      {"downsampling in a sequence model", sequence_job({}), image_job({}), "model.downsample.kernel", 5},
      {"mix_prob without Mixup or CutMix", image_job({}), image_job({{"task.augment.mixup", 0.8}}),
       "task.augment.mix_prob", 0.3},
      {"mix_switch without CutMix", image_job({{"task.augment.mixup", 0.8}}),
       image_job({{"task.augment.mixup", 0.8}, {"task.augment.cutmix", 1.0}}), "task.augment.mix_switch", 0.1},
      {"mix_switch without Mixup", image_job({{"task.augment.cutmix", 1.0}}),
       image_job({{"task.augment.mixup", 0.8}, {"task.augment.cutmix", 1.0}}), "task.augment.mix_switch", 0.0},
  };
  for (const Rule& r : rules) {
    SCOPED_TRACE(r.name);
    EXPECT_TRUE(names(r.inert_job, r.key));
    EXPECT_EQ(names(r.live_job, r.key), r.named_when_live);
    EXPECT_EQ(trained(with(r.inert_job, r.key, r.value)), trained(r.inert_job)) << r.key << " changed the numbers";
    EXPECT_NE(trained(with(r.live_job, r.key, r.value)), trained(r.live_job)) << r.key << " changed nothing";
  }
}

// The effective config drops exactly the inert keys: a change to a live key keeps two configs apart.
TEST(InertKeys, TheEffectiveConfigKeepsWhatTrainingReads) {
  const auto identity = image_job({{"model.mixers", "identity"}});
  EXPECT_EQ(effective_flat_config(test::make_config(with(identity, "model.pool_size", 5)), model_catalog()),
            effective_flat_config(test::make_config(identity), model_catalog()));
  EXPECT_NE(effective_flat_config(test::make_config(with(identity, "model.norm", "layernorm")), model_catalog()),
            effective_flat_config(test::make_config(identity), model_catalog()));
  // One stage with a pool mixer makes pool_size live for the whole model.
  EXPECT_FALSE(names(image_job({{"model.mixers", {"identity", "pool"}}}), "model.pool_size"));
  EXPECT_FALSE(names(image_job({{"model.mixers", {"dwconv", "identity"}}}), "model.pool_size"));
  // One stage with heads makes heads live there only: the other stage's heads read as 0.
  const auto one_heads_stage = test::make_config(image_job({{"model.mixers", {"identity", "kv_attention"}}}));
  const auto flat = effective_flat_config(one_heads_stage, model_catalog());
  ASSERT_TRUE(flat.contains("model.heads"));
  EXPECT_EQ(flat.at("model.heads").at(0), 0);
  EXPECT_GT(flat.at("model.heads").at(1).get<int>(), 0);
}

}  // namespace
}  // namespace ms
