#!/usr/bin/env bash
# One-command set-up: system packages, the pinned libtorch (inside a pinned torch wheel in a
# project-local virtual environment), a Release build in build/. Safe to run again: each step
# checks what is already there and only does what is missing.
#
#   scripts/setup.sh            install + build
#   scripts/setup.sh --no-apt   skip the Debian packages (machines without apt, e.g. the GPU box)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/versions.env

USE_APT=1
for arg in "$@"; do
  case "$arg" in
    --no-apt) USE_APT=0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 1. Debian packages ---------------------------------------------------------------------------
APT_PACKAGES=(build-essential cmake ninja-build ccache pkg-config python3-venv
              libopencv-dev libsentencepiece-dev nlohmann-json3-dev libcli11-dev libgtest-dev)
if [[ $USE_APT == 1 ]] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    SUDO=""; [[ $(id -u) != 0 ]] && SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
  else
    say "Debian packages: all present"
  fi
fi

# 2. Pinned torch wheel (its libtorch is what we link) -------------------------------------------
VENV="$ROOT/.venv"
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  say "creating $VENV with torch==$TORCH_VERSION (large download the first time, cached by pip)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "torch==$TORCH_VERSION" "numpy==$NUMPY_VERSION"
else
  say "torch $TORCH_VERSION: present in $VENV"
fi
TORCH_PREFIX="$("$VENV/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')"

# 3. Configure and build -----------------------------------------------------------------------
BUILD="$ROOT/build"
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
LAUNCHER=()
if command -v ccache >/dev/null; then
  LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$ROOT"  # relative paths, so every clone of the project shares the cache
fi
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  say "configuring Release build in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" "${GENERATOR[@]}" "${LAUNCHER[@]}" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" ${LISA_CMAKE_ARGS:-}
fi
JOBS="${LISA_JOBS:-$(nproc)}"
say "building ($JOBS jobs)"
cmake --build "$BUILD" -j "$JOBS"
say "done: $BUILD/lisa"
