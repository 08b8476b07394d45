#!/usr/bin/env bash
# Device memory of the test models on the spirv and cuda backends against eager PyTorch's, measured:
# for each model, with weights uploaded per call (THUNDER_VK_RESIDENT_WEIGHTS=0) and kept on
# the device (=1, the default on discrete GPUs), the peak of a warm call and of the first
# (both from the arena a dry run planned before the first), the arena, and what eager PyTorch holds running
# the same program op by op on the CPU allocator (CompiledModule::measure_eager_peak_bytes),
# beside the trace's lower-bound estimate. Run from the project root after a build:
#   bash bench/device_memory.sh [BUILD_DIR] [MODELS_DIR]
# (defaults: build/default, and its tests/models). The device is whichever THUNDER_VK_DEVICE
# picks (lavapipe on the CI machine); the table names it.
set -euo pipefail
build=${1:-build/default}
models=${2:-$build/tests/models}
run="$build/tools/thunder-run"
[ -x "$run" ] || { echo "no $run: build first (tools/dev.sh build)" >&2; exit 2; }
printf '%-10s %-8s %12s %12s %12s %14s %14s %8s  %s\n' model weights "peak KiB" "first KiB" \
  "arena KiB" "eager KiB" "estimate KiB" "/eager" device
for m in mlp cnn attention embed gpt2 llama bert; do
  [ -f "$models/$m.pt2" ] || continue
  for resident in 0 1; do
    THUNDER_VK_RESIDENT_WEIGHTS=$resident THUNDER_BACKEND=spirv \
      "$run" "$models/$m.pt2" --inputs "$models/$m.io.json" --json |
      python3 -c '
import json, sys
j = json.loads(sys.stdin.read().strip().splitlines()[-1])
kib = lambda b: b / 1024
peak, eager = j["peak_device_bytes"], j["eager_peak_bytes_measured"]
print("%-10s %-8s %12.1f %12.1f %12.1f %14.1f %14.1f %8.3f  %s%s" % (sys.argv[1], sys.argv[2],
      kib(peak), kib(j["first_call_peak_device_bytes"]), kib(j["planned_bytes"]), kib(eager),
      kib(j["eager_peak_bytes_estimate"]),
      peak / eager, j["device"], "" if j["pass"] else "  (RESULT CHECK FAILED)"))
' "$m" "$([ "$resident" = 1 ] && echo resident || echo per-call)"
  done
done

# The cuda backend, kernel by kernel and as a CUDA graph (THUNDER_CUDA_GRAPHS=1: the third
# call, a replay), with weights and inputs on the CPU. Where there is no NVIDIA driver, on
# thunder's CUDA host emulator: its allocator and the graph's arena are thunder's own, so
# the bytes are what a GPU would hold; nothing here is a speed.
emulator="$build/src/libthunder_cuda_emulator.so"
if [ -z "${THUNDER_CUDA_DRIVER_LIBRARY:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libcuda.so.1 ' &&
   [ -f "$emulator" ]; then
  export THUNDER_CUDA_DRIVER_LIBRARY=$PWD/$emulator
fi
printf '\n%-10s %-8s %12s %12s %14s %8s  %s\n' model cuda "peak KiB" "arena KiB" "eager KiB" \
  "/eager" device
for m in mlp cnn attention embed gpt2 llama bert; do
  [ -f "$models/$m.pt2" ] || continue
  for graphs in 0 1; do
    THUNDER_CUDA_GRAPHS=$graphs THUNDER_BACKEND=cuda \
      "$run" "$models/$m.pt2" --inputs "$models/$m.io.json" --repeat 2 --json 2>/dev/null |
      python3 -c '
import json, sys
lines = sys.stdin.read().strip().splitlines()
if not lines:
    print("%-10s %-8s  (cuda did not run: thunder-run printed nothing)" % (sys.argv[1], sys.argv[2])); sys.exit()
j = json.loads(lines[-1])
kib = lambda b: b / 1024
peak, eager = j.get("peak_device_bytes", 0), j.get("eager_peak_bytes_measured", 0)
note = "" if j["pass"] else "  (RESULT CHECK FAILED)"
if sys.argv[2] == "graph" and j.get("cuda_graph") != "replayed":
    note += "  (CUDA graph: %s)" % j.get("cuda_graph")
print("%-10s %-8s %12.1f %12.1f %14.1f %8.3f  %s%s" % (sys.argv[1], sys.argv[2], kib(peak),
      kib(j.get("planned_bytes", 0)), kib(eager), peak / eager if eager else 0, j["device"], note))
' "$m" "$([ "$graphs" = 1 ] && echo graph || echo kernels)"
  done
done
