#!/usr/bin/env bash
# Builds the peer rFBP 1.0.4 (Nico-Curti/rFBP, tag v1.0.4 = commit 8d0ac76; its src/, hpp/, include/
# are those of the PyPI sdist ReplicatedFocusingBeliefPropagation 1.0.4) as the command-line driver
# `train_main`, one thread (no OpenMP), -O3 -DNDEBUG, for benches/rfbp_compare.py.
#
# Usage: benches/rfbp_build.sh RFBP_SRC OUT_DIR
#   RFBP_SRC: a checkout of rFBP at tag v1.0.4 (not part of flatmin; nothing of it is committed here).
#   OUT_DIR:  where the patched copy and the binary go (OUT_DIR/train_main).
#
# One patch, applied to the copy: `theta_node_update_accurate` in hpp/rfbp.hpp keeps a
# `static double maxdiff` that is never reset, so its convergence test sees the running maximum since
# program start; we add `maxdiff = 0.;` right after that declaration (the intended protocol).
# Built with g++ directly: the flags of the CMake "Custom" build of /work/shared/peers/rfbp.md
# (-O3 -DNDEBUG) plus its default options VERBOSE and STATS (the per-sweep and per-step prints).
set -euo pipefail
src=${1:?RFBP_SRC}
out=${2:?OUT_DIR}
mkdir -p "$out"
rm -rf "$out/src"
cp -r "$src" "$out/src"
cd "$out/src"
# Patch only the declaration inside theta_node_update_accurate (the second of the three).
line=$(awk '/^double theta_node_update_accurate/{f=1} f && /static double maxdiff;/{print NR; exit}' hpp/rfbp.hpp)
if [ -z "$line" ]; then echo "rfbp_build: maxdiff declaration not found" >&2; exit 1; fi
sed -i "${line}a\\  maxdiff = 0.; // flatmin benches: reset per call (upstream never resets it)" hpp/rfbp.hpp
flags=(-std=c++17 -O3 -DNDEBUG -DVERBOSE -DSTATS -DMAJOR=1 -DMINOR=0 -DREVISION=4 "-DPWD=\"$out/src\"" -Iinclude -Ihpp)
# As upstream's CMake: the library as a shared object, the driver linked against it.
g++ "${flags[@]}" -fPIC -shared src/*.cpp -o "$out/librfbp.so"
g++ "${flags[@]}" example/train_main.cpp -L"$out" -lrfbp -Wl,-rpath,"$out" -o "$out/train_main"
echo "$out/train_main"
