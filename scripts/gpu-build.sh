#!/usr/bin/env bash
# Builds metasweep on a GPU machine against the CUDA LibTorch inside its PyTorch install and
# NCCL, when that machine has no network and lacks the Debian libraries metasweep needs.
#
#   scripts/gpu-build.sh fetch   # here (with network): download the .deb files into .gpu-debs/
#   scripts/gpu-build.sh build   # there: unpack them into .gpu-prefix/, configure, build build-gpu/
#   scripts/gpu-build.sh env     # there, after build: print the exports that run build-gpu/metasweep
#
# The .deb files are unpacked with `dpkg -x` into a private prefix (never into /), and CMake
# is pointed at it with CMAKE_PREFIX_PATH, at PyTorch's CMake config (python3's
# torch.utils.cmake_prefix_path, or TORCH_CMAKE_PREFIX=DIR), and at NCCL (NCCL_HOME=DIR, else
# PyTorch's nvidia-nccl wheel, else the CUDA toolkit). The relocated Open MPI finds its files
# through OPAL_PREFIX. Tests: `cd build-gpu && ctest -L gpu --output-on-failure`.
#
# Environment: JOBS (default nproc), BUILD_DIR (default build-gpu). (metasweep has no CUDA kernels of
# its own: nothing is compiled for a GPU architecture.)
set -euo pipefail
cd "$(dirname "$0")/.."
DEBS=.gpu-debs
PREFIX=$PWD/.gpu-prefix
BUILD_DIR=${BUILD_DIR:-build-gpu}

# Headers, CMake configs and the shared libraries they need at run time (apt-get download does
# not follow dependencies, so the closure beyond the C/C++ runtime is listed by hand).
packages=(libyaml-cpp-dev libyaml-cpp0.7
          libboost-program-options-dev libboost-program-options1.74-dev libboost-program-options1.74.0 libboost1.74-dev
          libsqlite3-dev libsqlite3-0 nlohmann-json3-dev libssl-dev libssl3
          libopenmpi-dev libopenmpi3 openmpi-bin openmpi-common libpmix2 libevent-2.1-7 libevent-core-2.1-7
          libevent-pthreads-2.1-7 libhwloc15 libfabric1 libucx0 libibverbs1 librdmacm1 libpsm2-2 libpsm-infinipath1
          libnl-3-200 libnl-route-3-200 libxnvctrl0 libltdl7 libnuma1 libmunge2 ibverbs-providers
          libjpeg62-turbo-dev libjpeg62-turbo libpng-dev libpng16-16 zlib1g-dev
          libgtest-dev googletest)

prefix_env() {
  echo "export PATH=$PREFIX/usr/bin:\$PATH"
  echo "export LD_LIBRARY_PATH=$PREFIX/usr/lib/x86_64-linux-gnu:$PREFIX/usr/lib/x86_64-linux-gnu/openmpi/lib:\${LD_LIBRARY_PATH:-}"
  echo "export OPAL_PREFIX=$PREFIX/usr"  # Open MPI's relocation variable: its components, help files, wrapper data
  echo "export PMIX_PREFIX=$PREFIX/usr/lib/x86_64-linux-gnu/pmix2"  # the same for Debian's PMIx (its lib/pmix plugins)
  echo "export OMPI_MCA_plm_rsh_agent="  # single-node runs need no ssh
}

case "${1:-}" in
  fetch)
    mkdir -p "$DEBS"
    exclude=$(git rev-parse --git-path info/exclude 2>/dev/null || true)
    if [[ -n $exclude ]]; then
      mkdir -p "$(dirname "$exclude")"
      grep -qx "/$DEBS/" "$exclude" 2>/dev/null || echo "/$DEBS/" >> "$exclude"
    fi
    (cd "$DEBS" && apt-get download "${packages[@]}")
    echo "downloaded $(ls "$DEBS" | wc -l) packages ($(du -sh "$DEBS" | cut -f1)) into $DEBS: carry it to the GPU machine"
    ;;
  build)
    [[ -d $DEBS ]] || { echo "gpu-build: $DEBS/ is missing: run 'scripts/gpu-build.sh fetch' where apt works and carry it" >&2; exit 2; }
    torch_cmake=${TORCH_CMAKE_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}
    # PyTorch wheels before 2.7 use the pre-C++11 std::string ABI; Debian's yaml-cpp, Boost and
    # gtest use the new one, and mixing them fails only at link time, minutes in: say so now.
    abi=$(python3 -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))' 2>/dev/null || echo unknown)
    if [[ $abi == 0 && -z ${TORCH_CMAKE_PREFIX:-} ]]; then
      echo "gpu-build: this PyTorch ($(python3 -c 'import torch; print(torch.__version__)')) is built with the old C++ ABI" \
           "(_GLIBCXX_USE_CXX11_ABI=0), Debian's libraries with the new one: they cannot be linked together." \
           "Point TORCH_CMAKE_PREFIX at a cxx11-ABI LibTorch (PyTorch >= 2.7, or the libtorch-cxx11-abi zip)." >&2
      exit 2
    fi
    generator=(-G Ninja)
    command -v ninja > /dev/null || generator=(-G "Unix Makefiles")
    nccl_home=${NCCL_HOME:-$(python3 -c 'import nvidia.nccl as m; print(list(m.__path__)[0])' 2>/dev/null || true)}
    mkdir -p "$PREFIX"
    for f in "$DEBS"/*.deb; do dpkg -x "$f" "$PREFIX"; done
    # Debian names its Open MPI tools through /etc/alternatives, which dpkg -x does not set up.
    for tool in mpicxx mpirun mpiexec; do ln -sfn "$tool.openmpi" "$PREFIX/usr/bin/$tool"; done
    eval "$(prefix_env)"
    # Debian's mpicxx wrapper data names /usr paths; with OPAL_PREFIX it reads the prefix's own.
    cmake -S . -B "$BUILD_DIR" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$PREFIX/usr;$PREFIX/usr/lib/x86_64-linux-gnu/cmake;$torch_cmake" \
      -DMPI_CXX_COMPILER="$PREFIX/usr/bin/mpicxx" \
      -DMPIEXEC_EXECUTABLE="$PREFIX/usr/bin/mpirun" \
      ${nccl_home:+-DNCCL_HOME=$nccl_home}
    cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}"
    echo "built $BUILD_DIR/metasweep. Before running it: eval \"\$(scripts/gpu-build.sh env)\"; GPU tests: (cd $BUILD_DIR && ctest -L gpu --output-on-failure)"
    ;;
  env)
    prefix_env
    ;;
  *)
    echo "usage: scripts/gpu-build.sh fetch|build|env" >&2
    exit 2
    ;;
esac
