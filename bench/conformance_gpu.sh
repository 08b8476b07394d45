#!/usr/bin/env bash
# thunder-conformance alone on a lent NVIDIA GPU machine (H100/H200; see bench/gpu_check.sh,
# which runs it too, for what the machine has and what to carry: .gl, .debs,
# build/default/tests/models). Run from the project root with the device tool:
#   bash bench/conformance_gpu.sh      # results under $OUT (the device tool's) or bench/results/conformance-gpu
# It builds thunder-conformance against the machine's LibTorch and runs the op database
# (f32, f16, bf16) and the exported models on cuda, spirv (NVIDIA's Vulkan driver) and torch,
# with --compare cuda,spirv: where the two GPU backends of one card disagree, op by op. The
# expectations file is lavapipe's (tests/conformance/expectations.txt): on NVIDIA's driver
# its entries may be xpass, which is what this run is for. Copy the summary, JSON and HTML
# into bench/results/<machine>-<date>/ afterwards.
set -uo pipefail
out=${OUT:-bench/results/conformance-gpu}
budget=${THUNDER_GPU_BUDGET_S:-540}
source bench/gpu_common.sh

configure_gpu_build -DTHUNDER_BUILD_BENCH=OFF -DTHUNDER_BUILD_TESTS=OFF
step build
cmake --build build/gpu -j"$jobs" --target thunder-conformance >> "$out/build.log" 2>&1 \
  || { grep -E "error|FAILED" "$out/build.log" | head -30; exit 1; }

step "op database and models: cuda, spirv, torch; --compare cuda,spirv"
OMP_NUM_THREADS=4 within 480 ./build/gpu/tools/thunder-conformance --backends cuda,spirv,torch \
  --dtypes f32,f16,bf16 ${spirv:+--compare cuda,spirv} --models build/default/tests/models \
  --expectations tests/conformance/expectations.txt \
  --json "$out/conformance.json" --junit "$out/conformance.xml" --html "$out/conformance.html" \
  > "$out/conformance.txt" 2>&1
echo "exit $?"
sed -n '/^backends:/,$p' "$out/conformance.txt"
grep -E "^(fail|fallback|xpass): cuda-vs-spirv" "$out/conformance.txt" | head -40
