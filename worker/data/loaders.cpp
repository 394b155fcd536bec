// The reader list (see loaders.h). One line per data format.
#include "worker/data/loaders.h"

#include <stdexcept>

namespace ms {

const std::vector<LoaderEntry>& loader_registry() {
  static const std::vector<LoaderEntry> registry = {
      {"idx", load_idx, nullptr, true},
      {"cifar10", load_cifar10, nullptr, true},
      {"synthetic-images", load_synthetic_images},
      {"sequence-task", load_sequence_task},
      {"charlm", load_charlm},
      {"imagefolder", nullptr, open_image_folder},
      {"tar-shards", nullptr, open_tar_shards},
  };
  return registry;
}

const LoaderEntry& find_loader(const std::string& name) {
  for (const auto& e : loader_registry())
    if (e.name == name) return e;
  std::string known;
  for (const auto& e : loader_registry()) known += (known.empty() ? "" : ", ") + e.name;
  throw std::invalid_argument("no dataset reader '" + name + "': expected one of " + known);
}

}  // namespace ms
