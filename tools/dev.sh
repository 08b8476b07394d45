#!/usr/bin/env bash
# The two commands of README.md.
#   tools/dev.sh main   install what is missing, build, run the main job: export a small
#                       GPT-2 (transformers, random weights) and run it with thunder-run
#   tools/dev.sh test   install what is missing, build, run every test: the default build
#                       (with the thunder_cpp pytest suite), then the ASan+UBSan build; ends
#                       with one summary line
# Both are safe to run again: installs and builds are incremental (ccache when present).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

usage() { echo "usage: tools/dev.sh main|test" >&2; exit 2; }
[[ $# -eq 1 ]] || usage

step() { printf '\n== %s\n' "$*"; }

build() { # preset
  step "configure and build ($1)"
  # THUNDER_WITH_PYTHON=ON also for build directories configured when it defaulted to OFF
  # (the sanitizer build leaves the binding out by itself).
  cmake --preset "$1" -DTHUNDER_WITH_PYTHON=ON >"build/configure-$1.log" 2>&1 ||
    { cat "build/configure-$1.log"; exit 1; }
  sed -n '/thunder-cpp .* configuration/,/sanitizers/p' "build/configure-$1.log"
  cmake --build --preset "$1" -- -j"$(nproc)" | grep -v '^\[[0-9]*/[0-9]*\] ' || true
  # grep's status says nothing; the build's own status is what matters.
  [[ ${PIPESTATUS[0]} -eq 0 ]] || { echo "build ($1) failed" >&2; exit 1; }
}

run_tests() { # preset
  step "tests ($1)"
  rm -f "build/$1-retried.xml"
  ctest --preset "$1" -j"$(nproc)" --output-junit "$root/build/$1-tests.xml" && return
  # LeakSanitizer's stop-the-world tracer can crash at exit after a test has passed
  # ("Tracer caught signal 11"); that says nothing about the test. The known cause, GCC
  # 12's __tls_get_addr interceptor recording a garbage dynamic-TLS range whenever a block
  # happens to start 16 bytes into a page, is turned off in the asan test preset
  # (intercept_tls_get_addr=0). Should the tracer crash anyway, those tests, and only
  # when they are all that failed, run once more; a leak report, a failed assertion or a
  # second crash still fails the run.
  if tools/test_summary.py --only-tracer-crashes "build/$1-tests.xml"; then
    step "tests ($1): LeakSanitizer's tracer crashed at exit; running those tests again"
    ctest --preset "$1" --rerun-failed --output-junit "$root/build/$1-retried.xml" || failed=1
  else
    failed=1
  fi
}

mkdir -p build
step "bootstrap"
tools/bootstrap.sh

case "$1" in
main)
  build default
  step "main job: export GPT-2 (transformers, random weights, torch.export)"
  python3 tests/models/export_transformers.py --only gpt2 build/default/models
  step "main job: thunder-run build/default/models/gpt2.pt2"
  build/default/tools/thunder-run build/default/models/gpt2.pt2 \
    --inputs build/default/models/gpt2.io.json
  ;;
test)
  failed=0
  build default
  # The default build makes the thunder_cpp package; ctest runs its pytest suite
  # (thunder_cpp_pytest). A build that left it out would skip that suite silently.
  ls build/default/python/thunder_cpp/_C.*.so >/dev/null 2>&1 ||
    { echo "the thunder_cpp Python binding was not built: see build/configure-default.log" >&2; exit 1; }
  run_tests default
  build asan
  # The asan test preset leaves out the cuda op database sweep (CudaOpDatabase): it
  # exercises NVRTC on thousands of kernels, not the memory safety of thunder's code.
  run_tests asan
  tools/test_summary.py build/default-tests.xml build/asan-tests.xml
  exit "$failed"
  ;;
*) usage ;;
esac
