// Whole-file reader with gzip support. zlib is already mapped into every process that links
// LibTorch (libtorch_cpu depends on libz.so.1), but it is not on our link line; rather than
// add a build dependency we resolve the four gz* entry points once with dlopen/dlsym. If the
// build ever links ZLIB::ZLIB directly, `Zlib` below can call gzopen & co. instead.
#include "worker/data/dataset_gzip.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <zlib.h>

namespace ms {

namespace {

struct Zlib {
  decltype(&gzopen) open = nullptr;
  decltype(&gzread) read = nullptr;
  decltype(&gzclose) close = nullptr;
  decltype(&gzerror) error = nullptr;
};

const Zlib& zlib() {
  static const Zlib z = [] {
    Zlib r;
    void* handle = dlopen("libz.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!handle) handle = dlopen("libz.so", RTLD_NOW | RTLD_GLOBAL);
    if (!handle) throw std::runtime_error(std::string("cannot load zlib (libz.so.1) to read .gz data: ") + dlerror());
    r.open = reinterpret_cast<decltype(&gzopen)>(dlsym(handle, "gzopen"));
    r.read = reinterpret_cast<decltype(&gzread)>(dlsym(handle, "gzread"));
    r.close = reinterpret_cast<decltype(&gzclose)>(dlsym(handle, "gzclose"));
    r.error = reinterpret_cast<decltype(&gzerror)>(dlsym(handle, "gzerror"));
    if (!r.open || !r.read || !r.close || !r.error)
      throw std::runtime_error("zlib (libz.so.1) lacks the gz* functions");
    return r;
  }();
  return z;
}

std::string read_plain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return s.str();
}

std::string inflate_file(const std::string& path) {
  const Zlib& z = zlib();
  gzFile f = z.open(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const int n = z.read(f, buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      const std::string msg = z.error(f, &code);
      z.close(f);
      throw std::runtime_error(path + ": corrupt gzip data (" + msg + ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  // gzclose reports Z_BUF_ERROR for a stream that ended early (truncated file).
  const int rc = z.close(f);
  if (rc != Z_OK)
    throw std::runtime_error(path + ": truncated or corrupt gzip stream (zlib error " + std::to_string(rc) + ")");
  return out;
}

}  // namespace

std::string read_maybe_gzipped(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw std::runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  unsigned char magic[2] = {0, 0};
  probe.read(reinterpret_cast<char*>(magic), 2);
  probe.close();
  if (magic[0] == 0x1f && magic[1] == 0x8b) return inflate_file(path);
  return read_plain(path);
}

}  // namespace ms
