// An image folder in torchvision's ImageFolder layout, ROOT/<split>/<class>/**/*.{jpg,jpeg,png},
// as an ImageSet: classes are the split's sorted class folder names, and the records come in
// torchvision's order (class by class; within a class, os.walk's folders sorted by path and each
// folder's files sorted by name, with Python's string order), so an index matches the one
// torchvision builds for the same tree. Only names are looked at (no decoding); every record is
// a whole file (offset 0, size = the file's size). Symbolic links are followed.
#pragma once
#include <string>
#include <vector>

#include "images/sources/image_set.h"

namespace ms {

// Whether torchvision's has_file_allowed_extension would accept `filename` for our formats:
// it ends in .jpg, .jpeg or .png, in any letter case.
bool has_image_extension(const std::string& filename);
// Whether it has one of the other extensions torchvision's IMG_EXTENSIONS holds (.ppm, .bmp, .pgm,
// .tif, .tiff, .webp), any letter case: torchvision indexes such a file, metasweep cannot decode it.
bool has_torchvision_only_extension(const std::string& filename);

// Indexes ROOT/<split> on its own: its class folders, sorted, become labels 0..K-1 (use for the
// training split). Throws std::runtime_error, one line naming the folder or file and the
// problem, for: a missing root or split folder, a split without class folders, a class name
// with control characters or invalid UTF-8, class folders without any image (all of them named,
// as torchvision's "Found no valid file for the classes ..."), an entry that cannot be read or is
// not a regular file, a symbolic link loop.
// An image name whose file cannot be found (a dangling symbolic link), or a file of another format
// torchvision indexes (has_torchvision_only_extension), is an error with kError; with kKeep it is
// indexed (a missing file with size 0) as torchvision indexes it, so that reading or decoding it
// fails and a loader that skips unreadable images (task.on_corrupt: skip) skips and counts it.
enum class MissingImages { kError, kKeep };
ImageSet index_image_folder(const std::string& root, const std::string& split,
                            MissingImages missing = MissingImages::kError);

// Indexes ROOT/<split> with the labels of `classes` (the training split's ImageSet::classes),
// so that train and validation agree: every class folder of this split must be one of
// `classes` (else an error naming it); a class without a folder here is fine. The result's
// classes are `classes`. Same errors as above.
ImageSet index_image_folder(const std::string& root, const std::string& split, const std::vector<std::string>& classes,
                            MissingImages missing = MissingImages::kError);

}  // namespace ms
