#!/usr/bin/env bash
# Capture benchmark: exports the benchmark models and runs thunder-bench-capture on each
# (and on the test suite's small models when they exist). Figures go to stdout; record
# them in docs/benchmarks.md with the machine they came from.
#   bench/run_capture.sh [BUILD_DIR]     (default build/default, built by tools/dev.sh)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build/default}
models=$build/bench-models
bench=$build/bench/thunder-bench-capture
[[ -x $bench ]] || { echo "run_capture.sh: $bench is not built (cmake --build --preset default)" >&2; exit 1; }
python3 "$root/bench/export_bench_models.py" "$models"
python3 "$root/tests/models/export_transformers.py" --only gpt2,llama,bert "$models"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; torch $(python3 -c 'import torch; print(torch.__version__)')"
for m in gpt2_12l gpt2 llama bert; do
  echo
  "$bench" "$models/$m.pt2" --inputs "$models/$m.io.json"
done
