// NvrtcCompiler: CUDA C++ source -> CUBIN for one GPU architecture (or PTX, when the
// device is newer than NVRTC knows), the cuda executor's compiler (CudaEmitter ->
// NvrtcCompiler -> CudaRuntime). NVRTC is opened at run time (dlopen), so it needs no
// driver and no GPU: CI compiles every generated kernel with it. Results are cached in
// memory and on disk (<cache dir>/<key>.cubin), keyed by a hash of the source, the
// architecture and NVRTC's version. A compile failure is a ShaderError carrying NVRTC's
// log, the numbered source and the path the source was saved to. Torch-free.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace thunder::cuda {

class DynamicLibrary;

/// A GPU architecture (compute capability): sm_80 is {8, 0}.
struct GpuArch {
  int major = 9;
  int minor = 0;
  /// "sm_90".
  std::string name() const;
  /// 90 for sm_90.
  int number() const { return major * 10 + minor; }
  /// "sm_90", "90", "9.0" or "sm_90a"-less forms; ArgumentError for anything else.
  static GpuArch parse(const std::string& text);
  bool operator==(const GpuArch&) const = default;
};

/// What NVRTC made of one source.
struct CompiledCode {
  std::string image;   ///< CUBIN bytes, or PTX text (with its terminating NUL).
  bool is_cubin = true;
  GpuArch arch;        ///< The architecture it was compiled for.
  std::string key;     ///< The cache key (hash of source, options and NVRTC version).
  std::string log;     ///< NVRTC's log (warnings), possibly empty.
  bool from_disk = false; ///< Read from the disk cache rather than compiled now.
};

class NvrtcCompiler {
public:
  /// Opens NVRTC: $THUNDER_NVRTC_LIBRARY if set, else libnvrtc by soname (CUDA 13, 12),
  /// the CUDA toolkit's lib64 and the pip wheel's directory found at configure time.
  /// BackendError naming every place tried when none loads. `cache_dir`: where compiled
  /// kernels are kept; empty: $THUNDER_CACHE_DIR/cuda when set, else no disk cache.
  explicit NvrtcCompiler(std::string cache_dir = {});
  ~NvrtcCompiler();
  NvrtcCompiler(const NvrtcCompiler&) = delete;
  NvrtcCompiler& operator=(const NvrtcCompiler&) = delete;

  /// "13.0".
  std::string version() const;
  /// The file NVRTC was loaded from.
  const std::string& library_path() const;
  /// The sm numbers NVRTC can make CUBIN for (75, 80, 86, 89, 90, ...).
  const std::vector<int>& supported_archs() const { return archs_; }

  /// Compiles `source` (whose entry point is `name`) for `arch`: CUBIN when NVRTC supports
  /// the arch, else PTX for the newest arch it supports below it (the driver JIT-compiles
  /// it). ShaderError with the log and source on failure; ArgumentError for an arch older
  /// than NVRTC supports. The disk cache is read only when `use_disk_cache` (a caller whose
  /// driver refused a cached image asks again without it) and only for an entry whose
  /// saved source is this source: a hash collision or a stale file is compiled afresh.
  std::shared_ptr<const CompiledCode> compile(const std::string& source, const std::string& name,
                                              GpuArch arch, bool use_disk_cache = true);

  std::size_t memory_hits() const;
  std::size_t disk_hits() const;
  std::size_t compiles() const;
  /// The disk cache directory, or empty when there is none.
  const std::string& cache_dir() const { return cache_dir_; }

private:
  struct Api;
  std::unique_ptr<DynamicLibrary> library_;
  std::unique_ptr<Api> api_;
  std::vector<int> archs_;
  int major_ = 0;
  int minor_ = 0;
  std::string cache_dir_;
  mutable std::mutex mutex_;
  /// By options, NVRTC version and the whole source (not a hash: a collision would launch
  /// another kernel).
  std::unordered_map<std::string, std::shared_ptr<const CompiledCode>> memory_;
  std::size_t memory_hits_ = 0;
  std::size_t disk_hits_ = 0;
  std::size_t compiles_ = 0;
};

} // namespace thunder::cuda
