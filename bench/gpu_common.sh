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
