// The dataset catalog: one entry per dataset a sweep can name in `task.dataset`, with every fact
// the layers above need about it, so no other file lists dataset names. The sweep validator
// reads the geometry, defaults and constraints; `plan` the split sizes; the worker picks the
// reader named by `loader` (worker/data/loaders.cpp: one reader serves every dataset of its
// format). Adding a dataset is one line in datasets.cpp (plus a reader file and its line in
// loaders.cpp when the format is new).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ms {

enum class DataKind {
  Images,     // N×C×H×W images with one class label each (model.arch metaformer)
  Sequences,  // N×L tokens with a target token per position (model.arch sequence)
};

struct DatasetInfo {
  std::string name;  // the task.dataset value
  DataKind kind = DataKind::Images;
  std::string loader;  // the worker's reader: idx | cifar10 | synthetic-images | sequence-task | charlm
  // Images: the native geometry. `fixed_geometry`: the files fix it, and a sweep that sets
  // task.image_size / channels / num_classes to anything else is refused; otherwise these are
  // the defaults of those keys.
  int64_t image_size = 0, channels = 0, classes = 0;
  bool fixed_geometry = false;
  // Examples per split when the files fix them (0: generated, task.train_size/test_size say).
  int64_t train_examples = 0, test_examples = 0;
  // Generated datasets: the defaults of task.train_size / task.test_size.
  int64_t default_train_size = 0, default_test_size = 0;
  std::string default_data_dir;  // where the Debian package installs it ("" = none)
  struct Required {
    std::string key;  // a task key the sweep must set (a non-empty string, a non-zero number)
    std::string why;  // what it must say, for the error message
  };
  std::vector<Required> required;
  // Read from disk batch by batch and never held whole in memory (image folders, tar shards):
  // decoded and augmented per batch (task.augment.*), normalised with fixed statistics.
  bool streamed = false;
  int64_t vocab = 0;         // sequences: a fixed vocabulary (charlm: 256 byte values); 0 = task.vocab
  bool causal = false;       // next-token prediction: only causal mixers and norms (charlm)
  bool even_length = false;  // task.seq_len must be even (swap)
  bool augment = false;      // random crop (pad 4) + horizontal flip while training (cifar10)
  std::string summary;       // one line for --help and docs
};

// Every dataset, in the order --help lists them.
const std::vector<DatasetInfo>& dataset_catalog();
// nullptr when `name` is not in the catalog.
const DatasetInfo* find_dataset(const std::string& name);
// Like find_dataset, but throws std::invalid_argument listing the known names.
const DatasetInfo& dataset_info(const std::string& name);
std::vector<std::string> dataset_names();
std::vector<std::string> dataset_names(DataKind kind);

struct TaskConfig;
// The vocabulary a sequence model of `task` embeds and predicts: the dataset's own when it fixes
// one (charlm's 256 bytes), else task.vocab.
int64_t sequence_vocab(const TaskConfig& task);

// charlm's split of a text of `text_bytes` bytes into windows of `seq_len` (each target the next
// byte): every tenth window, at least one, is held out at the end. Zero windows when the text
// is shorter than two windows and a byte.
struct CharLmWindows {
  int64_t train = 0, test = 0;
};
CharLmWindows charlm_windows(int64_t text_bytes, int64_t seq_len);

}  // namespace ms
