#!/usr/bin/env bash
# Installs what thunder-cpp needs to build and test on Debian 12/13:
#   (a) apt packages: Vulkan loader + headers, lavapipe, shaderc/glslc, SPIRV-Tools, volk,
#       GoogleTest, nlohmann-json, and optionally ccache, the Vulkan validation layers and
#       chromium (the conformance HTML report is checked in it);
#   (b) cmake and ninja from pip (if not already on PATH);
#   (c) torch 2.13.0 (+cpu build) from pip, for the Python reference tests;
#   (d) transformers (pinned, torch left as it is) from pip, for the exported test models;
#   (e) pybind11 and pytest from pip, for the thunder_cpp Python package and its tests;
#   (f) NVRTC (the nvidia-cuda-nvrtc wheel, pinned) from pip, so the cuda executor's kernels
#       are compiled in the tests on a machine without a GPU.
# It does not configure or build anything and exports nothing.
# Idempotent: when everything is present it prints a single line and returns in well under 3 s.
#
# Environment:
#   THUNDER_BOOTSTRAP_SKIP_APT=1   skip the apt step (machines without apt).
set -euo pipefail

TORCH_VERSION="2.13.0"
TORCH_LOCAL="+cpu"
TRANSFORMERS_VERSION="5.23.0"

installed_any=0
log() { printf 'bootstrap: %s\n' "$*"; }
warn() { printf 'bootstrap: warning: %s\n' "$*" >&2; }
die() {
  printf 'bootstrap: error: %s\n' "$*" >&2
  exit 1
}

LOG_FILE="$(mktemp -t thunder-bootstrap.XXXXXX.log)"
trap 'rm -f "$LOG_FILE"' EXIT

# Runs a command with its output captured; on failure shows the tail of it and exits.
run_quiet() {
  if ! "$@" >"$LOG_FILE" 2>&1; then
    tail -n 40 "$LOG_FILE" >&2 || true
    die "command failed: $*"
  fi
}

# ---------------------------------------------------------------------------------------------
# (a) apt packages
# ---------------------------------------------------------------------------------------------
# Each logical dependency: "name|required-or-optional|candidate1 candidate2 ...".
# The first candidate that is installed satisfies it; otherwise the first candidate that
# `apt-cache policy` shows a Candidate for is installed.
# Note: Debian's "libvolk-dev"/"libvolk2-dev" are GNU Radio's VOLK, NOT the Vulkan meta-loader;
# never list them here.
APT_DEPS=(
  "vulkan-loader|required|libvulkan-dev"
  "lavapipe|required|mesa-vulkan-drivers"
  "glslc|required|glslc"
  "shaderc|required|libshaderc-dev"
  "spirv-tools|required|spirv-tools"
  "volk|required|libvulkan-volk-dev"
  "gtest|required|libgtest-dev googletest"
  "nlohmann-json|required|nlohmann-json3-dev"
  "pkg-config|required|pkg-config pkgconf"
  "ccache|optional|ccache"
  "validation-layers|optional|vulkan-validationlayers vulkan-validationlayers-dev"
  # thunder-conformance's HTML report is checked in headless Chromium (conformance_html_in_chromium).
  "chromium|optional|chromium chromium-browser"
)

pkg_installed() {
  dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

pkg_has_candidate() {
  local cand
  cand="$(apt-cache policy "$1" 2>/dev/null | awk '/^[[:space:]]*Candidate:/ {print $2; exit}')"
  [[ -n "$cand" && "$cand" != "(none)" ]]
}

apt_step() {
  if [[ "${THUNDER_BOOTSTRAP_SKIP_APT:-0}" == "1" ]]; then
    log "skipped apt packages (THUNDER_BOOTSTRAP_SKIP_APT=1)"
    return 0
  fi
  command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 ||
    die "apt/dpkg not found; install the dependencies by hand and set THUNDER_BOOTSTRAP_SKIP_APT=1"

  local missing=() entry name kind cands c found
  for entry in "${APT_DEPS[@]}"; do
    IFS='|' read -r name kind cands <<<"$entry"
    found=0
    for c in $cands; do
      if pkg_installed "$c"; then
        found=1
        break
      fi
    done
    ((found)) || missing+=("$entry")
  done
  ((${#missing[@]} == 0)) && return 0

  local sudo=()
  if [[ "$(id -u)" != "0" ]]; then
    command -v sudo >/dev/null 2>&1 || die "not root and sudo not available; cannot apt-get install"
    sudo=(sudo)
  fi

  log "running apt-get update"
  run_quiet "${sudo[@]}" apt-get update

  local to_install=() chosen
  for entry in "${missing[@]}"; do
    IFS='|' read -r name kind cands <<<"$entry"
    chosen=""
    for c in $cands; do
      if pkg_has_candidate "$c"; then
        chosen="$c"
        break
      fi
    done
    if [[ -z "$chosen" ]]; then
      if [[ "$kind" == "optional" ]]; then
        warn "no apt candidate for optional dependency '$name' (tried: $cands); continuing"
        continue
      fi
      die "no apt candidate for required dependency '$name' (tried: $cands)"
    fi
    log "installing apt package $chosen (for $name)"
    to_install+=("$chosen")
  done
  ((${#to_install[@]} == 0)) && return 0

  run_quiet "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${to_install[@]}"
  installed_any=1
}

# ---------------------------------------------------------------------------------------------
# (b) cmake + ninja (pip, never apt)
# ---------------------------------------------------------------------------------------------
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found"
PIP=("$PYTHON" -m pip)

build_tools_step() {
  # `--version` rather than `command -v`: a pyenv shim may exist without the tool behind it.
  local tool missing=()
  for tool in cmake ninja; do
    "$tool" --version >/dev/null 2>&1 || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) && return 0
  for tool in "${missing[@]}"; do
    log "installing $tool (pip)"
  done
  run_quiet "${PIP[@]}" install "${missing[@]}"
  command -v pyenv >/dev/null 2>&1 && pyenv rehash >/dev/null 2>&1 || true
  installed_any=1
}

# ---------------------------------------------------------------------------------------------
# (c) torch 2.13.0 (+cpu) — never any other version
# ---------------------------------------------------------------------------------------------
torch_ok() {
  "$PYTHON" - "$TORCH_VERSION$TORCH_LOCAL" <<'EOF' >/dev/null 2>&1
import sys
import torch
sys.exit(0 if torch.__version__ == sys.argv[1] else 1)
EOF
}

torch_step() {
  torch_ok && return 0
  log "installing torch==$TORCH_VERSION$TORCH_LOCAL (pip)"
  run_quiet "${PIP[@]}" install "torch==$TORCH_VERSION$TORCH_LOCAL"
  local listed
  listed="$("${PIP[@]}" list 2>/dev/null | awk '$1 == "torch" {print $2}')"
  [[ "$listed" == "$TORCH_VERSION$TORCH_LOCAL" ]] ||
    die "pip list shows torch '$listed', expected $TORCH_VERSION$TORCH_LOCAL"
  torch_ok || die "import torch does not report $TORCH_VERSION$TORCH_LOCAL after install"
  installed_any=1
}

# ---------------------------------------------------------------------------------------------
# (d) transformers, pinned; torch is pinned in the same install so pip never replaces it
# ---------------------------------------------------------------------------------------------
transformers_ok() {
  # importlib.metadata, not `import transformers`: fast enough for the idempotent path.
  "$PYTHON" - "$TRANSFORMERS_VERSION" <<'EOF' >/dev/null 2>&1
import importlib.metadata, sys
sys.exit(0 if importlib.metadata.version("transformers") == sys.argv[1] else 1)
EOF
}

transformers_step() {
  transformers_ok && return 0
  log "installing transformers==$TRANSFORMERS_VERSION (pip)"
  run_quiet "${PIP[@]}" install "transformers==$TRANSFORMERS_VERSION" \
    "torch==$TORCH_VERSION$TORCH_LOCAL"
  torch_ok || die "installing transformers changed torch; expected $TORCH_VERSION$TORCH_LOCAL"
  transformers_ok || die "pip did not install transformers==$TRANSFORMERS_VERSION"
  installed_any=1
}

# ---------------------------------------------------------------------------------------------
# (e) pybind11 and pytest, for the thunder_cpp Python package (its binding and its tests)
# ---------------------------------------------------------------------------------------------
python_package_ok() {
  "$PYTHON" - <<'EOF' >/dev/null 2>&1
import importlib.metadata as m
for name in ("pybind11", "pytest"):
    m.version(name)
EOF
}

python_package_step() {
  python_package_ok && return 0
  log "installing pybind11 and pytest (pip)"
  run_quiet "${PIP[@]}" install "pybind11>=2.12" pytest "torch==$TORCH_VERSION$TORCH_LOCAL"
  torch_ok || die "installing pybind11/pytest changed torch; expected $TORCH_VERSION$TORCH_LOCAL"
  python_package_ok || die "pip did not install pybind11 and pytest"
  installed_any=1
}

# ---------------------------------------------------------------------------------------------
# (f) NVRTC for the cuda executor's compile-only tests (no driver, no GPU needed)
# ---------------------------------------------------------------------------------------------
NVRTC_VERSION=13.0.88
nvrtc_ok() {
  "$PYTHON" -c "import importlib.metadata as m; assert m.version('nvidia-cuda-nvrtc') == '$NVRTC_VERSION'" \
    >/dev/null 2>&1
}

nvrtc_step() {
  nvrtc_ok && return 0
  log "installing nvidia-cuda-nvrtc==$NVRTC_VERSION (pip)"
  run_quiet "${PIP[@]}" install --no-deps "nvidia-cuda-nvrtc==$NVRTC_VERSION"
  nvrtc_ok || die "pip did not install nvidia-cuda-nvrtc==$NVRTC_VERSION"
  installed_any=1
}

apt_step
build_tools_step
torch_step
transformers_step
python_package_step
nvrtc_step

if ((installed_any == 0)); then
  log "everything present"
fi
