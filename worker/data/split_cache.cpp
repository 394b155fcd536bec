// The per-process cache of file datasets' raw splits (see split_cache.h).
#include "worker/data/split_cache.h"

#include <atomic>
#include <list>
#include <mutex>
#include <string>
#include <utility>

namespace ms {

namespace {

constexpr size_t kEntries = 2;

struct Entry {
  std::string key;
  DatasetSplits splits;
};

std::mutex g_mutex;
std::list<Entry> g_entries;  // most recently used first
std::atomic<int64_t> g_misses{0};

}  // namespace

DatasetSplits read_splits(const DatasetInfo& info, const LoaderEntry& reader, const TaskConfig& task, int64_t seed) {
  if (!reader.cacheable) return reader.load(info, task, seed);
  const std::string key = reader.name + '\n' + task.data_dir;
  std::lock_guard<std::mutex> lock(g_mutex);  // one reader at a time: a second job waits for the first read
  for (auto it = g_entries.begin(); it != g_entries.end(); ++it)
    if (it->key == key) {
      g_entries.splice(g_entries.begin(), g_entries, it);
      return g_entries.front().splits;
    }
  ++g_misses;
  DatasetSplits splits = reader.load(info, task, seed);  // throws before anything is cached
  g_entries.push_front({key, splits});
  if (g_entries.size() > kEntries) g_entries.pop_back();
  return splits;
}

int64_t split_cache_misses() { return g_misses.load(); }

}  // namespace ms
