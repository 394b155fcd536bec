// An 8-bit image in memory: rows of interleaved channels (HWC), grey (1 channel) or RGB (3).
// The one type every decoder and transform in images/ takes and returns; the worker converts it
// to a C×H×W tensor only at the end of the pipeline.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace ms {

// An allocator whose default construction leaves bytes uninitialised: decoders and transforms
// write every pixel, and zero-filling each buffer first was a tenth of the loader's time.
template <typename T>
struct NoInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = NoInitAllocator<U>;
  };
  NoInitAllocator() = default;
  template <typename U>
  NoInitAllocator(const NoInitAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

using PixelBuffer = std::vector<uint8_t, NoInitAllocator<uint8_t>>;

struct Image {
  int width = 0, height = 0, channels = 0;
  PixelBuffer pixels;  // height × width × channels, row-major

  bool empty() const { return pixels.empty(); }
  size_t row_bytes() const { return static_cast<size_t>(width) * static_cast<size_t>(channels); }
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * row_bytes(); }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * row_bytes(); }
  uint8_t& at(int x, int y, int c) { return row(y)[static_cast<size_t>(x) * channels + c]; }
  uint8_t at(int x, int y, int c) const { return row(y)[static_cast<size_t>(x) * channels + c]; }
};

// A rectangle of pixels in torchvision's crop order (i, j, h, w): top row, left column, height,
// width. Width 0 means none.
struct CropRect {
  int top = 0, left = 0, height = 0, width = 0;
  bool operator==(const CropRect& o) const {
    return top == o.top && left == o.left && height == o.height && width == o.width;
  }
};

// The largest image accepted anywhere: decoders refuse bigger ones before allocating them. The
// pixel bound is Pillow's (it raises DecompressionBombError above 2 × Image.MAX_IMAGE_PIXELS);
// the side bound keeps long, thin images (10000 × 5, resized for evaluation to 34000 × 17)
// while keeping every size far from int overflow.
constexpr int kMaxImageSide = 1 << 20;
constexpr int64_t kMaxImagePixels = 178956970;

// Why a width × height image is refused ("image size 0x5 is outside ..."), or "" when it is not.
std::string image_size_problem(int width, int height);
// Throws std::invalid_argument with image_size_problem()'s text when there is one.
void check_image_size(int width, int height);

// Throws std::invalid_argument unless the rectangle is non-empty and inside a width × height image
// (the check for a requested crop; geometry's crop() reports the same as std::out_of_range).
void check_crop_inside(const CropRect& rect, int width, int height);

// A width × height image of `channels` (1 or 3) channels: uninitialised (for code that writes
// every pixel), or every byte `fill`. Throws std::invalid_argument for a size image_size_problem()
// refuses or another channel count.
Image make_image(int width, int height, int channels);
Image make_image(int width, int height, int channels, uint8_t fill);

}  // namespace ms
