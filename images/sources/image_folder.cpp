// Indexing an image folder in torchvision's order (see image_folder.h).
#include "images/sources/image_folder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>
#include <stdexcept>
#include <utility>

#include <sys/stat.h>

#include "sweeps/names.h"

namespace ms {

namespace {

std::runtime_error error(const std::string& path, const std::string& problem) {
  return std::runtime_error(printable(path) + ": " + problem);
}

// The key that sorts names as Python sorts the str that os.fsdecode makes of them: UTF-8 decoded
// with surrogateescape, compared by code point. Byte order of UTF-8 is code point order, so a
// valid name is its own key; a byte that is not UTF-8 becomes U+DC00 + byte, written here in
// UTF-8's 3-byte form (which no valid UTF-8 contains, so keys stay distinct).
std::string python_sort_key(const std::string& name) {
  std::string key;
  key.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    const size_t n = utf8_sequence_length(name, i);
    if (n > 0) {
      key.append(name, i, n);
      i += n;
      continue;
    }
    const unsigned code = 0xDC00u + static_cast<unsigned char>(name[i++]);
    key += static_cast<char>(0xE0 | (code >> 12));
    key += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    key += static_cast<char>(0x80 | (code & 0x3F));
  }
  return key;
}

// Sorts `names` in Python's order.
void python_sort(std::vector<std::string>& names) {
  std::vector<std::pair<std::string, std::string>> keyed;
  keyed.reserve(names.size());
  for (auto& name : names) keyed.emplace_back(python_sort_key(name), std::move(name));
  std::sort(keyed.begin(), keyed.end());
  for (size_t i = 0; i < names.size(); ++i) names[i] = std::move(keyed[i].second);
}

bool is_folder(const std::string& path, struct stat* st = nullptr) {
  struct stat local;
  struct stat* s = st ? st : &local;
  return ::stat(path.c_str(), s) == 0 && S_ISDIR(s->st_mode);
}

// One folder that os.walk yields: its path and its image files (names and sizes).
struct WalkedFolder {
  std::string key;  // python_sort_key(path)
  std::string path;
  std::vector<std::string> images;
  std::map<std::string, uint64_t> sizes;
};

// os.walk(top, followlinks=True), keeping the image files: every folder below `path`, symbolic
// links to folders included. `ancestors` (device, inode) detect a link back up the tree.
void walk(const std::string& path, MissingImages missing, std::vector<std::pair<dev_t, ino_t>>& ancestors,
          std::vector<WalkedFolder>& out) {
  WalkedFolder folder{python_sort_key(path), path, {}, {}};
  std::vector<std::pair<std::string, struct stat>> subfolders;
  for (const std::string& name : folder_entries(path)) {
    const std::string entry = path + "/" + name;
    struct stat st;
    const bool found = ::stat(entry.c_str(), &st) == 0;
    if (found && S_ISDIR(st.st_mode)) {
      subfolders.emplace_back(entry, st);
    } else if (has_image_extension(name) || has_torchvision_only_extension(name)) {
      if (!found && missing == MissingImages::kError)
        throw error(entry,
                    std::string("cannot read: ") + std::strerror(errno) + " (task.on_corrupt: skip would skip it)");
      // (a FIFO or device is refused even so: reading one could block the job forever)
      if (found && !S_ISREG(st.st_mode)) throw error(entry, "not a regular file");
      folder.images.push_back(name);  // kept when missing: its read fails, and the loader skips and counts it
      folder.sizes[name] = found ? static_cast<uint64_t>(st.st_size) : 0;
    }
  }
  out.push_back(std::move(folder));
  for (const auto& [sub, st] : subfolders) {
    const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
    if (std::find(ancestors.begin(), ancestors.end(), id) != ancestors.end())
      throw error(sub, "symbolic link loop (the folder contains itself)");
    ancestors.push_back(id);
    walk(sub, missing, ancestors, out);
    ancestors.pop_back();
  }
}

// Appends the images of class folder `path` to `set` with `label`, in torchvision's order.
// Returns how many there were.
size_t add_class(const std::string& path, int32_t label, MissingImages missing, ImageSet& set) {
  struct stat st;
  if (!is_folder(path, &st)) throw error(path, "cannot read folder");
  std::vector<std::pair<dev_t, ino_t>> ancestors{{st.st_dev, st.st_ino}};
  std::vector<WalkedFolder> folders;
  walk(path, missing, ancestors, folders);
  std::sort(folders.begin(), folders.end(), [](const WalkedFolder& a, const WalkedFolder& b) { return a.key < b.key; });
  size_t count = 0;
  for (WalkedFolder& folder : folders) {
    python_sort(folder.images);
    for (const std::string& name : folder.images) {
      // torchvision's ImageFolder trains on a .bmp, .tif or .webp too: left out, the two indexes
      // would differ without a word. An error under kError (the first in torchvision's order);
      // under kKeep it is indexed, and its decode fails naming its format, for the loader to skip.
      if (missing == MissingImages::kError && !has_image_extension(name))
        throw error(folder.path + "/" + name,
                    "torchvision's ImageFolder would train on this file, and metasweep decodes JPEG and PNG only: "
                    "convert it to PNG (task.on_corrupt: skip would skip it, counted)");
      if (set.files.size() >= std::numeric_limits<uint32_t>::max())
        throw error(path, "too many image files (more than 2^32 - 1)");
      ImageRecord record;
      record.file = static_cast<uint32_t>(set.files.size());
      record.size = folder.sizes[name];
      record.label = label;
      set.files.push_back(folder.path + "/" + name);
      set.records.push_back(record);
      ++count;
    }
  }
  return count;
}

// The class folders of ROOT/<split>, sorted, after the checks on the root, the split and the
// class names.
std::vector<std::string> class_folders(const std::string& root, const std::string& split) {
  if (!is_folder(root)) throw error(root, "no such dataset folder");
  const std::string dir = root + "/" + split;
  if (!is_folder(dir))
    throw error(dir, "no such split folder (expected " + printable(split) + "/ in the dataset folder)");
  std::vector<std::string> classes;
  for (const std::string& name : folder_entries(dir))
    if (is_folder(dir + "/" + name)) classes.push_back(name);
  if (classes.empty()) throw error(dir, "no class folders (expected one folder of images per class)");
  python_sort(classes);
  for (const std::string& name : classes)
    if (printable(name) != name)
      throw error(dir, "class folder name \"" + printable(name) +
                           "\" contains a control character or is not valid UTF-8; rename it");
  return classes;
}

// Indexes the class folders `folders` of ROOT/<split> with labels from `label_of`.
ImageSet index(const std::string& root, const std::string& split, const std::vector<std::string>& folders,
               const std::map<std::string, int32_t>& label_of, std::vector<std::string> classes,
               MissingImages missing) {
  ImageSet set;
  set.classes = std::move(classes);
  const std::string dir = root + "/" + split;
  std::string empty;
  for (const std::string& name : folders) {
    if (add_class(dir + "/" + name, label_of.at(name), missing, set) == 0) empty += (empty.empty() ? "" : ", ") + name;
  }
  if (!empty.empty())
    throw error(dir, "found no valid file for the classes " + empty +
                         " (supported extensions are .jpg, .jpeg, .png, in any letter case)");
  return set;
}

}  // namespace

namespace {

bool has_extension(const std::string& filename, const std::vector<std::string>& extensions) {
  const std::string tail = ascii_lower(filename.substr(filename.size() - std::min<size_t>(filename.size(), 5)));
  return std::any_of(extensions.begin(), extensions.end(), [&](const std::string& ext) {
    return tail.size() >= ext.size() && tail.compare(tail.size() - ext.size(), ext.size(), ext) == 0;
  });
}

}  // namespace

bool has_image_extension(const std::string& filename) { return has_extension(filename, {".jpg", ".jpeg", ".png"}); }

bool has_torchvision_only_extension(const std::string& filename) {
  return has_extension(filename, {".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"});
}

ImageSet index_image_folder(const std::string& root, const std::string& split, MissingImages missing) {
  const std::vector<std::string> folders = class_folders(root, split);
  std::map<std::string, int32_t> label_of;
  for (size_t i = 0; i < folders.size(); ++i) label_of[folders[i]] = static_cast<int32_t>(i);
  return index(root, split, folders, label_of, folders, missing);
}

ImageSet index_image_folder(const std::string& root, const std::string& split, const std::vector<std::string>& classes,
                            MissingImages missing) {
  std::map<std::string, int32_t> label_of;
  for (size_t i = 0; i < classes.size(); ++i)
    if (!label_of.emplace(classes[i], static_cast<int32_t>(i)).second)
      throw std::invalid_argument("class \"" + printable(classes[i]) + "\" is listed twice");
  const std::vector<std::string> folders = class_folders(root, split);
  for (const std::string& name : folders)
    if (!label_of.count(name)) {
      // The same name typed in another Unicode encoding (a tree copied from macOS): say so.
      std::string note;
      for (const std::string& c : classes)
        if (name_key(c) == name_key(name)) note = ": the training split's \"" + c + "\"" + spelling_note(name, c);
      throw error(root + "/" + split, "class folder \"" + name + "\" is not a class of the training split (" +
                                          std::to_string(classes.size()) + " classes)" + note);
    }
  return index(root, split, folders, label_of, classes, missing);
}

}  // namespace ms
