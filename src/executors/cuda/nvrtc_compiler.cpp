#include "thunder/executors/cuda/nvrtc_compiler.h"

#include "cuda_api.h"
#include "dynamic_library.h"
#include "thunder/core/cache_files.h"
#include "thunder/core/error.h"

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>
#include <sstream>

namespace thunder::cuda {

struct NvrtcCompiler::Api : api::NvrtcApi {};

namespace {

std::vector<std::string> nvrtc_candidates() {
  return cuda_library_candidates("THUNDER_NVRTC_LIBRARY",
                                 {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"});
}

// NVRTC opens libnvrtc-builtins by soname at compile time; where it lives beside libnvrtc
// but off the loader's path (a pip wheel), load it now so that lookup finds it.
void preload_builtins(const std::string& nvrtc_path) {
  namespace fs = std::filesystem;
  if (nvrtc_path.empty()) return;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(nvrtc_path).parent_path(), ec)) {
    const std::string file = entry.path().filename().string();
    if (file.rfind("libnvrtc-builtins.so.", 0) == 0) {
      ::dlopen(entry.path().c_str(), RTLD_NOW | RTLD_GLOBAL);
    }
  }
}

std::string numbered(const std::string& source) {
  std::ostringstream out;
  std::istringstream in(source);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    out << (n < 10 ? "   " : n < 100 ? "  " : " ") << n << "| " << line << "\n";
  }
  return out.str();
}

} // namespace

std::string GpuArch::name() const {
  return str("sm_", major, minor);
}

GpuArch GpuArch::parse(const std::string& text) {
  std::string digits = text;
  if (digits.rfind("sm_", 0) == 0) digits = digits.substr(3);
  // "9.0", "10.0", "12.1": major and one minor digit.
  if (const auto dot = digits.find('.'); dot != std::string::npos && dot + 2 == digits.size()) {
    digits.erase(dot, 1);
  }
  const bool ok = (digits.size() == 2 || digits.size() == 3) &&
                  std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!ok) {
    throw ArgumentError(str("cuda: '", text, "' is not a GPU architecture (write sm_80, 90 or 9.0)"));
  }
  const int number = std::stoi(digits);
  return {number / 10, number % 10};
}

NvrtcCompiler::NvrtcCompiler(std::string cache_dir) : api_(std::make_unique<Api>()) {
  library_ = std::make_unique<DynamicLibrary>(
      "NVRTC (libnvrtc)", nvrtc_candidates(),
      "Install the CUDA toolkit or `pip install nvidia-cuda-nvrtc`, or point "
      "THUNDER_NVRTC_LIBRARY at libnvrtc.so");
  preload_builtins(library_->path());
  const DynamicLibrary& lib = *library_;
  lib.bind(api_->nvrtcVersion, "nvrtcVersion");
  lib.bind(api_->nvrtcGetNumSupportedArchs, "nvrtcGetNumSupportedArchs");
  lib.bind(api_->nvrtcGetSupportedArchs, "nvrtcGetSupportedArchs");
  lib.bind(api_->nvrtcGetErrorString, "nvrtcGetErrorString");
  lib.bind(api_->nvrtcCreateProgram, "nvrtcCreateProgram");
  lib.bind(api_->nvrtcDestroyProgram, "nvrtcDestroyProgram");
  lib.bind(api_->nvrtcCompileProgram, "nvrtcCompileProgram");
  lib.bind(api_->nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize");
  lib.bind(api_->nvrtcGetProgramLog, "nvrtcGetProgramLog");
  lib.bind(api_->nvrtcGetCUBINSize, "nvrtcGetCUBINSize");
  lib.bind(api_->nvrtcGetCUBIN, "nvrtcGetCUBIN");
  lib.bind(api_->nvrtcGetPTXSize, "nvrtcGetPTXSize");
  lib.bind(api_->nvrtcGetPTX, "nvrtcGetPTX");
  if (api_->nvrtcVersion(&major_, &minor_) != api::NVRTC_SUCCESS) {
    throw BackendError(str("cuda: nvrtcVersion failed in ", library_->path()));
  }
  int count = 0;
  if (api_->nvrtcGetNumSupportedArchs(&count) == api::NVRTC_SUCCESS && count > 0) {
    archs_.resize(static_cast<std::size_t>(count));
    api_->nvrtcGetSupportedArchs(archs_.data());
    std::sort(archs_.begin(), archs_.end());
  }
  if (archs_.empty()) {
    throw BackendError(str("cuda: NVRTC ", version(), " at ", library_->path(),
                           " reports no supported GPU architecture"));
  }
  cache_dir_ = cache_dir.empty() ? kernel_cache_directory("cuda") : std::move(cache_dir);
}

NvrtcCompiler::~NvrtcCompiler() = default;

std::string NvrtcCompiler::version() const {
  return str(major_, ".", minor_);
}

const std::string& NvrtcCompiler::library_path() const {
  return library_->path();
}

std::shared_ptr<const CompiledCode> NvrtcCompiler::compile(const std::string& source,
                                                           const std::string& name, GpuArch arch,
                                                           bool use_disk_cache) {
  // CUBIN for an arch NVRTC knows; PTX of the newest one below it otherwise.
  const int wanted = arch.number();
  if (wanted < archs_.front()) {
    throw ArgumentError(str("cuda: ", arch.name(), " is older than NVRTC ", version(),
                            " supports (oldest: sm_", archs_.front(), ")"));
  }
  const bool cubin = std::find(archs_.begin(), archs_.end(), wanted) != archs_.end();
  int target = wanted;
  if (!cubin) {
    target = *std::prev(std::upper_bound(archs_.begin(), archs_.end(), wanted));
  }
  const std::string arch_option =
      str("--gpu-architecture=", cubin ? "sm_" : "compute_", target);
  const std::vector<std::string> options{arch_option, "--std=c++17", "-default-device"};
  std::string key_text = str("nvrtc ", version(), "\n");
  for (const std::string& o : options)
    key_text += o + "\n";
  const std::string full_key = key_text + source;
  const std::string key = stable_hash(full_key);
  const std::string extension = cubin ? "cubin" : "ptx";

  {
    const std::lock_guard lock(mutex_);
    if (const auto it = memory_.find(full_key); it != memory_.end()) {
      ++memory_hits_;
      return it->second;
    }
    if (std::optional<std::string> image =
            use_disk_cache ? read_keyed_cache_file(cache_dir_, full_key, extension) : std::nullopt) {
      auto code = std::make_shared<CompiledCode>();
      code->image = std::move(*image);
      code->is_cubin = cubin;
      code->arch = {target / 10, target % 10};
      code->key = key;
      code->from_disk = true;
      ++disk_hits_;
      memory_.insert_or_assign(full_key, code);
      return code;
    }
  }

  api::nvrtcProgram program = nullptr;
  const std::string file = name + ".cu";
  if (const api::nvrtcResult rc =
          api_->nvrtcCreateProgram(&program, source.c_str(), file.c_str(), 0, nullptr, nullptr);
      rc != api::NVRTC_SUCCESS) {
    throw BackendError(str("cuda: nvrtcCreateProgram(", file, ") failed: ",
                           api_->nvrtcGetErrorString(rc)));
  }
  // Destroys the program however this function leaves.
  struct ProgramGuard {
    const Api& api;
    api::nvrtcProgram& program;
    ~ProgramGuard() { api.nvrtcDestroyProgram(&program); }
  } guard{*api_, program};
  std::vector<const char*> option_pointers;
  for (const std::string& o : options)
    option_pointers.push_back(o.c_str());
  const api::nvrtcResult rc = api_->nvrtcCompileProgram(
      program, static_cast<int>(option_pointers.size()), option_pointers.data());
  std::size_t log_size = 0;
  std::string log;
  if (api_->nvrtcGetProgramLogSize(program, &log_size) == api::NVRTC_SUCCESS && log_size > 1) {
    log.resize(log_size);
    api_->nvrtcGetProgramLog(program, log.data());
    log.resize(log_size - 1);
  }
  if (rc != api::NVRTC_SUCCESS) {
    std::string saved;
    try {
      saved = save_cache_file("cuda", name + "-" + key + ".cu", source, {});
    } catch (const BackendError& e) {
      saved = str("(not saved: ", e.what(), ")");
    }
    throw ShaderError(str("cuda: NVRTC ", version(), " could not compile kernel ", name, " for ",
                          arch_option.substr(arch_option.find('=') + 1), ": ",
                          api_->nvrtcGetErrorString(rc), "\n", log, "\nsource (saved to ", saved,
                          "):\n", numbered(source)));
  }
  auto code = std::make_shared<CompiledCode>();
  std::size_t size = 0;
  const api::nvrtcResult size_rc = cubin ? api_->nvrtcGetCUBINSize(program, &size)
                                         : api_->nvrtcGetPTXSize(program, &size);
  if (size_rc == api::NVRTC_SUCCESS && size > 0) {
    code->image.resize(size);
    const api::nvrtcResult image_rc = cubin ? api_->nvrtcGetCUBIN(program, code->image.data())
                                            : api_->nvrtcGetPTX(program, code->image.data());
    if (image_rc != api::NVRTC_SUCCESS) code->image.clear();
  }
  if (code->image.empty()) {
    throw BackendError(str("cuda: NVRTC ", version(), " compiled kernel ", name,
                           " but returned no ", cubin ? "CUBIN" : "PTX"));
  }
  code->is_cubin = cubin;
  code->arch = {target / 10, target % 10};
  code->key = key;
  code->log = std::move(log);

  const std::lock_guard lock(mutex_);
  ++compiles_;
  write_keyed_cache_file("cuda", cache_dir_, full_key, extension, code->image);
  memory_.insert_or_assign(full_key, code);
  return code;
}

std::size_t NvrtcCompiler::memory_hits() const {
  const std::lock_guard lock(mutex_);
  return memory_hits_;
}

std::size_t NvrtcCompiler::disk_hits() const {
  const std::lock_guard lock(mutex_);
  return disk_hits_;
}

std::size_t NvrtcCompiler::compiles() const {
  const std::lock_guard lock(mutex_);
  return compiles_;
}

} // namespace thunder::cuda
