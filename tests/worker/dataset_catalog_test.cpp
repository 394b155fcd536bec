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
#include "worker/data/split_cache.h"
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
    const TaskConfig task =
        task_of("dataset: " + d.name + ", train_size: 40, test_size: 12" + (images ? "" : ", seq_len: 8"),
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

// A sweep's second job on Fashion-MNIST reads nothing (the raw splits are kept per process), and
// what it gets is what a fresh read gives, subset as asked; changing a job's copy leaves the next
// job's data intact. A synthetic dataset (seeded) is never cached.
TEST(DatasetReaders, TheSecondJobOnAFileDatasetReadsNothing) {
  const DatasetInfo& d = dataset_info("fashion-mnist");
  ASSERT_TRUE(std::filesystem::exists(d.default_data_dir)) << "make test installs dataset-fashion-mnist";
  const TaskConfig small =
      task_of("dataset: fashion-mnist, train_subset: 100, test_subset: 50", "depths: [1], dims: [8]");
  const TaskConfig other =
      task_of("dataset: fashion-mnist, train_subset: 300, test_subset: 20", "depths: [1], dims: [8]");
  const int64_t before = split_cache_misses();
  Dataset a = load_dataset(small, 0);
  const int64_t after_first = split_cache_misses();
  EXPECT_LE(after_first - before, 1);  // 0 when an earlier test of this process read it already
  a.train_x.fill_(7);                  // a job's own copy
  a.train_y.fill_(3);
  const Dataset b = load_dataset(other, 1);
  EXPECT_EQ(split_cache_misses(), after_first);
  EXPECT_EQ(b.train_size(), 300);
  EXPECT_EQ(b.test_size(), 20);
  const DatasetSplits fresh = find_loader(d.loader).load(d, other, 1);
  EXPECT_TRUE(torch::equal(b.train_y, fresh.train.y.narrow(0, 0, 300)));
  EXPECT_TRUE(torch::equal(b.test_y, fresh.test.y.narrow(0, 0, 20)));
  Dataset expected;
  expected.train_x = fresh.train.x.narrow(0, 0, 300).to(torch::kFloat);
  expected.test_x = fresh.test.x.narrow(0, 0, 20).to(torch::kFloat);
  normalise_images(expected.train_x, expected.test_x);
  EXPECT_TRUE(torch::equal(b.train_x, expected.train_x));
  EXPECT_TRUE(torch::equal(b.test_x, expected.test_x));

  const int64_t synthetic_before = split_cache_misses();
  load_dataset(task_of("dataset: synthetic-images", "depths: [1], dims: [8]"), 0);
  EXPECT_EQ(split_cache_misses(), synthetic_before);  // not a cacheable reader
}

}  // namespace
}  // namespace ms
