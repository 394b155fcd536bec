// Decoded and augmented training images per second of metasweep's streamed image loader
// (worker/data/image_stream.h) on an image folder: RandomResizedCrop 224 (bicubic), horizontal
// flip, normalisation, into float batches, with T decoding threads. One epoch of warm-up
// (page cache), then the median of REPEATS epochs. bench/image_loader_vs_torchvision.sh runs
// it beside torchvision's ImageFolder + DataLoader with the same transforms.
//   image_loader_bench ROOT NUM_CLASSES THREADS [BATCH=256] [REPEATS=3] [basic|full|basic-exact|full-exact]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "sweeps/override.h"
#include "sweeps/resolve.h"
#include "sweeps/run_config.h"
#include "worker/data/batch_source.h"
#include "worker/models/model_cost.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: image_loader_bench ROOT NUM_CLASSES THREADS [BATCH=256] [REPEATS=3] [basic|full][-exact]\n");
    return 2;
  }
  using namespace ms;
  const int threads = std::atoi(argv[3]);
  const int64_t batch = argc > 4 ? std::atoll(argv[4]) : 256;
  const int repeats = argc > 5 ? std::atoi(argv[5]) : 3;
  // basic: crop, flip, normalise; full: also RandAugment rand-m9-mstd0.5-inc1 and random erasing 0.25;
  // either with "-exact": training crops decoded at full size (task.augment.jpeg_scaled_decode: false).
  const std::string recipe = argc > 6 ? argv[6] : "basic";
  const bool exact = recipe.size() > 6 && recipe.compare(recipe.size() - 6, 6, "-exact") == 0;
  const std::string base = exact ? recipe.substr(0, recipe.size() - 6) : recipe;
  if (base != "basic" && base != "full") {
    std::fprintf(stderr, "image_loader_bench: unknown recipe '%s': expected basic, full, basic-exact or full-exact\n",
                 recipe.c_str());
    return 2;
  }
  const bool full = base == "full";
  torch::set_num_threads(1);
  Overrides o = {{"task.dataset", "imagefolder", {}},
                 {"task.data_dir", argv[1], {}},
                 {"task.num_classes", std::atoll(argv[2]), {}},
                 {"task.batch_size", batch, {}},
                 {"task.image_size", 224, {}},
                 {"task.augment.erasing", full ? 0.25 : 0.0, {}},
                 {"task.augment.rand_augment", full ? "rand-m9-mstd0.5-inc1" : "", {}},
                 {"task.augment.jpeg_scaled_decode", !exact, {}}};
  const TaskConfig task = run_config(resolve_config("bench.yaml", {&o}, model_catalog(), Mark{})).task;
  BatchSourceOptions options;
  options.threads = threads;
  auto source = make_batch_source(task, 0, options);
  std::vector<double> rates;
  for (int epoch = 0; epoch <= repeats; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    source->start_epoch(epoch + 1);
    int64_t images = 0;
    torch::Tensor x, y;
    for (int64_t step = 0; step < source->steps_per_epoch(); ++step)
      if (source->batch(step, x, y)) images += x.size(0);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("epoch %d: %lld images in %.2f s = %.1f images/s%s\n", epoch, static_cast<long long>(images), s,
                images / s, epoch == 0 ? " (warm-up)" : "");
    if (epoch > 0) rates.push_back(images / s);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("metasweep %s threads=%d median %.1f images/s\n", recipe.c_str(), threads, rates[rates.size() / 2]);
  return 0;
}
