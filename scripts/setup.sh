#!/usr/bin/env bash
# One-command set-up: system packages, the pinned libtorch (inside a pinned torch wheel in a
# project-local virtual environment), a Release build in build/. Safe to run again: each step
# checks what is already there and only does what is missing.
#
#   scripts/setup.sh              install + build
#   scripts/setup.sh --no-apt     skip the Debian packages (machines without apt, e.g. the GPU box)
#   scripts/setup.sh --no-build   install only (scripts/sanitize.sh and fuzz.sh build elsewhere)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/versions.env

USE_APT=1
BUILD_TOO=1
for arg in "$@"; do
  case "$arg" in
    --no-apt) USE_APT=0 ;;
    --no-build) BUILD_TOO=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
# Each step reports its time, so a slow set-up shows where the minutes went.
STEP_START=$SECONDS
step_done() { say "$1 ($((SECONDS - STEP_START)) s)"; STEP_START=$SECONDS; }

# 1. Debian packages ---------------------------------------------------------------------------
# Only the three OpenCV modules used: libopencv-dev would pull every module and, with them, about
# 250 packages (VTK, GDAL, Qt...). No recommended packages either: none is needed to build.
# `lisa serve` uses cpp-httplib (found through pkg-config); its page is tested in a headless
# Chromium driven by Selenium (tests/browser/), hence the last three.
APT_PACKAGES=(build-essential cmake ninja-build ccache python3-venv
              libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
              libsentencepiece-dev nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libssl-dev
              pkg-config libcpp-httplib-dev chromium chromium-driver python3-selenium)
if [[ $USE_APT == 1 ]] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    SUDO=""; [[ $(id -u) != 0 ]] && SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
    step_done "Debian packages installed"
  else
    say "Debian packages: all present"
  fi
fi

# 2. Pinned torch wheel (its libtorch is what we link) -------------------------------------------
VENV="$ROOT/.venv"
# The installed version from the wheel's metadata: importing torch takes seconds (half a minute on
# a busy machine), and this runs on every set-up.
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('torch').split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  say "creating $VENV with torch==$TORCH_VERSION (large download the first time, cached by pip)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "torch==$TORCH_VERSION" "numpy==$NUMPY_VERSION"
  step_done "torch installed"
else
  say "torch $TORCH_VERSION: present in $VENV"
fi
if [[ $BUILD_TOO == 0 ]]; then exit 0; fi

# 3. Configure and build -----------------------------------------------------------------------
source scripts/build_env.sh
BUILD="$ROOT/build"
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
  say "configuring Release build in $BUILD"
  lisa_cmake_args "$ROOT"
  cmake -S "$ROOT" -B "$BUILD" "${LISA_CMAKE_COMMON[@]}" -DCMAKE_BUILD_TYPE=Release ${LISA_CMAKE_ARGS:-}
  step_done "configured"
fi
JOBS="${LISA_JOBS:-$(nproc)}"
say "building ($JOBS jobs)"
cmake --build "$BUILD" -j "$JOBS"
step_done "built: $BUILD/lisa"
