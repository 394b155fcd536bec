// The dataset catalog (sweeps/datasets.h) is the one list of datasets: the schema accepts exactly
// its names; every entry resolves into a job with its geometry, sizes and data folder filled
// in; its constraints (a required key, fixed geometry, an even length, causality) are enforced
// with the entry's own words.
#include "sweeps/datasets.h"

#include <set>

#include <gtest/gtest.h>

#include "sweeps/config_schema.h"
#include "sweeps/errors.h"
#include "sweeps/job.h"
#include "sweeps/run_config.h"
#include "sweeps/sweep_spec.h"
#include "tests/sweeps/test_catalog.h"

namespace ms {
namespace {

std::string sweep_for(const DatasetInfo& d, const std::string& extra = "") {
  std::string task = "dataset: " + d.name + ", epochs: 1";
  for (const auto& r : d.required) {
    if (r.key == "task.data_dir") task += ", data_dir: /some/folder";
    if (r.key == "task.text_file") task += ", text_file: /some/file.txt";
    if (r.key == "task.num_classes") task += ", num_classes: 7";
  }
  const std::string model = d.kind == DataKind::Images ? "{depths: [1], dims: [8]}"
                                                       : "{arch: sequence, depths: [1], dims: [8], norm: layernorm}";
  return "name: t\nbase:\n  task: {" + task + extra + "}\n  model: " + model + "\nseeds: [0]\n";
}

RunConfig resolve(const std::string& text) {
  const SweepSpec spec = parse_sweep(text, "t.yaml", test::test_catalog());
  return run_config(expand_sweep(spec, test::test_catalog()).at(0).config);
}

TEST(DatasetCatalog, NamesAreUniqueAndAreWhatTheSchemaAccepts) {
  std::set<std::string> seen;
  for (const auto& d : dataset_catalog()) {
    EXPECT_TRUE(seen.insert(d.name).second) << d.name;
    EXPECT_FALSE(d.loader.empty()) << d.name;
    EXPECT_FALSE(d.summary.empty()) << d.name;
  }
  EXPECT_EQ(find_key_spec("task.dataset")->choices, dataset_names());
  EXPECT_EQ(find_dataset("no-such-set"), nullptr);
  EXPECT_THROW(dataset_info("no-such-set"), std::invalid_argument);
}

TEST(DatasetCatalog, EveryEntryResolvesWithItsFacts) {
  for (const auto& d : dataset_catalog()) {
    SCOPED_TRACE(d.name);
    const RunConfig r = resolve(sweep_for(d));
    EXPECT_EQ(r.task.dataset, d.name);
    if (d.kind == DataKind::Images) {
      EXPECT_EQ(r.task.image_size, d.image_size);
      EXPECT_EQ(r.task.channels, d.channels);
      EXPECT_EQ(r.task.num_classes, d.classes > 0 ? d.classes : 7);  // 7: what sweep_for gives
    }
    if (d.default_train_size > 0) {
      EXPECT_EQ(r.task.train_size, d.default_train_size);
    }
    if (d.default_test_size > 0) {
      EXPECT_EQ(r.task.test_size, d.default_test_size);
    }
    if (!d.default_data_dir.empty()) {
      EXPECT_EQ(r.task.data_dir, d.default_data_dir);
    }
    EXPECT_EQ(sequence_vocab(r.task), d.vocab > 0 ? d.vocab : r.task.vocab);
  }
}

TEST(DatasetCatalog, ConstraintsAreEnforcedInTheEntrysWords) {
  for (const auto& d : dataset_catalog()) {
    SCOPED_TRACE(d.name);
    for (const auto& r : d.required) {  // leave out one required key at a time
      std::string extra;
      for (const auto& other : d.required)
        if (other.key != r.key)
          extra += ", " + other.key.substr(5) + (other.key == "task.num_classes" ? ": 7" : ": /x");
      const std::string text =
          "name: t\nbase:\n  task: {dataset: " + d.name + extra + "}\n  model: {" +
          (d.kind == DataKind::Sequences ? "arch: sequence, depths: [1], dims: [8], norm: layernorm"
                                         : "depths: [1], dims: [8]") +
          "}\nseeds: [0]\n";
      try {
        resolve(text);
        ADD_FAILURE() << "no error without " << r.key;
      } catch (const SpecError& e) {
        EXPECT_NE(std::string(e.what()).find(d.name + " needs " + r.key + " (" + r.why + ")"), std::string::npos)
            << e.what();
      }
    }
    if (d.fixed_geometry) {
      EXPECT_THROW(resolve(sweep_for(d, ", image_size: " + std::to_string(d.image_size + 4))), SpecError);
    }
    if (d.even_length) {
      EXPECT_THROW(resolve(sweep_for(d, ", seq_len: 7")), SpecError);
    }
    if (d.causal) {
      const std::string text = "name: t\nbase:\n  task: {dataset: " + d.name +
                               ", text_file: /f.txt}\n  model: {arch: sequence, depths: [1], dims: [8], norm: "
                               "batchnorm}\nseeds: [0]\n";
      EXPECT_THROW(resolve(text), SpecError);
    }
  }
}

}  // namespace
}  // namespace ms
