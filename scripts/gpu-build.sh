#!/usr/bin/env bash
# Builds metasweep on a GPU machine against the CUDA LibTorch inside its PyTorch install and
# NCCL, when that machine has no network and lacks the Debian libraries metasweep needs.
#
#   scripts/gpu-build.sh fetch   # here (with network): download the .deb files into .gpu-debs/
#   scripts/gpu-build.sh build   # there: unpack them into .gpu-prefix/, configure, build build-gpu/
#
# The .deb files are unpacked with `dpkg -x` into a private prefix (never into /), and CMake
# is pointed at it with CMAKE_PREFIX_PATH, at PyTorch's CMake config with Torch_DIR, and at
# NCCL under the CUDA toolkit or PyTorch's nvidia-nccl wheel. Tests: `ctest -L gpu`.
set -euo pipefail
cd "$(dirname "$0")/.."
DEBS=.gpu-debs
PREFIX=$PWD/.gpu-prefix

packages=(libyaml-cpp-dev libyaml-cpp0.7 libboost-program-options-dev libboost-program-options1.74.0
          libboost1.74-dev libsqlite3-dev libsqlite3-0 nlohmann-json3-dev
          libopenmpi-dev libopenmpi3 openmpi-bin openmpi-common libpmix2 libevent-2.1-7 libevent-core-2.1-7
          libevent-pthreads-2.1-7 libhwloc15 libfabric1 libucx0 libibverbs1 librdmacm1 libpsm2-2 libnl-3-200
          libnl-route-3-200 libxnvctrl0 libltdl7 libnuma1 libmunge2 libgtest-dev)

case "${1:-}" in
  fetch)
    mkdir -p "$DEBS"
    grep -qx "/$DEBS/" .git/info/exclude 2>/dev/null || echo "/$DEBS/" >> .git/info/exclude
    (cd "$DEBS" && apt-get download "${packages[@]}")
    echo "downloaded $(ls "$DEBS" | wc -l) packages into $DEBS (carry it to the GPU machine)"
    ;;
  build)
    mkdir -p "$PREFIX"
    for f in "$DEBS"/*.deb; do dpkg -x "$f" "$PREFIX"; done
    export PATH=$PREFIX/usr/bin:$PATH
    export LD_LIBRARY_PATH=$PREFIX/usr/lib/x86_64-linux-gnu:$PREFIX/usr/lib/x86_64-linux-gnu/openmpi/lib:${LD_LIBRARY_PATH:-}
    export OPAL_PREFIX=$PREFIX/usr/lib/x86_64-linux-gnu/openmpi   # relocated Open MPI finds its components
    torch_cmake=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
    nccl_home=$(python3 -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__))' 2>/dev/null || true)
    cmake -S . -B build-gpu -G Ninja \
      -DCMAKE_PREFIX_PATH="$PREFIX/usr;$PREFIX/usr/lib/x86_64-linux-gnu/cmake;$torch_cmake" \
      -DMPI_CXX_COMPILER="$PREFIX/usr/bin/mpicxx" \
      -DMPI_HOME="$PREFIX/usr/lib/x86_64-linux-gnu/openmpi" \
      ${nccl_home:+-DNCCL_HOME=$nccl_home} \
      -DCMAKE_CUDA_ARCHITECTURES=90
    cmake --build build-gpu -j "$(nproc)"
    echo "built build-gpu/metasweep; run: (cd build-gpu && ctest -L gpu --output-on-failure)"
    ;;
  *)
    echo "usage: scripts/gpu-build.sh fetch|build" >&2
    exit 2
    ;;
esac
