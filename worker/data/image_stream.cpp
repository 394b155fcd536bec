// Streaming, decoding and augmenting image batches (see image_stream.h).
#include "worker/data/image_stream.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <stdexcept>

#include "images/decode.h"
#include "images/geometry.h"
#include "images/rand_augment.h"
#include "images/sources/image_folder.h"
#include "images/sources/tar_shards.h"
#include "sweeps/rand_augment_spec.h"
#include "sweeps/user_text.h"
#include "worker/data/loaders.h"
#include "worker/data/random_erasing.h"
#include "worker/train/device.h"

namespace ms {

namespace {

constexpr size_t kAhead = 2;            // batches prepared ahead of the trainer
constexpr uint64_t kAugmentStream = 4;  // order_stream tag of the per-image augmentation draws

// A file that cannot be read or decoded: what task.on_corrupt decides about. Any other failure
// while preparing an image (the augmentation, memory) fails the job whatever on_corrupt says:
// counting it as corrupt would skip every image of a run and blame the files.
struct CorruptImage : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// f() with every exception it throws as CorruptImage (the file's bytes are at fault).
template <class F>
auto as_corrupt(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw CorruptImage(e.what());
  }
}

int ceil_div_scaled(int side, int target, int part) {  // ceil(side * target / part), at most side
  const double v = std::ceil(static_cast<double>(side) * target / std::max(1, part));
  return static_cast<int>(std::min<double>(side, v));
}

// One training image: RandomResizedCrop of the full-resolution geometry, decoded (only the crop's
// rows and columns) at the smallest JPEG scale that still gives the crop at least `size` pixels
// per side when task.augment.jpeg_scaled_decode is on, else at full size; resized with `filter`,
// or with interpolation random with bilinear or bicubic drawn per image; then flipped, then
// RandAugment when configured (timm's order).
Image train_image(const std::string& bytes, const TaskConfig& task, Filter filter,
                  const std::optional<RandAugmentParams>& rand_augment, Uniform01& u) {
  const ImageHeader h = as_corrupt([&] { return read_image_header(bytes); });
  RandomResizedCropOptions o;
  o.scale_min = task.augment.scale_min, o.scale_max = task.augment.scale_max;
  o.ratio_min = task.augment.ratio_min, o.ratio_max = task.augment.ratio_max;
  const CropRect r = random_resized_crop_params(h.width, h.height, std::function<double()>(std::ref(u)), o);
  if (task.augment.interpolation == "random")  // timm draws it after the crop, before the flip
    filter = u() < 0.5 ? Filter::Bilinear : Filter::Bicubic;
  const int size = static_cast<int>(task.image_size);
  thread_local Image image;  // the decoded crop: its buffer is reused image after image
  DecodeOptions decode;
  decode.channels = static_cast<int>(task.channels);
  if (task.augment.jpeg_scaled_decode) {
    decode.min_width = ceil_div_scaled(h.width, size, r.width);
    decode.min_height = ceil_div_scaled(h.height, size, r.height);
  }
  decode.crop = r;
  as_corrupt([&] { decode_image_into(bytes, decode, image); });
  Image out = resize(image, size, size, filter);
  if (u() < task.augment.hflip) out = hflip(out);
  if (rand_augment) out = ms::rand_augment(out, *rand_augment, std::function<double()>(std::ref(u)));
  return out;
}

// One test image: the shorter side resized to image_size / eval_crop_pct, then center-cropped.
// Always decoded whole and at full size, as timm evaluates: a reduced DCT scale would put a
// different low-pass (and a sub-pixel shift) into the reported accuracy, for little time (the
// validation set is a small fraction of an epoch's images).
Image test_image(const std::string& bytes, const TaskConfig& task, Filter filter) {
  const int size = static_cast<int>(task.image_size);
  thread_local Image image;
  DecodeOptions decode;  // the whole image: the resize before the center crop reads past its edges
  decode.channels = static_cast<int>(task.channels);
  as_corrupt([&] { decode_image_into(bytes, decode, image); });
  return eval_transform(image, size, task.augment.eval_crop_pct, filter);
}

std::string describe(const ImageSet& set, const ImageRecord& r) {
  std::string where = printable(set.files[r.file]);  // a file name may hold any byte but '/'
  if (r.offset == 0) return where;  // an image file of a folder (a tar member's bytes start after its header)
  // A shard's image by its member name, the key a user finds it by (`tar tf`), and its bytes.
  const std::string member = tar_member_at(set.files[r.file], r.offset);
  if (!member.empty()) where += ": member \"" + printable(member) + "\"";
  where += " (bytes " + std::to_string(r.offset) + "..+" + std::to_string(r.size) + ")";
  return where;
}

}  // namespace

ImageStream::ImageStream(ImageSet train, ImageSet test, Shuffle shuffle, const TaskConfig& task, int64_t seed,
                         const BatchSourceOptions& options)
    : train_(std::move(train)),
      test_(std::move(test)),
      shuffle_(shuffle),
      task_(task),
      seed_(seed),
      options_(options),
      filter_(task.augment.interpolation == "bilinear" ? Filter::Bilinear : Filter::Bicubic),
      pool_(std::max(0, options.threads - 1)) {
  keep_subset(train_, task.train_subset);  // every class, the same images for every job
  keep_subset(test_, task.test_subset);
  if (train_.records.empty() || test_.records.empty())
    throw std::runtime_error("dataset '" + task.dataset + "' has an empty train or test split");
  for (const ImageSet* set : {&train_, &test_})
    for (const ImageRecord& r : set->records)
      if (r.label >= task.num_classes)
        throw std::runtime_error(describe(*set, r) + ": label " + std::to_string(r.label) +
                                 " is outside the task.num_classes " + std::to_string(task.num_classes) + " classes");
  if (task.batch_size < 1) throw std::runtime_error("task.batch_size must be at least 1");
  global_batch_ = std::min<int64_t>(task.batch_size, static_cast<int64_t>(train_.size()));
  steps_ = static_cast<int64_t>(train_.size()) / global_batch_;
  const bool imagenet = task.augment.normalize == "imagenet";
  const float rgb_mean[3] = {0.485f, 0.456f, 0.406f}, rgb_std[3] = {0.229f, 0.224f, 0.225f};
  float mean[3], std[3];
  for (int c = 0; c < 3; ++c) {
    // Grey images: the average of ImageNet's channel statistics (timm's rule for in_chans 1).
    mean[c] = !imagenet ? 0.0f : task.channels == 1 ? (0.485f + 0.456f + 0.406f) / 3 : rgb_mean[c];
    std[c] = !imagenet ? 1.0f : task.channels == 1 ? (0.229f + 0.224f + 0.225f) / 3 : rgb_std[c];
    const float scale = 1.0f / (255.0f * std[c]), shift = mean[c] / std[c];
    for (int v = 0; v < 256; ++v) lut_[c][v] = static_cast<float>(v) * scale - shift;
  }
  if (const auto spec = parse_rand_augment(task.augment.rand_augment)) {
    RandAugmentParams p;
    p.num_ops = spec->num_ops, p.magnitude = spec->magnitude, p.magnitude_std = spec->magnitude_std;
    p.magnitude_max = spec->magnitude_max, p.probability = spec->probability, p.increasing = spec->increasing;
    p.filter = filter_;
    p.random_filter = task.augment.interpolation == "random";
    // timm's fill for the geometric operations: the normalisation mean in bytes (Python's round).
    for (int c = 0; c < 3; ++c) p.fill[c] = static_cast<uint8_t>(std::nearbyint(255.0 * mean[c]));
    rand_augment_ = p;
  }
}

ImageStream::~ImageStream() { stop_producer(); }

ImageStream::Batch ImageStream::prepare(const std::vector<size_t>& records, const ImageSet& set, bool train,
                                        int64_t epoch) {
  const int64_t n = static_cast<int64_t>(records.size()), c = task_.channels, s = task_.image_size;
  torch::Tensor x;
  // On the CPU, a ring buffer nobody else holds any more (the trainer is done with it). On CUDA
  // the batch is copied asynchronously from pinned memory, so a buffer is never rewritten here:
  // LibTorch's pinned-memory cache hands blocks back only once their copies have completed.
  const bool reuse = train && !options_.device.is_cuda();
  if (reuse)
    for (const torch::Tensor& t : ring_)
      if (t.size(0) == n && t.use_count() == 1 && t.storage().use_count() == 1) {
        x = t;
        break;
      }
  if (!x.defined()) {
    auto host = torch::TensorOptions().dtype(torch::kFloat).pinned_memory(options_.device.is_cuda());
    x = torch::empty({n, c, s, s}, host);
    if (reuse && ring_.size() < kAhead + 3) ring_.push_back(x);
  }
  std::vector<int64_t> labels(static_cast<size_t>(n));
  std::vector<char> kept(static_cast<size_t>(n), 1);
  std::vector<std::string> errors(static_cast<size_t>(n));
  std::vector<std::exception_ptr> failures(static_cast<size_t>(n));  // not the file's fault: fails the job
  float* out = x.data_ptr<float>();
  pool_.run(n, [&](int64_t i) {
    const ImageRecord& r = set.records[records[static_cast<size_t>(i)]];
    labels[static_cast<size_t>(i)] = r.label;
    try {
      const std::string bytes = as_corrupt([&] { return set.read(r); });
      Image image;
      Uniform01 u{SplitMix64(order_stream(seed_, epoch, kAugmentStream, records[static_cast<size_t>(i)]))};
      if (train) {
        image = train_image(bytes, task_, filter_, rand_augment_, u);
      } else {
        image = test_image(bytes, task_, filter_);
      }
      float* dst = out + i * c * s * s;
      const uint8_t* src = image.pixels.data();
      const int64_t plane = s * s;
      if (c == 1) {
        for (int64_t p = 0; p < plane; ++p) dst[p] = lut_[0][src[p]];
      } else {  // HWC bytes to CHW floats, one pass over the pixels
        for (int64_t p = 0; p < plane; ++p, src += 3) {
          dst[p] = lut_[0][src[0]];
          dst[plane + p] = lut_[1][src[1]];
          dst[2 * plane + p] = lut_[2][src[2]];
        }
      }
      if (train)  // after normalisation, as timm erases (the noise is N(0, 1) in normalised units)
        random_erase(dst, static_cast<int>(c), static_cast<int>(s), static_cast<int>(s), task_.augment.erasing,
                     std::function<double()>(std::ref(u)));
    } catch (const CorruptImage& e) {
      kept[static_cast<size_t>(i)] = 0;
      errors[static_cast<size_t>(i)] = e.what();  // named when it fails the job (describe() reads the shard)
    } catch (...) {
      failures[static_cast<size_t>(i)] = std::current_exception();
    }
  });
  for (const std::exception_ptr& failure : failures)
    if (failure) std::rethrow_exception(failure);
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < n; ++i) {
    if (kept[static_cast<size_t>(i)]) {
      keep.push_back(i);
      continue;
    }
    if (task_.on_corrupt != "skip") {
      const ImageRecord& r = set.records[records[static_cast<size_t>(i)]];
      std::string why = errors[static_cast<size_t>(i)];
      const std::string file = printable(set.files[r.file]) + ": ";  // a read error names the file: once
      if (why.rfind(file, 0) == 0) why.erase(0, file.size());
      throw std::runtime_error(describe(set, r) + ": " + why + " (task.on_corrupt: skip would skip it)");
    }
    ++(train ? skipped_train_ : skipped_test_);
  }
  Batch b;
  b.y = torch::tensor(labels, torch::kInt64);
  if (static_cast<int64_t>(keep.size()) == n) {
    b.x = x;
  } else {
    const auto idx = torch::tensor(keep, torch::kInt64);
    b.x = x.index_select(0, idx);
    b.y = b.y.index_select(0, idx);
  }
  return b;
}

void ImageStream::stop_producer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancel_ = true;
  }
  room_.notify_all();
  if (producer_.joinable()) producer_.join();
}

void ImageStream::start_epoch(int64_t epoch) {
  stop_producer();
  queue_.clear();
  cancel_ = false;
  failure_ = nullptr;
  next_step_ = 0;
  skipped_train_ = 0;
  skipped_test_ = 0;
  producer_ = std::thread([this, epoch] {
    try {
      const CudaSideThread cuda_side(options_.device);  // pinned batches while the trainer may capture a graph
      const EpochPlan plan(train_, shuffle_, seed_, epoch, global_batch_);
      for (int64_t step = 0; step < plan.steps(); ++step) {
        {
          std::unique_lock<std::mutex> lock(mutex_);
          room_.wait(lock, [&] { return cancel_ || queue_.size() < kAhead; });
          if (cancel_) return;
        }
        Batch b = prepare(plan.batch(step, options_.rank, options_.size), train_, true, epoch);
        std::lock_guard<std::mutex> lock(mutex_);
        queue_.push_back(std::move(b));
        ready_.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      failure_ = std::current_exception();
      ready_.notify_all();
    }
  });
}

bool ImageStream::batch(int64_t step, torch::Tensor& x, torch::Tensor& y) {
  if (step != next_step_) throw std::logic_error("ImageStream: steps must come in order");
  ++next_step_;
  Batch b;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [&] { return !queue_.empty() || failure_; });
    if (queue_.empty()) std::rethrow_exception(failure_);
    b = std::move(queue_.front());
    queue_.pop_front();
  }
  room_.notify_all();
  if (b.y.numel() == 0) return false;
  const bool async = options_.device.is_cuda();
  x = b.x.to(options_.device, /*non_blocking=*/async);
  y = b.y.to(options_.device, /*non_blocking=*/async);
  return true;
}

int64_t ImageStream::test_chunks(int64_t chunk) const {
  return test_chunk_count(static_cast<int64_t>(test_.size()), options_, chunk);
}

void ImageStream::test_chunk(int64_t index, int64_t chunk, torch::Tensor& x, torch::Tensor& y) {
  const TestRange r = test_chunk_range(static_cast<int64_t>(test_.size()), options_, index, chunk);
  std::vector<size_t> records(static_cast<size_t>(r.count));
  for (int64_t i = 0; i < r.count; ++i) records[static_cast<size_t>(i)] = static_cast<size_t>(r.offset + i);
  const Batch b = prepare(records, test_, false, 0);
  x = b.x.to(options_.device);
  y = b.y.to(options_.device);
}

namespace {

void check_classes(const ImageSet& train, const TaskConfig& task, const std::string& where) {
  if (static_cast<int64_t>(train.classes.size()) != task.num_classes)
    throw std::runtime_error(where + " has " + std::to_string(train.classes.size()) +
                             " classes but task.num_classes is " + std::to_string(task.num_classes));
}

}  // namespace

std::unique_ptr<BatchSource> open_image_folder(const DatasetInfo&, const TaskConfig& task, int64_t seed,
                                               const BatchSourceOptions& options) {
  const MissingImages missing = task.on_corrupt == "skip" ? MissingImages::kKeep : MissingImages::kError;
  ImageSet train = index_image_folder(task.data_dir, "train", missing);
  check_classes(train, task, task.data_dir + "/train");
  ImageSet test = index_image_folder(task.data_dir, "val", train.classes, missing);
  return std::make_unique<ImageStream>(std::move(train), std::move(test), Shuffle::kGlobal, task, seed, options);
}

std::unique_ptr<BatchSource> open_tar_shards(const DatasetInfo&, const TaskConfig& task, int64_t seed,
                                             const BatchSourceOptions& options) {
  // Shards name their labels, not their class count: every label must fit task.num_classes.
  ImageSet train = index_tar_shards(task.train_shards.empty() ? task.data_dir + "/train" : task.train_shards);
  ImageSet test = index_tar_shards(task.val_shards.empty() ? task.data_dir + "/val" : task.val_shards);
  const size_t single = single_class_shards(train);
  if (options.rank == 0 && single > 0 && 2 * single >= train.files.size())
    std::cerr << "warning: " << single << " of " << train.files.size()
              << " training shards hold images of one class each: shards are shuffled as wholes and within "
                 "themselves, never across, so its batches hold few classes and the model learns far less; write "
                 "the shards from a shuffled list of samples\n";
  return std::make_unique<ImageStream>(std::move(train), std::move(test), Shuffle::kShardLocal, task, seed, options);
}

}  // namespace ms
