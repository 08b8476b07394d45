# Sourced by the GPU machine scripts (gpu_check.sh, gpu_gpt2.sh, conformance_gpu.sh) in the
# project root, with $out (the results folder) and $budget (seconds the script may take)
# set. Gives step, within and configure_gpu_build, and sets up the carried dependencies.

mkdir -p "$out"
t0=$(date +%s)
jobs=$(nproc)
step() { echo "== [$(( $(date +%s) - t0 )) s] $*"; }
# within LIMIT CMD...: CMD under a timeout of LIMIT seconds, or of what the budget has left
# less $reserve (default 20) for the steps after it; a step with under 10 s is skipped.
within() {
  local limit=$1 left
  shift
  left=$(( budget - ($(date +%s) - t0) - ${reserve:-20} ))
  (( left < limit )) && limit=$left
  if (( limit < 10 )); then echo "skipped, the budget is spent: $*"; return 124; fi
  timeout -k 5 "$limit" "$@"
}

source .debs/setup.sh > "$out/build.log" 2>&1
# The validation layer comes from .debs too, unpacked into /opt/deps.
export VK_LAYER_PATH=$THUNDER_DEPS/usr/share/vulkan/explicit_layer.d
# The environment's CMAKE_PREFIX_PATH is split at ':' by CMake, and setup.sh joins it with
# ';': it is given on the command line instead, where ';' separates. Debian's .pc files say
# prefix=/usr: the sysroot puts them under /opt/deps.
export PKG_CONFIG_PATH=$THUNDER_DEPS/usr/lib/x86_64-linux-gnu/pkgconfig PKG_CONFIG_SYSROOT_DIR=$THUNDER_DEPS
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' | tee -a "$out/gpu.txt"

# configure_gpu_build [CMAKE ARGS...]: build/gpu against the machine's LibTorch, in Release;
# sets spirv=1 where the Vulkan stack was found.
configure_gpu_build() {
  step configure
  cmake -S . -B build/gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$CMAKE_PREFIX_PATH" \
    -DTHUNDER_WITH_PYTHON=OFF -DVulkan_LIBRARY=/usr/lib/x86_64-linux-gnu/libvulkan.so.1 \
    -DVulkan_INCLUDE_DIR="$THUNDER_DEPS/usr/include" -DVulkan_GLSLC_EXECUTABLE="$THUNDER_DEPS/usr/bin/glslc" \
    "$@" >> "$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
  grep -E "cuda executor|LibTorch|Vulkan" "$out/build.log"
  spirv=
  grep -qE "Vulkan stack +found" "$out/build.log" && spirv=1
}

# start_torch_gpt2: exports GPT-2 small in bf16 to $work/gpt2 and compiles it with
# torch.compile in the background (bench/gpt2_bf16_gpu.py); its timing waits for $work/go.
start_torch_gpt2() {
  step "GPT-2 small bf16: export and torch.compile in the background (timed later, alone)"
  rm -f "$work/go"
  nice -n 10 python3 bench/gpt2_bf16_gpu.py "$work/gpt2" --go "$work/go" > "$work/gpt2.log" 2>&1 &
  gpt2_pid=$!
  gpt2=$work/gpt2/gpt2_small_bf16.pt2
}

# time_thunder MODEL RESERVE LIMIT BACKEND... [-- THUNDER-RUN ARGS]: thunder-run on each
# backend (cuda+graphs: cuda with THUNDER_CUDA_GRAPHS=1), 50 calls with the model's weights
# on the GPU; one line each, the whole output appended to runs.log; status=1 on a failure.
time_thunder() {
  local model=$1 keep=$2 limit=$3 b
  shift 3
  local backends=() args=()
  while (( $# )) && [[ $1 != -- ]]; do backends+=("$1"); shift; done
  (( $# )) && { shift; args=("$@"); }
  for b in "${backends[@]}"; do
    THUNDER_CUDA_GRAPHS=$([[ $b == cuda+graphs ]] && echo 1 || echo 0) reserve=$keep within "$limit" \
      ./build/gpu/tools/thunder-run "$model" "${args[@]}" --backend "${b%+graphs}" --device cuda \
      --repeat 50 > "$work/run.tmp" 2>&1 || status=1
    echo "$(basename "$model" .pt2) $b: $(grep -E 'time per call' "$work/run.tmp")" \
      "$(grep -E 'error|fallback ops|CUDA graph|thunder-run:' "$work/run.tmp" | tr '\n' ' ')"
    cat "$work/run.tmp" >> "$out/runs.log"
  done
}
