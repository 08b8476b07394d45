#!/usr/bin/env bash
# GPT-2 small in bf16 at batch 8 x 512 on a lent NVIDIA GPU (issue #7's speed target): the
# short check to run after a change to the cuda backend, in one device call of about five
# minutes. Carry .gl and .debs (see bench/gpu_check.sh). Run from the project root:
#   bash bench/gpu_gpt2.sh      # results under $OUT (the device tool's) or bench/results/gpu-gpt2
# It builds thunder-run and the cuda tests against the machine's LibTorch, exports the model
# and compiles it with torch.compile beside the build (bench/gpt2_bf16_gpu.py), runs the
# cuda op database's reductions and norms on the GPU against the float64 reference, then
# times, alone on the machine: torch eager and torch.compile (inductor), thunder's cuda
# backend kernel by kernel and as a CUDA graph, last, where
# Nsight Compute runs, the kernel time of one warm thunder call by kernel
# (bench/ncu_kernels.py).
set -uo pipefail
out=${OUT:-bench/results/gpu-gpt2}
work=/tmp/thunder-gpu
mkdir -p "$out" "$work"
exec > >(tee "$out/summary.txt") 2>&1
budget=${THUNDER_GPU_BUDGET_S:-240}
status=0
source bench/gpu_common.sh

start_torch_gpt2
configure_gpu_build -DTHUNDER_BUILD_BENCH=OFF
# THUNDER_GPU_QUICK=1 leaves out the op database check (and building its tests), for a
# machine with little device time left: thunder-run still checks each output against the
# torch backend's.
targets=(thunder-run)
[[ ${THUNDER_GPU_QUICK:-0} == 1 ]] || targets+=(thunder_cuda_tests)
step build
cmake --build build/gpu -j"$jobs" --target "${targets[@]}" >> "$out/build.log" 2>&1 \
  || { grep -E "error|FAILED" "$out/build.log" | head -30; exit 1; }

if [[ ${THUNDER_GPU_QUICK:-0} != 1 ]]; then
  step "reductions and norms of the op database on the GPU"
  (cd build/gpu && THUNDER_EXPECT_DEVICE=1 reserve=150 within 60 ctest -j8 -L '^cuda$' -FA '.*' --timeout 60 \
     -R 'CudaOpDatabase.*(layer_norm|rms_norm|softmax|log_softmax|var|mean|sum|amax|logsumexp|cross_entropy|group_norm|batch_norm)$' \
     > "$out/cuda_tests.log" 2>&1) || status=1
  grep -E "tests passed|tests failed|\((Failed|Timeout|SEGFAULT)\)" "$out/cuda_tests.log"
fi

step "timings: torch eager and torch.compile (inductor)"
touch "$work/go"
reserve=90 within 120 tail --pid="$gpt2_pid" -f /dev/null
cat "$work/gpt2.log"
[ -f "$gpt2" ] || { echo "no model exported"; exit 1; }
step "timings: thunder"
time_thunder "$gpt2" 60 45 cuda cuda+graphs -- --shapes 8x512
step "kernel time of one warm call on cuda (Nsight Compute)"
if command -v ncu > /dev/null; then
  THUNDER_CUDA_GRAPHS=0 reserve=5 within 120 ncu --clock-control none --metrics gpu__time_duration.sum \
    --csv --log-file "$out/ncu.csv" -c 400 ./build/gpu/tools/thunder-run "$gpt2" --shapes 8x512 \
    --backend cuda --device cuda --repeat 1 > "$work/ncu.err" 2>&1
  echo "ncu exit $?"; tail -3 "$work/ncu.err"
  python3 bench/ncu_kernels.py "$out/ncu.csv"
fi
step "done (exit $status)"
exit "$status"
