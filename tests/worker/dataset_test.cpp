// Datasets: IDX parsing (raw, gzipped, corrupt), Key-Value Transformer targets, charlm windows,
// synthetic images, deterministic shuffling, per-rank batch shares and crop+flip.
#include "worker/data/dataset.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/test_support.h"
#include "tests/worker/model_test_util.h"
#include "worker/data/data_loader.h"
#include "worker/data/dataset_cifar.h"
#include "worker/data/dataset_idx.h"
#include "worker/data/dataset_synthetic.h"

namespace ms {
namespace {

std::string be32(uint32_t v) {
  return std::string{char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

// Two 2×3 images with pixel values 0..11.
std::string idx_images() {
  std::string s = be32(0x00000803) + be32(2) + be32(2) + be32(3);
  for (int i = 0; i < 12; ++i) s.push_back(char(i));
  return s;
}

std::string write_bytes(const test::TempDir& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir.file(name), std::ios::binary) << bytes;
  return dir.file(name);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(IdxReader, ParsesRawAndGzippedImagesAndLabels) {
  test::TempDir dir;
  const auto raw = write_bytes(dir, "img", idx_images());
  ASSERT_EQ(test::run_command("gzip -c " + raw + " > " + dir.file("img.gz")).exit_code, 0);
  for (const auto& path : {raw, dir.file("img.gz")}) {
    auto t = read_idx_images(path);
    EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2, 1, 2, 3}));
    EXPECT_EQ(t[1][0][1][2].item<int>(), 11);
  }
  std::string labels = be32(0x00000801) + be32(3) + std::string{char(7), char(0), char(9)};
  auto y = read_idx_labels(write_bytes(dir, "lab", labels));
  EXPECT_EQ(y.scalar_type(), torch::kInt64);
  EXPECT_EQ(y[2].item<int64_t>(), 9);
}

TEST(IdxReader, CorruptFilesNameThePathAndTheProblem) {
  test::TempDir dir;
  const auto labels_as_images = write_bytes(dir, "bad-magic", be32(0x00000801) + be32(1) + "x");
  std::string e = error_of([&] { read_idx_images(labels_as_images); });
  EXPECT_NE(e.find(labels_as_images), std::string::npos) << e;
  EXPECT_NE(e.find("expected IDX magic 0x00000803, got 0x00000801"), std::string::npos) << e;

  const auto short_data = write_bytes(dir, "short", idx_images().substr(0, 20));
  e = error_of([&] { read_idx_images(short_data); });
  EXPECT_NE(e.find("expected 12 bytes of data after the IDX header, got 4"), std::string::npos) << e;

  const auto raw = write_bytes(dir, "img", idx_images());
  ASSERT_EQ(test::run_command("gzip -c " + raw + " | head -c 20 > " + dir.file("cut.gz")).exit_code, 0);
  e = error_of([&] { read_idx_images(dir.file("cut.gz")); });
  EXPECT_NE(e.find(dir.file("cut.gz")), std::string::npos) << e;
  EXPECT_NE(e.find("gzip"), std::string::npos) << e;

  e = error_of([&] { find_data_file(dir.path(), "train-images-idx3-ubyte"); });
  EXPECT_NE(e.find(dir.file("train-images-idx3-ubyte.gz") + ": no such file"), std::string::npos) << e;
}

TEST(IdxReader, LoadsFashionMnistSubsetNormalised) {
  const std::string dir = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(dir + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  nlohmann::json task = {{"dataset", "fashion-mnist"}, {"data_dir", dir}, {"train_subset", 500}, {"test_subset", 100}};
  Dataset d = load_dataset(test::task_config(task), 0);
  EXPECT_EQ(d.train_x.sizes(), (std::vector<int64_t>{500, 1, 28, 28}));
  EXPECT_EQ(d.test_size(), 100);
  EXPECT_NEAR(d.train_x.mean().item<double>(), 0.0, 1e-4);
  EXPECT_NEAR(d.train_x.std().item<double>(), 1.0, 1e-2);
  EXPECT_LE(d.train_y.max().item<int64_t>(), 9);
}

TEST(SequenceTasks, TargetsOfAHandExample) {
  auto x = torch::tensor({3, 1, 2, 0}, torch::kInt64).view({1, 4});
  auto as_vec = [](const torch::Tensor& t) {
    auto c = t.contiguous();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  };
  EXPECT_EQ(as_vec(sequence_task_targets("reverse", x, 10)), (std::vector<int64_t>{0, 2, 1, 3}));
  EXPECT_EQ(as_vec(sequence_task_targets("sort", x, 10)), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(as_vec(sequence_task_targets("swap", x, 10)), (std::vector<int64_t>{2, 0, 3, 1}));
  EXPECT_EQ(as_vec(sequence_task_targets("sub", x, 10)), (std::vector<int64_t>{6, 8, 7, 9}));
  EXPECT_EQ(as_vec(sequence_task_targets("copy", x, 10)), (std::vector<int64_t>{3, 1, 2, 0}));
}

TEST(SequenceTasks, DeterministicFromTheSeed) {
  nlohmann::json task = {{"dataset", "sort"}, {"seq_len", 8}, {"vocab", 10}, {"train_size", 64}, {"test_size", 16}};
  Dataset a = load_dataset(test::task_config(task), 3), b = load_dataset(test::task_config(task), 3),
          c = load_dataset(test::task_config(task), 4);
  EXPECT_TRUE(a.sequence);
  EXPECT_TRUE(torch::equal(a.train_x, b.train_x));
  EXPECT_FALSE(torch::equal(a.train_x, c.train_x));
  EXPECT_FALSE(torch::equal(a.train_x, a.test_x.narrow(0, 0, 16).repeat({4, 1})));
  EXPECT_TRUE(torch::equal(a.train_y, std::get<0>(a.train_x.sort(1))));
}

TEST(CharLm, NextByteWindows) {
  test::TempDir dir;
  std::string text;
  for (int i = 0; i < 41; ++i) text.push_back(char('a' + i % 26));
  const auto path = dir.write("t.txt", text);
  auto s = make_charlm(path, 4);  // 10 windows: 9 train, 1 test
  EXPECT_EQ(s.train.x.size(0), 9);
  EXPECT_EQ(s.test.x.size(0), 1);
  EXPECT_EQ(s.train.x[0][0].item<int64_t>(), 'a');
  EXPECT_EQ(s.train.y[0][0].item<int64_t>(), 'b');
  EXPECT_EQ(s.train.y[0][3].item<int64_t>(), s.train.x[1][0].item<int64_t>());
  const auto tiny = dir.write("tiny.txt", "abc");
  EXPECT_NE(error_of([&] { make_charlm(tiny, 4); }).find(tiny), std::string::npos);
}

TEST(SyntheticImages, DeterministicAndClassDependent) {
  auto a = make_synthetic_images(8, 2, 3, 300, 30, 1), b = make_synthetic_images(8, 2, 3, 300, 30, 1);
  EXPECT_TRUE(torch::equal(a.train.x, b.train.x));
  EXPECT_EQ(a.train.x.sizes(), (std::vector<int64_t>{300, 2, 8, 8}));
  auto mean0 = a.train.x.index({a.train.y == 0}).mean(0), mean1 = a.train.x.index({a.train.y == 1}).mean(0);
  EXPECT_GT((mean0 - mean1).abs().mean().item<double>(), 0.3);  // classes are separable on average
}

TEST(Shuffling, DeterministicPerSeedAndEpoch) {
  auto p = epoch_permutation(100, 7, 2);
  EXPECT_TRUE(torch::equal(p, epoch_permutation(100, 7, 2)));
  EXPECT_FALSE(torch::equal(p, epoch_permutation(100, 7, 3)));
  EXPECT_FALSE(torch::equal(p, epoch_permutation(100, 8, 2)));
  EXPECT_TRUE(torch::equal(std::get<0>(p.sort()), torch::arange(100, torch::kInt64)));
}

TEST(DataLoader, RankSharesTileTheGlobalBatch) {
  nlohmann::json task = {{"dataset", "copy"}, {"seq_len", 4}, {"train_size", 50}, {"test_size", 10}};
  Dataset d = load_dataset(test::task_config(task), 0);
  DataLoader one(d, 16, 5, 0, 1), r0(d, 16, 5, 0, 2), r1(d, 16, 5, 1, 2);
  EXPECT_EQ(one.steps_per_epoch(), 3);  // the partial last batch is dropped
  for (auto* l : {&one, &r0, &r1}) l->start_epoch(2);
  torch::Tensor x, y, x0, y0, x1, y1;
  ASSERT_TRUE(one.batch(1, x, y));
  ASSERT_TRUE(r0.batch(1, x0, y0));
  ASSERT_TRUE(r1.batch(1, x1, y1));
  EXPECT_EQ(x0.size(0), 8);
  EXPECT_TRUE(torch::equal(x, torch::cat({x0, x1})));
  EXPECT_EQ(rank_slice(10, 2, 3), (std::pair<int64_t, int64_t>{6, 10}));
}

TEST(CropAndFlip, CentreCropIsIdentityAndFlipMirrors) {
  auto x = torch::arange(2 * 3 * 4 * 4, torch::kFloat).view({2, 3, 4, 4});
  auto centre = torch::full({2, 2}, 4, torch::kInt64);
  auto no = torch::zeros({2}, torch::kBool), yes = torch::ones({2}, torch::kBool);
  EXPECT_TRUE(torch::equal(crop_and_flip(x, centre, no, 4), x));
  EXPECT_TRUE(torch::equal(crop_and_flip(x, centre, yes, 4), x.flip({3})));
  auto corner = torch::zeros({2, 2}, torch::kInt64);  // shifted by 4: all padding
  EXPECT_EQ(crop_and_flip(x, corner, no, 4).abs().sum().item<float>(), 0.0f);
  // With a per-channel fill (what black becomes once normalised), the padding is that value.
  const auto fill = torch::tensor({-1.5f, -0.25f, 2.0f}).view({3, 1, 1});
  EXPECT_TRUE(torch::equal(crop_and_flip(x, corner, no, 4, fill), fill.expand({2, 3, 4, 4})));
  EXPECT_TRUE(torch::equal(crop_and_flip(x, centre, yes, 4, fill), x.flip({3})));
  auto shifted = torch::full({2, 2}, 2, torch::kInt64);  // 2 rows and columns of padding, then x
  const auto out = crop_and_flip(x, shifted, no, 4, fill);
  EXPECT_TRUE(torch::equal(out.narrow(2, 2, 2).narrow(3, 2, 2), x.narrow(2, 0, 2).narrow(3, 0, 2)));
  EXPECT_TRUE(torch::equal(out.narrow(2, 0, 2), fill.expand({2, 3, 2, 4})));
}

// CIFAR's padding is black before normalisation, as torchvision's RandomCrop(32, padding=4)
// before Normalize: normalise_images says what 0 becomes, -mean/std per channel.
TEST(CropAndFlip, PadValueIsBlackNormalised) {
  auto train = torch::rand({16, 3, 4, 4}) * 255, test = torch::rand({4, 3, 4, 4}) * 255;
  const auto zero = torch::zeros({1, 3, 4, 4});
  auto train_with_zero = torch::cat({train, zero}), test_copy = torch::cat({test, zero});
  const torch::Tensor pad = normalise_images(train_with_zero, test_copy);
  ASSERT_EQ(pad.sizes(), (std::vector<int64_t>{3, 1, 1}));
  // The zero image appended to the test split is normalised with the same statistics.
  EXPECT_TRUE(torch::allclose(test_copy[4], pad.expand({3, 4, 4}), 1e-6, 1e-6));
}

}  // namespace
}  // namespace ms
