#!/usr/bin/env bash
# Gathers on this (Debian 12, CPU) machine everything the GPU machine lacks into the git-ignored
# folder .bundle/, which the device tool carries (`carry: [".bundle"]`); run_on_gpu.sh uses it.
#
#   scripts/device/bundle.sh [--skip-native]
#
# .bundle/deps-prefix.tar.xz  static zlib, libjpeg-turbo, libpng, OpenCV (core, imgproc, imgcodecs;
#                             JPEG + PNG), sentencepiece, built here from Debian's source packages
#                             by build_deps.sh; Debian's GoogleTest/GoogleMock static libraries;
#                             nlohmann_json and CLI11 headers; all with relocatable CMake files
# .bundle/deps-src.tar.xz     the trimmed sources of the built ones, for a machine whose compiler is
#                             older than g++ 12 (run_on_gpu.sh builds them there instead)
# .bundle/wheels/             transformers 4.31.0 and huggingface_hub 0.x (pure Python), for the
#                             reference bench (the GPU image has transformers 5)
# .bundle/LISA/               LISA's Python code (chat.py, train_ds.py, model/, utils/) from LISA_REPO
# .bundle/lisa-7b-skeleton/   make_random_lisa.py --preset 7b --skeleton-only (configs, tokenizer,
#                             tensor lists), filled with random weights there
# .bundle/images/             the benchmark photo (BENCH_IMAGE, default shared/images/dog_with_horn.jpg)
# The whole working tree that travels must stay under 64 MiB: the script prints the total.
# --skip-native reuses the two deps archives already in .bundle (no source download, no build).
# Building takes minutes on 2 cores (OpenCV most of it); the work folder is BUNDLE_WORK
# (default /tmp/lisa-bundle-work), outside the tree.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUNDLE="$ROOT/.bundle"
WORK="${BUNDLE_WORK:-/tmp/lisa-bundle-work}"
LISA_REPO="${LISA_REPO:-/work/ref/LISA}"
JOBS="${LISA_JOBS:-2}"
source "$ROOT/scripts/bench/reference_python.sh"
SKIP_NATIVE=0
[[ "${1:-}" == "--skip-native" ]] && SKIP_NATIVE=1
say() { printf '\033[1m[bundle %s]\033[0m %s\n' "$(date +%T)" "$*"; }
mkdir -p "$BUNDLE" "$WORK"

# ------------------------------------------------------------------ sources (Debian source packages)
ensure_deb_src() {
  if apt-get source --print-uris zlib >/dev/null 2>&1; then return; fi
  say "adding deb-src entries mirroring /etc/apt/sources.list.d/debian.sources"
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
    >/etc/apt/sources.list.d/lisa-deb-src.sources
  apt-get update -q >/dev/null
}

fetch_source() {  # name-in-src-dir  apt-source-spec...
  local name="$1"; shift
  [[ -d "$WORK/src/$name" ]] && return
  mkdir -p "$WORK/dl/$name"
  local spec
  for spec in "$@"; do
    if (cd "$WORK/dl/$name" && apt-get source -q "$spec" >/dev/null 2>&1); then break; fi
  done
  local dir
  dir="$(find "$WORK/dl/$name" -mindepth 1 -maxdepth 1 -type d | head -1)"
  [[ -n "$dir" ]] || { echo "bundle.sh: apt-get source failed for $*" >&2; exit 1; }
  mkdir -p "$WORK/src"
  mv "$dir" "$WORK/src/$name"
}

trim_sources() {
  local src="$WORK/src"
  # sentencepiece: Debian disables the static library; undo that patch.
  if [[ -f "$src/sentencepiece/debian/patches/disable-static-library.patch" && ! -f "$src/sentencepiece/.static-restored" ]]; then
    (cd "$src/sentencepiece" && patch -R -p1 -s <debian/patches/disable-static-library.patch && touch .static-restored)
  fi
  # OpenCV: only what core, imgproc and imgcodecs need.
  local cv="$src/opencv"
  if [[ -d "$cv/modules/video" ]]; then
    find "$cv/modules" -mindepth 1 -maxdepth 1 -type d \
      ! -name core ! -name imgproc ! -name imgcodecs -exec rm -rf {} +
    rm -rf "$cv/doc" "$cv/samples" "$cv/apps" "$cv/data" "$cv/platforms/android" "$cv/platforms/ios" \
           "$cv/platforms/js" "$cv/platforms/winpack_dldt" "$cv/contrib" "$cv/modules/core/test" \
           "$cv/modules/imgproc/test" "$cv/modules/imgcodecs/test" "$cv/modules/core/perf" \
           "$cv/modules/imgproc/perf" "$cv/modules/imgcodecs/perf"
  fi
  local d
  for d in "$src"/*; do rm -rf "$d/debian" "$d/.pc" "$d/doc" "$d/docs" "$d/testimages" "$d/test" "$d/tests"; done
  # The sentencepiece build needs its data/ and third_party/ but not its Python or test corpora.
  rm -rf "$src/sentencepiece/python" "$src/sentencepiece/data/botchan.txt" "$src/sentencepiece/data/wagahaiwa_nekodearu.txt"
}

if [[ $SKIP_NATIVE == 0 ]]; then
  ensure_deb_src
  say "fetching Debian sources into $WORK/src"
  fetch_source zlib zlib
  fetch_source libjpeg-turbo libjpeg-turbo
  fetch_source libpng libpng1.6 libpng1.6=1.6.39-2+deb12u5
  fetch_source sentencepiece sentencepiece
  fetch_source opencv opencv
  trim_sources
  say "packing trimmed sources"
  tar -C "$WORK/src" -cJf "$BUNDLE/deps-src.tar.xz" zlib libjpeg-turbo libpng sentencepiece opencv

  say "building static libraries ($JOBS jobs; OpenCV takes minutes)"
  PREFIX="$WORK/prefix"
  rm -rf "$PREFIX"
  "$ROOT/scripts/device/build_deps.sh" "$WORK/src" "$PREFIX" "$JOBS"

  say "adding GoogleTest/GoogleMock, nlohmann_json, CLI11 from Debian's packages"
  missing=()
  for p in libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) || DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  arch_lib="lib/x86_64-linux-gnu"
  mkdir -p "$PREFIX/$arch_lib/cmake" "$PREFIX/share/cmake"
  cp -a /usr/include/gtest /usr/include/gmock /usr/include/nlohmann /usr/include/CLI "$PREFIX/include/"
  cp -a /usr/$arch_lib/libgtest.a /usr/$arch_lib/libgtest_main.a /usr/$arch_lib/libgmock.a \
        /usr/$arch_lib/libgmock_main.a "$PREFIX/$arch_lib/"
  cp -a /usr/$arch_lib/cmake/GTest "$PREFIX/$arch_lib/cmake/"
  cp -a /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$PREFIX/share/cmake/"
  if grep -rqs "/usr/" "$PREFIX/$arch_lib/cmake" "$PREFIX/share/cmake" "$PREFIX/lib/cmake"; then
    echo "bundle.sh: a CMake file still names /usr/ paths:" >&2
    grep -rls "/usr/" "$PREFIX/$arch_lib/cmake" "$PREFIX/share/cmake" "$PREFIX/lib/cmake" >&2 || true
  fi
  say "packing the prefix"
  tar -C "$PREFIX" -cJf "$BUNDLE/deps-prefix.tar.xz" .
fi

say "wheels for the reference bench"
rm -rf "$BUNDLE/wheels" && mkdir -p "$BUNDLE/wheels"
"$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation py \
  -d "$BUNDLE/wheels" transformers==4.31.0 huggingface_hub==0.36.2

say "LISA's Python code from $LISA_REPO"
rm -rf "$BUNDLE/LISA" && mkdir -p "$BUNDLE/LISA"
(cd "$LISA_REPO" && tar --exclude=__pycache__ -cf - chat.py train_ds.py model utils) | tar -C "$BUNDLE/LISA" -xf -

say "the benchmark photo"
mkdir -p "$BUNDLE/images"
cp "${BENCH_IMAGE:-/work/shared/images/dog_with_horn.jpg}" "$BUNDLE/images/dog_with_horn.jpg"

say "7b skeleton"
rm -rf "$BUNDLE/lisa-7b-skeleton"
"$PYTHON" "$ROOT/scripts/bench/make_random_lisa.py" --preset 7b --dtype bf16 --skeleton-only \
  --out "$BUNDLE/lisa-7b-skeleton" --lisa-repo "$LISA_REPO" 2>&1 | grep -v "legacy behaviour" || true
[[ -f "$BUNDLE/lisa-7b-skeleton/lisa/weights_spec.json" ]] || { echo "bundle.sh: skeleton failed" >&2; exit 1; }

tree_mib=$(git -C "$ROOT" ls-files -z --cached --others --exclude-standard | (cd "$ROOT" && xargs -0 du -cb 2>/dev/null) | tail -1 | cut -f1)
bundle_mib=$(du -sb "$BUNDLE" | cut -f1)
say "bundle: $(du -sh "$BUNDLE" | cut -f1); working tree + bundle: $(( (tree_mib + bundle_mib) / 1048576 )) MiB (limit 64)"
du -sh "$BUNDLE"/* | sed 's/^/    /'
