// timm's RandAugment ("rand-m9-mstd0.5-inc1") on 8-bit grey and RGB images, without LibTorch: the
// fifteen operations of timm/data/auto_augment.py, each reproducing the Pillow 9.4 call timm makes
// (ImageOps, ImageEnhance, Image.rotate / Image.transform) byte for byte, and the RandAugment driver
// (op choice with replacement, per-op probability, Gaussian magnitude, timm's level-to-argument
// functions) with every random draw taken from a caller-supplied uniform stream.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "images/image.h"
#include "images/resample.h"

namespace ms {

// ---- The operations. Each takes a 1-channel ("L") or 3-channel ("RGB") image and returns a new
// image of the same size; each throws std::invalid_argument for another channel count. ----

// ImageOps.autocontrast(img) (cutoff 0): per channel, the darkest value → 0, the lightest → 255.
Image auto_contrast(const Image& image);
// ImageOps.equalize(img): per-channel histogram equalisation.
Image equalize(const Image& image);
// ImageOps.invert(img): 255 - v.
Image invert(const Image& image);
// ImageOps.posterize(img, bits): keep the top `bits` bits; bits <= 0 gives black (Pillow's mask is 0),
// and bits >= 8 returns the image unchanged (timm's shortcut; Pillow itself raises for bits > 8).
Image posterize(const Image& image, int bits);
// ImageOps.solarize(img, threshold): v < threshold → v, else 255 - v.
Image solarize(const Image& image, int threshold);
// timm's solarize_add LUT: v < threshold → min(255, v + add), else v.
Image solarize_add(const Image& image, int add, int threshold = 128);

// ImageEnhance.{Color,Contrast,Brightness,Sharpness}(img).enhance(factor), i.e. Image.blend(degenerate,
// img, factor) with factor as a float32 and Pillow's truncation and clipping. Degenerate images:
// Color: convert("L").convert(mode) (so Color is the identity on grey); Contrast: a flat image of
// int(mean of convert("L") + 0.5); Brightness: black; Sharpness: filter(ImageFilter.SMOOTH).
Image color(const Image& image, double factor);
Image contrast(const Image& image, double factor);
Image brightness(const Image& image, double factor);
Image sharpness(const Image& image, double factor);

// Geometric operations, each an output-sized Pillow AFFINE transform that maps every output pixel
// centre to a source position; positions outside the image take `fill` (one byte per channel; grey
// images use fill[0]).
// Image.rotate(degrees, resample=filter, fillcolor=fill): counter-clockwise about the centre, same size.
Image rotate(const Image& image, double degrees, Filter filter, const uint8_t fill[3]);
// img.transform(size, AFFINE, (1, factor, 0, 0, 1, 0)) and (1, 0, 0, factor, 1, 0).
Image shear_x(const Image& image, double factor, Filter filter, const uint8_t fill[3]);
Image shear_y(const Image& image, double factor, Filter filter, const uint8_t fill[3]);
// img.transform(size, AFFINE, (1, 0, pixels, 0, 1, 0)) and (1, 0, 0, 0, 1, pixels): output (x, y)
// shows source (x + pixels, y), so a positive shift moves the content left (resp. up).
Image translate_x(const Image& image, double pixels, Filter filter, const uint8_t fill[3]);
Image translate_y(const Image& image, double pixels, Filter filter, const uint8_t fill[3]);

// ---- The driver. ----

struct RandAugmentParams {
  int num_ops = 2;             // timm's num_layers ("n")
  double magnitude = 9;        // "m"
  double magnitude_std = 0.5;  // "mstd": 0 fixed; +inf uniform in [0, magnitude]; else Gaussian
  double magnitude_max = 10;   // "mmax"; 0 means timm's default of 10
  double probability = 0.5;    // each chosen op is applied with this probability
  bool increasing = true;      // "inc1": _RAND_INCREASING_TRANSFORMS, else _RAND_TRANSFORMS
  Filter filter = Filter::Bicubic;
  // timm's default when no interpolation is given (PoolFormer's train.py): each geometric op
  // draws its filter, bilinear or bicubic, instead of using `filter`.
  bool random_filter = false;
  uint8_t fill[3] = {124, 116, 104};  // timm's img_mean: round(255 × ImageNet mean)
};

// What one chosen op did. `magnitude` is after sampling and clipping; `argument` is the value the
// level function produced (degrees, shear factor, translation as a fraction of the side, bits,
// threshold, addend, enhancement factor), 0 for AutoContrast, Equalize and Invert. Both are 0 for an
// op that was not applied.
struct AppliedOp {
  std::string name;  // timm's name: "Rotate", "PosterizeIncreasing", "TranslateXRel", ...
  bool applied = false;
  double magnitude = 0;
  double argument = 0;
  Filter filter = Filter::Nearest;  // the resampling filter of an applied geometric op (else Nearest)
};

// The op names in timm's list order (_RAND_INCREASING_TRANSFORMS or _RAND_TRANSFORMS).
const std::vector<std::string>& rand_augment_op_names(bool increasing);

// timm 0.6/0.9 RandAugment(AugmentOp...) on `image`. Every random number is one call of `uniform01`
// (a double in [0, 1)), drawn in this fixed order:
//   1. op choice: num_ops draws u, op index min(floor(u × 15), 14) (timm: np.random.choice with
//      replacement), all of them before any op runs;
//   2. then for each chosen op in turn:
//      a. apply test, only when probability < 1: u; the op is skipped (nothing more drawn for it)
//         when u > probability (timm: `random.random() > prob`);
//      b. magnitude, only when magnitude_std > 0: for +inf, magnitude × u (random.uniform(0, m));
//         else two draws u1, u2 and m + std × cos(2π u1) × sqrt(-2 ln(1 - u2)) (Python's
//         random.gauss Box-Muller, without its cache of the second normal); then clipped to
//         [0, magnitude_max];
//      c. sign, only for Rotate, ShearX/Y, TranslateX/YRel and (increasing) Color, Contrast,
//         Brightness and Sharpness: u, negated when u > 0.5 (timm's _randomly_negate).
//      d. filter, only with random_filter and for Rotate, ShearX/Y and TranslateX/YRel: u, bilinear
//         when u < 0.5, else bicubic (timm's random.choice((BILINEAR, BICUBIC)) in _check_args_tf,
//         after the sign).
// Without random_filter the interpolation is `filter` for every geometric op (timm with hparams
// interpolation set).
// `trace`, when given, receives one AppliedOp per chosen op.
Image rand_augment(const Image& image, const RandAugmentParams& p, const std::function<double()>& uniform01,
                   std::vector<AppliedOp>* trace = nullptr);

}  // namespace ms
