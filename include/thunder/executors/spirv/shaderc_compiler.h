// The compiler stage of the spirv backend (GlslEmitter -> ShadercCompiler -> VulkanRuntime):
// GLSL 450 compute source in, SPIR-V words out, checked by SPIRV-Tools' validator before
// anything reaches a driver. A failure is a thunder::ShaderError carrying the compiler log
// and the path the failing source was written to (THUNDER_CACHE_DIR, else a temp dir).
// Torch-free.
#pragma once

#include "thunder/core/cache_files.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace thunder::spirv {

/// Options of one compilation; part of the cache key.
struct CompileOptions {
  /// Name used in messages and in the file name of a saved failing source.
  std::string name = "kernel";
  /// Run shaderc's performance optimizer.
  bool optimize = true;
  /// Vulkan version the SPIR-V targets, as VK_MAKE_API_VERSION minor (1 -> 1.1, 2 -> 1.2).
  uint32_t vulkan_minor = 1;
};

/// SPIR-V words of a compiled, validated shader. Shared: a cache entry may be used by
/// several pipelines.
using SpirvWords = std::vector<uint32_t>;

/// Compiles GLSL 450 compute shaders to validated SPIR-V, cached in memory and on disk,
/// keyed by the source, the options and the versions of glslang and SPIRV-Tools.
/// Thread-safe.
class ShadercCompiler {
public:
  /// `cache_dir`: where compiled shaders are kept between runs (`<hash>.spv` beside
  /// `<hash>.key`, the key text); empty: $THUNDER_CACHE_DIR/spirv when set, else none.
  explicit ShadercCompiler(std::string cache_dir = {});
  ~ShadercCompiler();
  ShadercCompiler(const ShadercCompiler&) = delete;
  ShadercCompiler& operator=(const ShadercCompiler&) = delete;

  /// Compiles and validates `glsl`; throws ShaderError (log + saved source path) on failure.
  std::shared_ptr<const SpirvWords> compile(const std::string& glsl,
                                            const CompileOptions& options = {});

  /// Number of compiled shaders held, and of compile() calls answered from the cache.
  std::size_t cache_size() const;
  std::size_t cache_hits() const;
  /// compile() calls answered from the disk cache (their words validated again on load).
  std::size_t disk_hits() const;
  /// The disk cache directory, or empty when there is none.
  const std::string& cache_dir() const;
  /// The compiler versions every cache key starts with, e.g. "glslang 12.0.0, SPIRV-Tools
  /// v2023.2 ...".
  static std::string version();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Validates SPIR-V words with SPIRV-Tools for Vulkan 1.`vulkan_minor`; on failure throws
/// ShaderError with the validator's messages and the path its disassembly was saved to.
void validate_spirv(std::span<const uint32_t> words, const std::string& name,
                    uint32_t vulkan_minor = 1);

using thunder::stable_hash;

/// Writes `contents` to `<dir>/<file_name>`, where dir is $THUNDER_CACHE_DIR/spirv if the
/// variable is set, else <temp>/thunder-spirv; returns the path written. Throws
/// BackendError if the file cannot be written.
std::string save_shader_file(const std::string& file_name, const std::string& contents);

} // namespace thunder::spirv
