#!/usr/bin/env bash
# What folding matmul epilogues into cuBLASLt changes on the cuda backend, per test model:
# the launches of one call (generated kernels, cuBLASLt calls, fused attention) and the
# peak of device memory, with THUNDER_CUDA_MATMUL_EPILOGUES=0 (bias adds and relus in
# generated kernels, f16/bf16 products of f32 copies) and =1 (the default). Where there is
# no NVIDIA driver it runs on thunder's CUDA host emulator: the launch counts and bytes are
# what a GPU would see; nothing here is a speed (bench/gpu_check.sh times the GPU). Eager's
# peak is measured on the CPU allocator (CompiledModule::measure_eager_peak_bytes).
# Then the same on the spirv backend (THUNDER_VK_MATMUL_EPILOGUES, the bias and relu in
# shaders/matmul.comp's epilogue), weights resident (THUNDER_VK_RESIDENT_WEIGHTS=1, the
# discrete-GPU default), on whichever Vulkan device THUNDER_VK_DEVICE picks (lavapipe in
# CI): dispatches and bytes, not speeds.
#   bash bench/matmul_epilogues.sh [BUILD_DIR] [MODELS_DIR]
set -euo pipefail
build=${1:-build/default}
models=${2:-$build/tests/models}
run="$build/tools/thunder-run"
[ -x "$run" ] || { echo "no $run: build first" >&2; exit 2; }
if [ -z "${THUNDER_CUDA_DRIVER_LIBRARY:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libcuda.so.1 '; then
  export THUNDER_CUDA_DRIVER_LIBRARY="$build/src/libthunder_cuda_emulator.so"
fi
printf '%-11s %-10s %9s %10s %10s %10s  %s\n' model epilogues launches "peak KiB" "eager KiB" "/eager" check
# The transformers again with bf16 weights (model.to(torch.bfloat16) before export): where
# linear and addmm upcast to f32 to round once, and the fold reads the weights as stored.
low=$(mktemp -d)
trap 'rm -rf "$low"' EXIT
python3 "$(dirname "$0")/../tests/models/export_transformers.py" --only gpt2,llama,bert \
  --dtype bf16 "$low" >/dev/null
# One row: model, epilogues on or off, then the run's JSON on stdin.
row() {
  python3 -c '
import json, sys
j = json.loads(sys.stdin.read().strip().splitlines()[-1])
peak, eager = j["peak_device_bytes"], j["eager_peak_bytes_measured"]
print("%-11s %-10s %9d %10.1f %10.1f %10.3f  %s" % (sys.argv[1], sys.argv[2], j["launches"],
      peak / 1024, eager / 1024, peak / eager, "pass" if j["pass"] else "RESULT CHECK FAILED"))
' "$1" "$([ "$2" = 1 ] && echo on || echo off)"
}
for m in mlp attention gpt2 llama bert gpt2_bf16 llama_bf16 bert_bf16; do
  dir=$models
  case $m in *_bf16) dir=$low ;; esac
  [ -f "$dir/$m.pt2" ] || continue
  for on in 0 1; do
    THUNDER_CUDA_MATMUL_EPILOGUES=$on "$run" "$dir/$m.pt2" --inputs "$dir/$m.io.json" \
      --backend cuda --json 2>/dev/null | row "$m" "$on"
  done
done
echo "device: $("$run" --list-devices 2>/dev/null | grep -m1 -i cuda || echo "${THUNDER_CUDA_DRIVER_LIBRARY:-the NVIDIA driver}")"

echo
echo "spirv (weights resident; launches are dispatches):"
printf '%-11s %-10s %9s %10s %10s %10s  %s\n' model epilogues launches "peak KiB" "eager KiB" "/eager" check
for m in mlp attention gpt2 llama bert gpt2_bf16 llama_bf16 bert_bf16; do
  dir=$models
  case $m in *_bf16) dir=$low ;; esac
  [ -f "$dir/$m.pt2" ] || continue
  for on in 0 1; do
    OMP_NUM_THREADS=1 THUNDER_VK_RESIDENT_WEIGHTS=1 THUNDER_VK_MATMUL_EPILOGUES=$on "$run" \
      "$dir/$m.pt2" --inputs "$dir/$m.io.json" --backend spirv --json 2>/dev/null | row "$m" "$on"
  done
done
echo "device: $("$run" --list-devices 2>/dev/null | grep -m1 -i -v cuda | sed 's/^ *//')"
