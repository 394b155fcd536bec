// load_dataset: dispatch on task.dataset, subsets, normalisation, device placement.
#include "dataset.h"

#include <stdexcept>

#include "dataset_cifar.h"
#include "dataset_idx.h"
#include "dataset_synthetic.h"

namespace ms {

namespace {


torch::Tensor first_n(const torch::Tensor& t, int64_t n) {
  return n > 0 && n < t.size(0) ? t.narrow(0, 0, n).clone() : t;
}

ImageSplit read_idx_split(const std::string& dir, const std::string& prefix) {
  auto x = read_idx_images(find_data_file(dir, prefix + "-images-idx3-ubyte"));
  auto y = read_idx_labels(find_data_file(dir, prefix + "-labels-idx1-ubyte"));
  if (x.size(0) != y.size(0))
    throw std::runtime_error(dir + "/" + prefix + "-*: " + std::to_string(x.size(0)) + " images but " +
                             std::to_string(y.size(0)) + " labels");
  return {x, y};
}

}  // namespace

void Dataset::to(const torch::Device& device) {
  train_x = train_x.to(device);
  train_y = train_y.to(device);
  test_x = test_x.to(device);
  test_y = test_y.to(device);
}

void normalise_images(torch::Tensor& train, torch::Tensor& test) {
  auto mean = train.mean({0, 2, 3}, /*keepdim=*/true);
  auto std = train.std({0, 2, 3}, /*unbiased=*/false, /*keepdim=*/true).clamp_min(1e-6);
  train = ((train - mean) / std).contiguous();
  test = ((test - mean) / std).contiguous();
}

Dataset load_dataset(const TaskConfig& task, int64_t seed) {
  Dataset d;
  d.name = task.dataset;
  const std::string& dir = task.data_dir;
  ImageSplit train, test;
  if (d.name == "fashion-mnist" || d.name == "mnist") {
    train = read_idx_split(dir, "train");
    test = read_idx_split(dir, "t10k");
  } else if (d.name == "cifar10") {
    train = read_cifar10_train(dir);
    test = read_cifar10_test(dir);
    d.augment = true;
  } else if (d.name == "synthetic-images") {
    auto s = make_synthetic_images(task.image_size, task.channels, task.num_classes, task.train_size, task.test_size,
                                   seed);
    train = s.train;
    test = s.test;
  } else if (d.name == "charlm") {
    auto s = make_charlm(task.text_file, task.seq_len);
    train = s.train;
    test = s.test;
    d.sequence = true;
  } else if (d.name == "reverse" || d.name == "sort" || d.name == "swap" || d.name == "sub" || d.name == "copy") {
    const int64_t len = task.seq_len, vocab = task.vocab;
    // Independent streams for train and test, both fixed by the job seed.
    train = make_sequence_task(d.name, task.train_size, len, vocab, uint64_t(seed) * 2 + 1);
    test = make_sequence_task(d.name, task.test_size, len, vocab, uint64_t(seed) * 2 + 2);
    d.sequence = true;
  } else {
    throw std::runtime_error("unknown task.dataset '" + d.name +
                             "': expected one of fashion-mnist, mnist, cifar10, synthetic-images, reverse, sort, swap, "
                             "sub, copy, charlm");
  }
  d.train_x = first_n(train.x, task.train_subset);
  d.train_y = first_n(train.y, task.train_subset);
  d.test_x = first_n(test.x, task.test_subset);
  d.test_y = first_n(test.y, task.test_subset);
  if (!d.sequence) {
    d.train_x = d.train_x.to(torch::kFloat);
    d.test_x = d.test_x.to(torch::kFloat);
    normalise_images(d.train_x, d.test_x);
  }
  if (d.train_size() == 0 || d.test_size() == 0)
    throw std::runtime_error("dataset '" + d.name + "' has an empty train or test split");
  return d;
}

}  // namespace ms
