#!/usr/bin/env bash
# The cuda executor on a lent NVIDIA GPU machine (H100/H200: Ubuntu, CUDA, LibTorch 2.11 with
# CUDA, no Vulkan and none of our build dependencies). Run from the project root with the
# device tool, carrying .gl, .debs (../shared/gpu/fetch-debs.sh) and the models exported
# here (build/default/tests/models, and build/default/tests/models_bf16 from
# `python3 tests/models/export_transformers.py --only gpt2,llama,bert --dtype bf16
# build/default/tests/models_bf16`, where present):
#   bash bench/gpu_check.sh            # results under $OUT (the device tool's) or bench/results/gpu
# It builds against the machine's LibTorch, then, each step logged to its own file:
#  1. thunder_cuda_tests: the op database on cuda (every sample run on the GPU and compared
#     with the float64 reference) and the exported models (cuda vs the torch backend);
#  2. thunder-run on GPT-2, Llama and BERT with --backend cuda --strict, and GPT-2 on spirv
#     through NVIDIA's Vulkan driver: the same trace on two GPU backends of one card;
#  3. compute-sanitizer memcheck over the models' GPU runs.
set -uo pipefail
out=${OUT:-bench/results/gpu}
status=0 # set to 1 by any failed step; the script's exit status
mkdir -p "$out"
jobs=$(nproc)
step() { echo "== $*"; }

source .debs/setup.sh > "$out/build.log" 2>&1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"

step configure
cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTHUNDER_BUILD_BENCH=ON \
  -DTHUNDER_WITH_PYTHON=OFF -DVulkan_LIBRARY=/usr/lib/x86_64-linux-gnu/libvulkan.so.1 \
  -DVulkan_INCLUDE_DIR="$THUNDER_DEPS/usr/include" -DVulkan_GLSLC_EXECUTABLE="$THUNDER_DEPS/usr/bin/glslc" \
  >> "$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
grep -E "cuda executor|LibTorch|Vulkan" "$out/build.log"
step build
start=$(date +%s)
cmake --build build/gpu -j"$jobs" --target thunder_cuda_tests thunder-run thunder-bench-cuda-kernels >> "$out/build.log" 2>&1 \
  || { grep -E "error|FAILED" "$out/build.log" | head -30; exit 1; }
echo "built in $(( $(date +%s) - start )) s"

models=$PWD/build/gpu/tests/models
mkdir -p "$models" && cp -r build/default/tests/models/. "$models/"
[ -d build/default/tests/models_bf16 ] && cp -r build/default/tests/models_bf16/. "$models/"
export THUNDER_TEST_MODELS=$models

step "thunder_cuda_tests (op database and models on the GPU)"
(cd build/gpu && THUNDER_EXPECT_DEVICE=1 ctest -j"$jobs" -V -R 'Cuda|GpuArch|Nvrtc' -E '^Emulated\.' -FA '.*' --timeout 400 \
   > "$out/cuda_tests.log" 2>&1) || status=1
grep -E "tests passed|tests failed|Total Test time" "$out/cuda_tests.log"
grep -E "\((Failed|Timeout|Exception|SEGFAULT)\)" "$out/cuda_tests.log" | head -20
grep -E "\[cuda\] [a-z0-9_]+ on |regions \(|no GPU run" "$out/cuda_tests.log" | sed 's/^[0-9]*: //' | head -30
echo "ops run and checked on the device: $(grep -c 'run and checked on NVIDIA' "$out/cuda_tests.log")"

step "generated kernels against a hand-written copy (bandwidth)"
./build/gpu/bench/thunder-bench-cuda-kernels 2>&1 | tee -a "$out/runs.log"

step "models with weights and inputs on the GPU (--device cuda): cuda (kernel by kernel, and as CUDA graphs) vs torch"
for m in gpt2 llama bert; do
  for b in cuda cuda+graphs torch; do
    THUNDER_CUDA_GRAPHS=$([[ $b == cuda+graphs ]] && echo 1 || echo 0) \
      ./build/gpu/tools/thunder-run "$models/$m.pt2" --inputs "$models/$m.io.json" --backend ${b%+graphs} \
      --device cuda --repeat 50 > "$out/run.tmp" 2>&1 || status=1
    echo "$m $b: $(grep -E 'time per call|error:' "$out/run.tmp" | head -1) $(grep -E 'CUDA graph|thunder-run:' "$out/run.tmp" | tr '\n' ' ')"
    cat "$out/run.tmp" >> "$out/runs.log"
  done
done

step "bf16 models on the GPU: cuBLASLt epilogues off (f32 products of upcast weights) and on, vs torch"
for m in gpt2_bf16 llama_bf16 bert_bf16; do
  [ -f "$models/$m.pt2" ] || { echo "$m: not exported (see the header)"; continue; }
  for b in cuda-epilogues-off cuda torch; do
    THUNDER_CUDA_MATMUL_EPILOGUES=$([[ $b == cuda-epilogues-off ]] && echo 0 || echo 1) \
      ./build/gpu/tools/thunder-run "$models/$m.pt2" --inputs "$models/$m.io.json" \
      --backend ${b%-epilogues-off} --device cuda --repeat 50 > "$out/run.tmp" 2>&1 || status=1
    echo "$m $b: $(grep -E 'time per call|error:' "$out/run.tmp" | head -1) $(grep -E 'thunder-run:' "$out/run.tmp")"
    cat "$out/run.tmp" >> "$out/runs.log"
  done
done

step "thunder-run on cuda (CPU tensors copied) and on spirv (NVIDIA Vulkan)"
for m in gpt2 llama bert; do
  ./build/gpu/tools/thunder-run "$models/$m.pt2" --inputs "$models/$m.io.json" --backend cuda \
    --strict --repeat 20 > "$out/run.tmp" 2>&1 || status=1
  grep -E "executors|time per call|error|thunder-run:" "$out/run.tmp"; cat "$out/run.tmp" >> "$out/runs.log"
done
./build/gpu/tools/thunder-run "$models/gpt2.pt2" --inputs "$models/gpt2.io.json" --backend torch \
  --repeat 20 > "$out/run.tmp" 2>&1
grep -E "time per call|thunder-run:" "$out/run.tmp"; cat "$out/run.tmp" >> "$out/runs.log"
if cmake --build build/gpu -j"$jobs" --target thunder_spirv_torch_tests thunder-bench-spirv-kernels \
    >> "$out/build.log" 2>&1; then
  ./build/gpu/tools/thunder-run "$models/gpt2.pt2" --inputs "$models/gpt2.io.json" --backend spirv \
    --strict --repeat 20 > "$out/run.tmp" 2>&1
  grep -E "device|executors|time per call|error|thunder-run:" "$out/run.tmp"; cat "$out/run.tmp" >> "$out/runs.log"
  step "generated GLSL kernels against a hand-written copy on NVIDIA Vulkan (bandwidth)"
  ./build/gpu/bench/thunder-bench-spirv-kernels 2>&1 | tee -a "$out/runs.log"
fi

step "torch's own NaN rules here (the clamp sample)"
python3 -c "import torch; x=torch.tensor([float('nan'),1.,-2.,float('inf')]); print(torch.clamp(x,min=float('nan')), torch.sign(x))"
step "compute-sanitizer memcheck (models on cuda)"
if [ "${THUNDER_GPU_MEMCHECK:-1}" != 0 ] && command -v compute-sanitizer > /dev/null; then
  timeout 240 compute-sanitizer --tool memcheck --error-exitcode 9 \
    ./build/gpu/tests/thunder_cuda_tests --gtest_filter='Models/CudaModels.RunsOnTheDevice*' \
    > "$out/memcheck.log" 2>&1
  echo "memcheck exit $?"; grep -E "ERROR SUMMARY|PASSED|FAILED" "$out/memcheck.log" | head -5
fi
rm -f "$out/run.tmp"
exit "$status"
