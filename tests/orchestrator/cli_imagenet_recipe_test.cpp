// sweeps/poolformer_s12_imagenet.yaml, the paper's ImageNet recipe, through the real binary:
// `plan` sizes PoolFormer-S12 as the paper does (11.9M parameters, 1.8G MACs) without any data,
// and `train` runs it for one step (2 images, 224×224, 1000 classes) on a generated image folder
// of 1000 class folders: the streamed loader, the recipe's keys and the model together.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include <gtest/gtest.h>

#include "images/decode.h"
#include "images/png_codec.h"
#include "tests/test_support.h"

namespace ms {
namespace {

namespace fs = std::filesystem;

std::string recipe() {
  std::ifstream in(test::source_dir() + "/sweeps/poolformer_s12_imagenet.yaml");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void replace(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

TEST(ImagenetRecipe, PlanSizesPoolFormerS12AsThePaper) {
  const auto r = test::run_command(test::metasweep_bin() + " plan " +
                                   test::shell_quote(test::source_dir() + "/sweeps/poolformer_s12_imagenet.yaml"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex(R"(([0-9.]+)M\s+([0-9.]+)G)"))) << r.out;
  EXPECT_NEAR(std::stod(m[1]), 11.9, 0.05) << r.out;  // REFERENCE.md: PoolFormer-S12 11.9M, 1.8G
  EXPECT_NEAR(std::stod(m[2]), 1.8, 0.05) << r.out;
  // ImageNet's image count is not known before a job indexes the folder: the estimate says what it assumed.
  EXPECT_NE(r.out.find("costed at 10000 training examples per epoch"), std::string::npos) << r.out;
}

TEST(ImagenetRecipe, TrainsOneStepOnAGeneratedFolder) {
  test::TempDir dir;
  for (int k = 0; k < 1000; ++k) {  // one small image per class, and two for validation
    char name[16];
    std::snprintf(name, sizeof name, "c%04d", k);
    Image im = make_image(64 + k % 7, 48, 3, static_cast<uint8_t>(k % 256));
    for (const std::string split : {"train", "val"}) {
      if (split == "val" && k >= 2) continue;
      fs::create_directories(dir.file(split + "/" + name));
      std::ofstream(dir.file(split + "/" + name + "/0.png"), std::ios::binary) << encode_png(im);
    }
  }
  std::string sweep = recipe();
  replace(sweep, "    data_dir: /data/imagenet\n",
          "    data_dir: " + dir.path() + "\n    train_subset: 2\n    test_subset: 2\n");
  replace(sweep, "    epochs: 300\n", "    epochs: 1\n");
  replace(sweep, "    batch_size: 4096\n", "    batch_size: 2\n");
  dir.write("s.yaml", sweep);
  const auto r = test::run_command(test::metasweep_bin() + " train " + test::shell_quote(dir.file("s.yaml")) +
                                   " --variant baseline --device cpu --threads 2");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("epoch 1/1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("done: baseline, 1 epochs"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ms
