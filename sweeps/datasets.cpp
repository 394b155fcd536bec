// The dataset list (see datasets.h). One entry per dataset.
#include "sweeps/datasets.h"

#include <algorithm>
#include <stdexcept>

#include "sweeps/run_config.h"

namespace ms {

namespace {

DatasetInfo idx_images(const std::string& name, const std::string& dir, const std::string& summary) {
  DatasetInfo d;
  d.name = name;
  d.loader = "idx";
  d.image_size = 28, d.channels = 1, d.classes = 10, d.fixed_geometry = true;
  d.train_examples = 60000, d.test_examples = 10000;
  d.default_data_dir = dir;
  d.summary = summary;
  return d;
}

DatasetInfo sequence_task(const std::string& name, const std::string& summary) {
  DatasetInfo d;
  d.name = name;
  d.kind = DataKind::Sequences;
  d.loader = "sequence-task";
  d.default_train_size = 50000, d.default_test_size = 10000;
  d.even_length = name == "swap";
  d.summary = summary;
  return d;
}

std::vector<DatasetInfo> build_catalog() {
  std::vector<DatasetInfo> c;
  c.push_back(idx_images("fashion-mnist", "/usr/share/datasets/fashion-mnist",
                         "Fashion-MNIST, 28×28 grey, 10 classes, 60k/10k (Debian dataset-fashion-mnist)"));
  c.push_back(idx_images("mnist", "/usr/share/datasets/mnist", "MNIST digits, 28×28 grey, 10 classes, 60k/10k"));
  {
    DatasetInfo d;
    d.name = "cifar10";
    d.loader = "cifar10";
    d.image_size = 32, d.channels = 3, d.classes = 10, d.fixed_geometry = true;
    d.train_examples = 50000, d.test_examples = 10000;
    d.required = {{"task.data_dir", "the cifar-10-batches-bin folder"}};
    d.augment = true;
    d.summary = "CIFAR-10 binary batches, 32×32 RGB, 10 classes, 50k/10k (crop + flip while training)";
    c.push_back(d);
  }
  {
    DatasetInfo d;
    d.name = "synthetic-images";
    d.loader = "synthetic-images";
    d.image_size = 32, d.channels = 3, d.classes = 10;
    d.default_train_size = 1024, d.default_test_size = 256;
    d.summary = "generated images: a smooth pattern per class plus Gaussian noise (seeded)";
    c.push_back(d);
  }
  c.push_back(sequence_task("reverse", "the sequence reversed (Key-Value Transformer tasks)"));
  c.push_back(sequence_task("sort", "the sequence sorted"));
  c.push_back(sequence_task("swap", "the two halves swapped"));
  c.push_back(sequence_task("sub", "each token's complement, (vocab - 1) - token"));
  c.push_back(sequence_task("copy", "the sequence itself"));
  {
    DatasetInfo d;
    d.name = "charlm";
    d.kind = DataKind::Sequences;
    d.loader = "charlm";
    d.required = {{"task.text_file", "the text file to model"}};
    d.vocab = 256;
    d.causal = true;
    d.summary = "next-byte prediction on a text file (causal), in bits per byte";
    c.push_back(d);
  }
  for (const char* loader : {"imagefolder", "tar-shards"}) {
    const bool folder = std::string(loader) == "imagefolder";
    DatasetInfo d;
    d.name = folder ? "imagefolder" : "webdataset";
    d.loader = loader;
    d.streamed = true;
    d.image_size = 224, d.channels = 3;  // defaults of the crop size and of the decoded channels
    d.required = {{"task.data_dir", folder ? "a folder with train/ and val/ folders of class folders (the torchvision "
                                             "ImageFolder layout)"
                                           : "a folder with train/ and val/ folders of WebDataset .tar shards, or "
                                             "give task.train_shards and task.val_shards"},
                  {"task.num_classes", "the number of classes, so that plan can size the model without the data"}};
    d.summary = folder ? "JPEG/PNG files in ROOT/{train,val}/<class>/, streamed and augmented per batch"
                       : "WebDataset tar shards (<key>.jpg|png + <key>.cls), streamed and augmented per batch";
    c.push_back(d);
  }
  return c;
}

}  // namespace

const std::vector<DatasetInfo>& dataset_catalog() {
  static const std::vector<DatasetInfo> catalog = build_catalog();
  return catalog;
}

const DatasetInfo* find_dataset(const std::string& name) {
  for (const auto& d : dataset_catalog())
    if (d.name == name) return &d;
  return nullptr;
}

const DatasetInfo& dataset_info(const std::string& name) {
  if (const DatasetInfo* d = find_dataset(name)) return *d;
  std::string known;
  for (const auto& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown task.dataset '" + name + "': expected one of " + known);
}

std::vector<std::string> dataset_names() {
  std::vector<std::string> names;
  for (const auto& d : dataset_catalog()) names.push_back(d.name);
  return names;
}

int64_t sequence_vocab(const TaskConfig& task) {
  const DatasetInfo& d = dataset_info(task.dataset);
  return d.vocab > 0 ? d.vocab : task.vocab;
}

CharLmWindows charlm_windows(int64_t text_bytes, int64_t seq_len) {
  const int64_t windows = text_bytes > 1 && seq_len > 0 ? (text_bytes - 1) / seq_len : 0;
  if (windows < 2) return {};
  const int64_t test = std::max<int64_t>(1, windows / 10);
  return {windows - test, test};
}

std::vector<std::string> dataset_names(DataKind kind) {
  std::vector<std::string> names;
  for (const auto& d : dataset_catalog())
    if (d.kind == kind) names.push_back(d.name);
  return names;
}

}  // namespace ms
