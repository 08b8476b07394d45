#!/usr/bin/env bash
# thunder-conformance on a lent NVIDIA GPU machine (H100/H200; see bench/gpu_check.sh for
# what the machine has and what to carry: .gl, .debs, build/default/tests/models). Run from
# the project root with the device tool:
#   bash bench/conformance_gpu.sh      # results under $OUT (the device tool's) or bench/results/conformance-gpu
# It builds thunder-conformance against the machine's LibTorch and runs the op database
# (f32, f16, bf16) and the exported models on cuda, spirv (NVIDIA's Vulkan driver) and torch,
# with --compare cuda,spirv: where the two GPU backends of one card disagree, op by op. The
# expectations file is lavapipe's (tests/conformance/expectations.txt): on NVIDIA's driver
# its entries may be xpass, which is what this run is for. Copy the summary, JSON and HTML
# into bench/results/<machine>-<date>/ afterwards.
set -uo pipefail
out=${OUT:-bench/results/conformance-gpu}
mkdir -p "$out"
jobs=$(nproc)
step() { echo "== $*"; }

source .debs/setup.sh > "$out/build.log" 2>&1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"

step configure
cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTHUNDER_BUILD_BENCH=OFF \
  -DTHUNDER_BUILD_TESTS=OFF -DTHUNDER_WITH_PYTHON=OFF \
  -DVulkan_LIBRARY=/usr/lib/x86_64-linux-gnu/libvulkan.so.1 \
  -DVulkan_INCLUDE_DIR="$THUNDER_DEPS/usr/include" -DVulkan_GLSLC_EXECUTABLE="$THUNDER_DEPS/usr/bin/glslc" \
  >> "$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
step build
start=$(date +%s)
cmake --build build/gpu -j"$jobs" --target thunder-conformance >> "$out/build.log" 2>&1 \
  || { grep -E "error|FAILED" "$out/build.log" | head -30; exit 1; }
echo "built in $(( $(date +%s) - start )) s"

step "op database and models: cuda, spirv, torch; --compare cuda,spirv"
start=$(date +%s)
OMP_NUM_THREADS=4 ./build/gpu/tools/thunder-conformance --backends cuda,spirv,torch \
  --dtypes f32,f16,bf16 --compare cuda,spirv --models build/default/tests/models \
  --expectations tests/conformance/expectations.txt \
  --json "$out/conformance.json" --junit "$out/conformance.xml" --html "$out/conformance.html" \
  > "$out/conformance.txt" 2>&1
echo "exit $? in $(( $(date +%s) - start )) s"
sed -n '/^backends:/,$p' "$out/conformance.txt"
grep -E "^(fail|fallback|xpass): cuda-vs-spirv" "$out/conformance.txt" | head -40
