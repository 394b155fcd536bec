// Image construction with its limits checked (see image.h).
#include "images/image.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ms {

std::string image_size_problem(int width, int height) {
  const std::string size = std::to_string(width) + "x" + std::to_string(height);
  if (width < 1 || height < 1 || width > kMaxImageSide || height > kMaxImageSide)
    return "image size " + size + " is outside 1.." + std::to_string(kMaxImageSide) + " per side";
  if (static_cast<int64_t>(width) * height > kMaxImagePixels)
    return "image size " + size + " is over " + std::to_string(kMaxImagePixels) +
           " pixels (Pillow's decompression-bomb limit)";
  return "";
}

void check_image_size(int width, int height) {
  if (const std::string problem = image_size_problem(width, height); !problem.empty())
    throw std::invalid_argument(problem);
}

void check_crop_inside(const CropRect& r, int width, int height) {
  if (r.width < 1 || r.height < 1 || r.left < 0 || r.top < 0 || r.width > width - r.left || r.height > height - r.top)
    throw std::invalid_argument("crop " + std::to_string(r.width) + "x" + std::to_string(r.height) + " at (" +
                                std::to_string(r.left) + ", " + std::to_string(r.top) + ") is not inside a " +
                                std::to_string(width) + "x" + std::to_string(height) + " image");
}

Image make_image(int width, int height, int channels) {
  check_image_size(width, height);
  if (channels != 1 && channels != 3)
    throw std::invalid_argument("images have 1 (grey) or 3 (RGB) channels, not " + std::to_string(channels));
  Image image;
  image.width = width, image.height = height, image.channels = channels;
  image.pixels.resize(static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(channels));
  return image;
}

Image make_image(int width, int height, int channels, uint8_t fill) {
  Image image = make_image(width, height, channels);
  std::fill(image.pixels.begin(), image.pixels.end(), fill);
  return image;
}

}  // namespace ms
