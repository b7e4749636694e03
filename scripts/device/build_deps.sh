#!/usr/bin/env bash
# Builds the static C++ dependencies a machine without Debian's packages lacks, from Debian's
# source packages, into one relocatable prefix:
#   zlib, libjpeg-turbo, libpng (static, PIC) -> OpenCV core/imgproc/imgcodecs (static, JPEG + PNG
#   only) and sentencepiece (static; Debian's disable-static-library.patch reversed).
#
#   scripts/device/build_deps.sh SRC_DIR PREFIX [JOBS]
#
# SRC_DIR holds the unpacked sources as bundle.sh lays them out: zlib/ libjpeg-turbo/ libpng/
# opencv/ sentencepiece/. Used by bundle.sh on the CPU machine, and by run_on_gpu.sh when the
# GPU machine's compiler is older than the one the bundled archives were built with.
set -euo pipefail
SRC="$(cd "$1" && pwd)"
PREFIX="$(mkdir -p "$2" && cd "$2" && pwd)"
JOBS="${3:-$(nproc)}"
WORK="${BUILD_DEPS_WORK:-$(mktemp -d)}"
[[ -n "${BUILD_DEPS_WORK:-}" ]] || trap 'rm -rf "$WORK"' EXIT
say() { printf '[build_deps %s] %s\n' "$(date +%T)" "$*"; }
export CFLAGS="-O2 -fPIC" CXXFLAGS="-O2 -fPIC"
GEN=(); command -v ninja >/dev/null && GEN=(-G Ninja)
STATIC=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_INSTALL_PREFIX="$PREFIX"
        -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF)

say "zlib"
rm -rf "$WORK/zlib" && cp -a "$SRC/zlib" "$WORK/zlib"
(cd "$WORK/zlib" && ./configure --static --prefix="$PREFIX" >/dev/null && make -s -j"$JOBS" install >/dev/null)

say "libjpeg-turbo"
SIMD=ON; command -v nasm >/dev/null || command -v yasm >/dev/null || SIMD=OFF
# libjpeg-turbo installs to a relative CMAKE_INSTALL_LIBDIR under the current directory: give it absolute.
cmake -S "$SRC/libjpeg-turbo" -B "$WORK/jpeg" "${GEN[@]}" "${STATIC[@]}" -DCMAKE_INSTALL_LIBDIR="$PREFIX/lib" \
      -DENABLE_SHARED=OFF -DENABLE_STATIC=ON \
      -DWITH_TURBOJPEG=OFF -DWITH_SIMD="$SIMD" >/dev/null
cmake --build "$WORK/jpeg" -j "$JOBS" >/dev/null && cmake --install "$WORK/jpeg" >/dev/null

say "libpng"
cmake -S "$SRC/libpng" -B "$WORK/png" "${GEN[@]}" "${STATIC[@]}" -DPNG_SHARED=OFF -DPNG_STATIC=ON -DPNG_TESTS=OFF \
      -DPNG_EXECUTABLES=OFF -DZLIB_LIBRARY="$PREFIX/lib/libz.a" -DZLIB_INCLUDE_DIR="$PREFIX/include" >/dev/null
cmake --build "$WORK/png" -j "$JOBS" >/dev/null && cmake --install "$WORK/png" >/dev/null

say "sentencepiece"
cmake -S "$SRC/sentencepiece" -B "$WORK/spm" "${GEN[@]}" "${STATIC[@]}" -DSPM_ENABLE_SHARED=OFF \
      -DSPM_BUILD_TEST=OFF >/dev/null
cmake --build "$WORK/spm" -j "$JOBS" --target sentencepiece-static >/dev/null
install -D -m 644 "$(find "$WORK/spm" -name libsentencepiece.a | head -1)" "$PREFIX/lib/libsentencepiece.a"
install -D -m 644 "$SRC/sentencepiece/src/sentencepiece_processor.h" "$PREFIX/include/sentencepiece_processor.h"

say "opencv (core, imgproc, imgcodecs)"
off=()
for option in WITH_TIFF WITH_WEBP WITH_OPENJPEG WITH_JASPER WITH_OPENEXR WITH_GDAL WITH_GDCM WITH_IPP WITH_ITT \
              WITH_OPENCL WITH_VA WITH_VA_INTEL WITH_LAPACK WITH_EIGEN WITH_OPENMP WITH_TBB WITH_PROTOBUF \
              WITH_QUIRC WITH_ADE WITH_CUDA WITH_GTK WITH_QT WITH_FFMPEG WITH_GSTREAMER WITH_V4L WITH_1394 \
              WITH_IMGCODEC_HDR WITH_IMGCODEC_SUNRASTER WITH_IMGCODEC_PXM WITH_IMGCODEC_PFM WITH_OPENVX \
              BUILD_ZLIB BUILD_JPEG BUILD_PNG BUILD_TIFF BUILD_WEBP BUILD_OPENJPEG BUILD_JASPER BUILD_OPENEXR \
              BUILD_TESTS BUILD_PERF_TESTS BUILD_EXAMPLES BUILD_opencv_apps BUILD_DOCS BUILD_JAVA \
              BUILD_opencv_python2 BUILD_opencv_python3 OPENCV_GENERATE_PKGCONFIG ENABLE_PRECOMPILED_HEADERS CV_TRACE; do
  off+=("-D$option=OFF")
done
cmake -S "$SRC/opencv" -B "$WORK/opencv" "${GEN[@]}" "${STATIC[@]}" "${off[@]}" \
      -DBUILD_LIST=core,imgproc,imgcodecs -DWITH_JPEG=ON -DWITH_PNG=ON -DWITH_PTHREADS_PF=ON \
      -DOPENCV_LIB_INSTALL_PATH=lib -DOPENCV_3P_LIB_INSTALL_PATH=lib/opencv4/3rdparty \
      -DJPEG_LIBRARY="$PREFIX/lib/libjpeg.a" -DJPEG_INCLUDE_DIR="$PREFIX/include" \
      -DPNG_LIBRARY="$PREFIX/lib/libpng16.a" -DPNG_PNG_INCLUDE_DIR="$PREFIX/include" \
      -DZLIB_LIBRARY="$PREFIX/lib/libz.a" -DZLIB_INCLUDE_DIR="$PREFIX/include" >"$WORK/opencv-configure.log"
cmake --build "$WORK/opencv" -j "$JOBS" >/dev/null && cmake --install "$WORK/opencv" >/dev/null

# OpenCV's installed CMake files name the jpeg/png/zlib archives by absolute path: make them
# relative to the prefix so the folder can move (to the GPU machine).
while IFS= read -r file; do
  case "$file" in
    *OpenCVModules*.cmake) sed -i "s|$PREFIX|\${_IMPORT_PREFIX}|g" "$file" ;;
    *) sed -i "s|$PREFIX|\${OpenCV_INSTALL_PATH}|g" "$file" ;;
  esac
done < <(grep -rl "$PREFIX" "$PREFIX/lib/cmake/opencv4")
rm -rf "$PREFIX/share/opencv4" "$PREFIX/share/licenses" "$PREFIX/share/doc" "$PREFIX/share/man" \
       "$PREFIX/bin" "$PREFIX/lib/pkgconfig" "$PREFIX/lib/cmake/libjpeg-turbo" "$PREFIX/lib/libpng" \
       "$PREFIX/lib/libturbojpeg.a"
for file in lib/libz.a lib/libjpeg.a lib/libpng16.a lib/libsentencepiece.a lib/libopencv_core.a \
            lib/libopencv_imgproc.a lib/libopencv_imgcodecs.a include/zlib.h include/jpeglib.h include/png.h \
            include/sentencepiece_processor.h lib/cmake/opencv4/OpenCVConfig.cmake; do
  [[ -f "$PREFIX/$file" ]] || { echo "build_deps.sh: $PREFIX/$file is missing" >&2; exit 1; }
done
if grep -rq "$WORK\|$SRC" "$PREFIX/lib/cmake/opencv4"; then
  echo "build_deps.sh: OpenCV's CMake files name the build or source folders" >&2; exit 1
fi
say "done: $PREFIX ($(du -sh "$PREFIX" | cut -f1))"
