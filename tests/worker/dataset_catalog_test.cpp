// Every dataset of the catalog (sweeps/datasets.h) has a reader, every reader serves a dataset,
// and what the readers return agrees with the catalog's facts: the generated datasets' shapes
// and sizes, and the split sizes and geometry of the real Fashion-MNIST files.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "sweeps/datasets.h"
#include "sweeps/job.h"
#include "sweeps/run_config.h"
#include "sweeps/sweep_spec.h"
#include "worker/data/dataset.h"
#include "worker/data/loaders.h"
#include "worker/models/model_cost.h"

namespace ms {
namespace {

TEST(DatasetReaders, EveryDatasetHasAReaderAndEveryReaderADataset) {
  std::set<std::string> used;
  for (const auto& d : dataset_catalog()) {
    EXPECT_NO_THROW(find_loader(d.loader)) << d.name << " names reader " << d.loader;
    used.insert(d.loader);
  }
  for (const auto& e : loader_registry()) {
    EXPECT_TRUE(used.count(e.name)) << "reader " << e.name << " serves nothing";
  }
  EXPECT_THROW(find_loader("no-such-format"), std::invalid_argument);
}

TaskConfig task_of(const std::string& task_yaml, const std::string& model_yaml) {
  const std::string text = "name: t\nbase:\n  task: {" + task_yaml + "}\n  model: {" + model_yaml + "}\nseeds: [0]\n";
  const SweepSpec spec = parse_sweep(text, "t.yaml", model_catalog());
  return run_config(expand_sweep(spec, model_catalog()).at(0).config).task;
}

TEST(DatasetReaders, GeneratedDatasetsMatchTheirCatalogEntries) {
  for (const auto& d : dataset_catalog()) {
    if (d.default_train_size == 0) continue;  // read from files
    SCOPED_TRACE(d.name);
    const bool images = d.kind == DataKind::Images;
    const TaskConfig task = task_of("dataset: " + d.name + ", train_size: 40, test_size: 12, seq_len: 8",
                                    images ? "depths: [1], dims: [8]" : "arch: sequence, depths: [1], dims: [8]");
    const Dataset data = load_dataset(task, 3);
    EXPECT_EQ(data.train_size(), 40);
    EXPECT_EQ(data.test_size(), 12);
    EXPECT_EQ(data.sequence, !images);
    if (images) {
      EXPECT_EQ(data.train_x.sizes(), (std::vector<int64_t>{40, d.channels, d.image_size, d.image_size}));
      EXPECT_LT(data.train_y.max().item<int64_t>(), d.classes);
    } else {
      EXPECT_EQ(data.train_x.sizes(), (std::vector<int64_t>{40, 8}));
      EXPECT_EQ(data.train_y.sizes(), (std::vector<int64_t>{40, 8}));
      EXPECT_LT(data.train_x.max().item<int64_t>(), task.vocab);
    }
  }
}

TEST(DatasetReaders, FashionMnistFilesHaveTheCatalogsSizes) {
  const DatasetInfo& d = dataset_info("fashion-mnist");
  ASSERT_TRUE(std::filesystem::exists(d.default_data_dir)) << "make test installs dataset-fashion-mnist";
  const TaskConfig task = task_of("dataset: fashion-mnist", "depths: [1], dims: [8]");
  const DatasetSplits raw = find_loader(d.loader).load(d, task, 0);
  EXPECT_EQ(raw.train.x.size(0), d.train_examples);
  EXPECT_EQ(raw.test.x.size(0), d.test_examples);
  EXPECT_EQ(raw.train.x.sizes().slice(1), (std::vector<int64_t>{d.channels, d.image_size, d.image_size}));
  EXPECT_EQ(raw.train.y.max().item<int64_t>() + 1, d.classes);
}

}  // namespace
}  // namespace ms
