#!/usr/bin/env bash
# Compiles (syntax only) every translation unit with CUDA- or NCCL-guarded code as a CUDA build
# would, on a machine without a GPU or a CUDA LibTorch: the code under METASWEEP_HAVE_CUDA /
# METASWEEP_HAVE_NCCL is otherwise only compiled on a GPU machine. Needs the CUDA runtime and NCCL
# headers (Debian non-free: nvidia-cuda-dev, libnccl-dev, libcu++-dev; or a CUDA toolkit); without
# nccl.h (Debian 12 has no NCCL package) only the CUDA code is checked.
#
#   scripts/gpu-syntax-check.sh CUDA_INCLUDE_DIR [BUILD=build]
#
# Flags come from BUILD/compile_commands.json (any configured build of this tree). A CPU
# LibTorch lacks the one generated CUDA header c10/cuda/impl/cuda_cmake_macros.h; the script
# writes an equivalent one-line header into a temporary include folder.
# This found a real compile error in the NCCL communicator (a vexing parse) before any GPU run.
set -euo pipefail
cd "$(dirname "$0")/.."
CUDA_INC=${1:?usage: scripts/gpu-syntax-check.sh CUDA_INCLUDE_DIR [BUILD]}
BUILD=${2:-build}
[[ -f $CUDA_INC/cuda_runtime_api.h ]] || { echo "gpu-syntax-check: $CUDA_INC has no cuda_runtime_api.h" >&2; exit 2; }
defines="-DMETASWEEP_HAVE_CUDA=1 -DMETASWEEP_HAVE_NCCL=1"
if [[ ! -f $CUDA_INC/nccl.h ]]; then  # e.g. Debian 12's nvidia-cuda-dev: CUDA 11.8, no NCCL package
  echo "gpu-syntax-check: no nccl.h in $CUDA_INC: checking the CUDA code only (METASWEEP_HAVE_NCCL off)" >&2
  defines="-DMETASWEEP_HAVE_CUDA=1"
fi
[[ -f $BUILD/compile_commands.json ]] || { echo "gpu-syntax-check: configure $BUILD first (cmake -S . -B $BUILD)" >&2; exit 2; }
SHIM=$(mktemp -d)
trap 'rm -rf "$SHIM"' EXIT
mkdir -p "$SHIM/c10/cuda/impl"
printf '#pragma once\n#define C10_CUDA_BUILD_SHARED_LIBS\n' > "$SHIM/c10/cuda/impl/cuda_cmake_macros.h"

# Include paths and defines of the ms_worker target (what every guarded file needs).
flags=$(/usr/bin/python3 - "$BUILD/compile_commands.json" <<'EOF'
import json, shlex, sys
for c in json.load(open(sys.argv[1])):
    # one ms_worker translation unit: the file itself, or a unity batch of them (METASWEEP_UNITY)
    if c["file"].endswith("worker/train/trainer.cpp") or "/ms_worker.dir/Unity/" in c["file"]:
        args = shlex.split(c["command"])
        keep, skip = [], False
        for a in args[1:]:
            if skip: skip = False; continue
            if a in ("-o", "-c", "-include", "-MF", "-MT"): skip = True; continue
            if a.startswith(("-I", "-D", "-std")) or a == "-isystem" or (keep and keep[-1] == "-isystem"):
                keep.append(a)
        print(" ".join(shlex.quote(k) for k in keep))
        break
EOF
)
files=$(grep -rlE "METASWEEP_HAVE_(CUDA|NCCL)" --include='*.cpp' worker orchestrator cli tests bench | sort)
rc=0
for f in $files; do
  if eval g++ -fsyntax-only -Wall $flags -I orchestrator -I cli -I tests -isystem "$CUDA_INC" -isystem "$SHIM" \
       $defines "$f" 2> "$SHIM/err"; then
    echo "ok    $f"
  else
    echo "FAIL  $f"; head -20 "$SHIM/err"; rc=1
  fi
done
exit $rc
