#!/usr/bin/env bash
# Everything the project checks on a lent NVIDIA GPU machine (H100/H200: Ubuntu, CUDA, LibTorch
# 2.11 with CUDA, transformers, no Vulkan and none of our build dependencies), in one call
# that fits the device tool's 10 minutes. Run from the project root with the device tool,
# carrying .gl and .debs (../shared/gpu/fetch-debs.sh, plus vulkan-validationlayers' .deb
# downloaded into .debs) and the models exported here (build/default/tests/models, and
# build/default/tests/models_bf16 from `python3 tests/models/export_transformers.py --only
# gpt2,llama,bert --dtype bf16 build/default/tests/models_bf16`, where present):
#   bash bench/gpu_check.sh        # results under $OUT (the device tool's) or bench/results/gpu
# THUNDER_GPU_BUDGET_S (default 540) is the time the script may take: each step gets what is
# left, and a step with no time left says it was skipped. It builds once, against the
# machine's LibTorch, then:
#  1. correctness, side by side: thunder_cuda_tests (op database and models on the GPU
#     against the float64 reference, cuBLASLt, fused attention, CUDA graphs),
#     thunder-conformance over cuda, spirv (NVIDIA's Vulkan driver) and torch with
#     --compare cuda,spirv (issue #8), and the spirv test binaries on NVIDIA Vulkan with
#     the validation layer on;
#  2. timings, alone on the machine: GPT-2 small in bf16 at 8 x 512 on thunder's cuda backend
#     against torch eager and torch.compile (bench/gpt2_bf16_gpu.py), the generated kernels'
#     bandwidth against a hand-written copy (cuda and spirv), spirv's matmul kernels (tiled
#     and cooperative-matrix) and fused attention, the small test models;
#  3. compute-sanitizer memcheck over the models on cuda, with what time is left.
# Files under the results folder (the device tool brings back at most eight): summary.txt
# (this script's output), gpu.txt, build.log, cuda_tests.log, spirv_tests.log,
# conformance.tgz (text, JSON, JUnit, HTML), runs.log, memcheck.log.
set -uo pipefail
out=${OUT:-bench/results/gpu}
work=/tmp/thunder-gpu
mkdir -p "$out" "$work"
exec > >(tee "$out/summary.txt") 2>&1
budget=${THUNDER_GPU_BUDGET_S:-540}
status=0 # 1 after any failed step: the script's exit status
source bench/gpu_common.sh

start_torch_gpt2

configure_gpu_build -DTHUNDER_BUILD_BENCH=ON
[ -n "$spirv" ] || { status=1; echo "no spirv steps: the Vulkan stack was not found"; }
step "build (the spirv executor's torch tests afterwards, beside the first tests)"
cmake --build build/gpu -j"$jobs" --target thunder_cuda_tests thunder-run thunder-conformance \
  thunder-bench-cuda-kernels ${spirv:+thunder_spirv_tests thunder-bench-spirv-kernels \
  thunder-bench-spirv-attention thunder-bench-spirv-matmul} >> "$out/build.log" 2>&1 \
  || { grep -E "error|FAILED" "$out/build.log" | head -30; exit 1; }
step built
build2_pid=
[ -n "$spirv" ] && { cmake --build build/gpu -j"$jobs" --target thunder_spirv_torch_tests > "$work/build2.log" 2>&1 & build2_pid=$!; }

models=$PWD/build/gpu/tests/models
mkdir -p "$models" && cp -r build/default/tests/models/. "$models/"
[ -d build/default/tests/models_bf16 ] && cp -r build/default/tests/models_bf16/. "$models/"
export THUNDER_TEST_MODELS=$models
./build/gpu/tools/thunder-run --list-devices 2>&1 | tee -a "$out/gpu.txt"

step "correctness: thunder_cuda_tests, thunder-conformance and the spirv tests side by side"
mkdir -p "$work/conformance"
(OMP_NUM_THREADS=4 within 300 ./build/gpu/tools/thunder-conformance --backends cuda,spirv,torch \
   --dtypes f32,f16,bf16 ${spirv:+--compare cuda,spirv} --models build/default/tests/models \
   --expectations tests/conformance/expectations.txt --json "$work/conformance/conformance.json" \
   --junit "$work/conformance/conformance.xml" --html "$work/conformance/conformance.html" \
   > "$work/conformance/conformance.txt" 2>&1; echo "$?" > "$work/conformance/exit") &
conformance_pid=$!
(cd build/gpu && THUNDER_EXPECT_DEVICE=1 within 240 ctest -j8 -V -L '^cuda$' -FA '.*' --timeout 200 \
   > "$out/cuda_tests.log" 2>&1) || status=1
[ -n "$spirv" ] && (cd build/gpu && THUNDER_VK_VALIDATION=1 within 120 ctest -j4 -L '^spirv_runtime$' -FA '.*' \
   --timeout 100 --output-on-failure > "$out/spirv_tests.log" 2>&1) || status=1
step "thunder_cuda_tests"
grep -E "tests passed|tests failed|Total Test time" "$out/cuda_tests.log"
grep -E "\((Failed|Timeout|Exception|SEGFAULT|Subprocess aborted)\)" "$out/cuda_tests.log" | head -20
grep -E "\[cuda\] [a-z0-9_]+ on |regions \(|no GPU run" "$out/cuda_tests.log" | sed 's/^[0-9]*: //' | head -20
echo "ops run and checked on the device: $(grep -c 'run and checked on NVIDIA' "$out/cuda_tests.log")"
step "spirv runtime tests on NVIDIA Vulkan"
grep -E "tests passed|tests failed|Total Test time|\((Failed|Timeout|SEGFAULT)\)" "$out/spirv_tests.log" | head -20

step "the spirv executor's torch tests on NVIDIA Vulkan (validation on)"
[ -n "$build2_pid" ] && reserve=200 within 200 tail --pid="$build2_pid" -f /dev/null
if [ -n "$build2_pid" ] && wait "$build2_pid"; then
  (cd build/gpu && reserve=170 within 200 ctest -j8 -L '^spirv_torch$' -FA '.*' --timeout 150 \
     --output-on-failure >> "$out/spirv_tests.log" 2>&1) || status=1
  grep -E "tests passed|tests failed|Total Test time|\((Failed|Timeout|SEGFAULT)\)" "$out/spirv_tests.log" | tail -20
  # The cooperative-matrix matmul (VK_NV_cooperative_matrix): run, or skipped, with the
  # device's shapes and the reason (ctest -V prints a passed or skipped test's output).
  (cd build/gpu && reserve=60 within 60 ctest -V -R 'CooperativeMatrix' --timeout 50 \
     >> "$out/spirv_tests.log" 2>&1) || status=1
  grep -E "CooperativeMatrix.*(Passed|Failed|Skipped)|the cooperative-matrix matmul is|\[vulkan\].*cooperative" \
    "$out/spirv_tests.log" | sed 's/^[0-9]*: //' | sort -u | head -12
else
  echo "thunder_spirv_torch_tests not built:"; grep -E "error|FAILED" "$work/build2.log" 2>/dev/null | head -5
fi

step "thunder-conformance: cuda, spirv and torch, f32/f16/bf16, --compare cuda,spirv"
reserve=150 within 300 tail --pid="$conformance_pid" -f /dev/null
echo "exit $(cat "$work/conformance/exit" 2>/dev/null || echo 'none: still running, stopped')"
sed -n '/^backends:/,$p' "$work/conformance/conformance.txt" | head -40
grep -E "^(fail|fallback|xpass): cuda-vs-spirv" "$work/conformance/conformance.txt" | head -20
tar czf "$out/conformance.tgz" -C "$work" conformance

step "timings: GPT-2 small bf16 [8, 512], torch eager and torch.compile (inductor)"
touch "$work/go"
reserve=120 within 150 tail --pid="$gpt2_pid" -f /dev/null
cat "$work/gpt2.log" | tee -a "$out/runs.log"
[ -f "$gpt2" ] && time_thunder "$gpt2" 100 60 cuda cuda+graphs torch -- --shapes 8x512

step "generated kernels against a hand-written copy (bandwidth), cuBLASLt, attention"
reserve=90 within 60 ./build/gpu/bench/thunder-bench-cuda-kernels 2>&1 | tee -a "$out/runs.log"

step "small test models with weights on the GPU: cuda (kernel by kernel, CUDA graphs) vs torch"
for m in gpt2 llama bert gpt2_bf16 llama_bf16 bert_bf16; do
  [ -f "$models/$m.pt2" ] || { echo "$m: not exported (see the header)"; continue; }
  time_thunder "$models/$m.pt2" 80 30 cuda cuda+graphs torch -- --inputs "$models/$m.io.json"
done

step "GPT-2 on spirv (NVIDIA Vulkan), strict; generated GLSL kernels' bandwidth"
[ -n "$spirv" ] && {
reserve=60 within 40 ./build/gpu/tools/thunder-run "$models/gpt2.pt2" --inputs "$models/gpt2.io.json" \
  --backend spirv --strict --repeat 20 > "$work/run.tmp" 2>&1 || status=1
grep -E "device|executors|time per call|error|thunder-run:" "$work/run.tmp"; cat "$work/run.tmp" >> "$out/runs.log"
reserve=40 within 40 ./build/gpu/bench/thunder-bench-spirv-kernels 2>&1 | tee -a "$out/runs.log"
# The matmul kernels: tiled against cooperative-matrix (f16, tensor cores), and tiled in f32.
for args in "--shape 4096,4096,4096" "--shape 2048,2048,2048 --dtype f32"; do
  reserve=30 within 30 ./build/gpu/bench/thunder-bench-spirv-matmul $args 2>&1 | tee -a "$out/runs.log"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
done
# The fused attention against its decomposition: GPT-2 small's heads, f32 and bf16.
for args in "--shape 8,12,512,64" "--shape 8,12,512,64 --dtype bf16"; do
  reserve=30 within 30 ./build/gpu/bench/thunder-bench-spirv-attention $args 2>&1 | tee -a "$out/runs.log"
done
}

step "compute-sanitizer memcheck (models on cuda)"
if command -v compute-sanitizer > /dev/null; then
  reserve=5 within 200 compute-sanitizer --tool memcheck --error-exitcode 9 \
    ./build/gpu/tests/thunder_cuda_tests --gtest_filter='Models/CudaModels.RunsOnTheDevice*:Models/CudaModels.Replays*:FusedAttention.*' \
    > "$out/memcheck.log" 2>&1
  echo "memcheck exit $?"; grep -E "ERROR SUMMARY|PASSED|FAILED" "$out/memcheck.log" | head -5
fi
step "done (exit $status)"
exit "$status"
