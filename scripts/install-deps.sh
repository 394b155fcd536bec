#!/usr/bin/env bash
# Installs the Debian packages metasweep needs when any is missing.
# Idempotent and non-interactive: runs `apt-get update` once, only when something must be installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libopenblas0-openmp   # LibTorch calls the system BLAS: OpenBLAS is ~27x the reference one here
  libopenmpi-dev openmpi-bin
  libyaml-cpp-dev
  libsqlite3-dev sqlite3
  libboost-program-options-dev
  nlohmann-json3-dev libssl-dev
  libgtest-dev googletest
  dataset-fashion-mnist
  libjpeg62-turbo-dev libpng-dev                       # images/: JPEG (libjpeg-turbo) and PNG decoding
  gnuplot-nox
  python3
  # What the tests need, so that none of them skips on a clean clone (only `gpu` tests may):
  python3-pil                                          # tests/images: Pillow is the reference for decode and resize
  python3-torch                                        # tests/worker/forward_reference_test: the PyTorch reference models
  libmd4c-dev                                          # tests/results: a CommonMark parser reads escaped Markdown
  chromium                                             # report.html screenshot test
  texlive-latex-base texlive-latex-recommended         # pdflatex + booktabs: table.tex compile test
  slurm-wlm munge                                      # tests/slurm: sbatch on a single-node SLURM
)
# Optional extras: `INSTALL_EXTRAS=1 scripts/install-deps.sh` adds the fuzzing toolchain and
# torchvision for bench/'s PyTorch comparison (python3-torch itself is a test dependency above).
if [[ "${INSTALL_EXTRAS:-0}" == 1 ]]; then
  packages+=(clang libclang-rt-14-dev python3-torchvision)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
