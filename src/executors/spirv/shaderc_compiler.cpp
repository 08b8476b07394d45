#include "thunder/executors/spirv/shaderc_compiler.h"

#include "thunder/core/error.h"

#include <shaderc/shaderc.hpp>
#include <spirv-tools/libspirv.h>
#include <spirv-tools/libspirv.hpp>
#if __has_include(<glslang/build_info.h>)
#include <glslang/build_info.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

namespace thunder::spirv {
namespace {

spv_target_env target_env(uint32_t vulkan_minor) {
  switch (vulkan_minor) {
  case 0:
    return SPV_ENV_VULKAN_1_0;
  case 1:
    return SPV_ENV_VULKAN_1_1;
  case 2:
    return SPV_ENV_VULKAN_1_2;
  case 3:
    return SPV_ENV_VULKAN_1_3;
  default:
    throw ArgumentError(str("ShadercCompiler: Vulkan 1.", vulkan_minor,
                            " is not a target; use 1.0 to 1.3 (CompileOptions::vulkan_minor)"));
  }
}

shaderc_env_version shaderc_env(uint32_t vulkan_minor) {
  switch (vulkan_minor) {
  case 0:
    return shaderc_env_version_vulkan_1_0;
  case 1:
    return shaderc_env_version_vulkan_1_1;
  case 2:
    return shaderc_env_version_vulkan_1_2;
  case 3:
    return shaderc_env_version_vulkan_1_3;
  default:
    target_env(vulkan_minor); // throws the message
    return shaderc_env_version_vulkan_1_1;
  }
}

const char* level_name(spv_message_level_t level) {
  switch (level) {
  case SPV_MSG_FATAL:
    return "fatal";
  case SPV_MSG_INTERNAL_ERROR:
    return "internal error";
  case SPV_MSG_ERROR:
    return "error";
  case SPV_MSG_WARNING:
    return "warning";
  case SPV_MSG_INFO:
    return "info";
  case SPV_MSG_DEBUG:
    return "debug";
  }
  return "message";
}

// Keeps file names portable whatever the caller named the kernel.
std::string file_stem(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out.empty() ? std::string("kernel") : out;
}

std::string options_key(const CompileOptions& options) {
  return str("name=", options.name, ";opt=", options.optimize ? 1 : 0, ";vk=1.",
             options.vulkan_minor, ";");
}

} // namespace

std::string save_shader_file(const std::string& file_name, const std::string& contents) {
  return save_cache_file("spirv", file_name, contents);
}

void validate_spirv(std::span<const uint32_t> words, const std::string& name,
                    uint32_t vulkan_minor) {
  spvtools::SpirvTools tools(target_env(vulkan_minor));
  std::string log;
  tools.SetMessageConsumer([&log](spv_message_level_t level, const char* /*source*/,
                                  const spv_position_t& position, const char* message) {
    log += str(level_name(level), " at word ", position.index, ": ", message, "\n");
  });
  if (tools.Validate(words.data(), words.size())) {
    return;
  }
  std::string text;
  if (!tools.Disassemble(words.data(), words.size(), &text,
                         SPV_BINARY_TO_TEXT_OPTION_INDENT |
                             SPV_BINARY_TO_TEXT_OPTION_FRIENDLY_NAMES)) {
    text = "; the module could not be disassembled\n";
  }
  std::string hash = stable_hash(
      std::string(reinterpret_cast<const char*>(words.data()), words.size() * sizeof(uint32_t)));
  std::string path = save_shader_file(str(file_stem(name), "-", hash, ".spvasm"), text);
  throw ShaderError(str("spirv: SPIR-V of kernel '", name, "' failed validation (Vulkan 1.",
                        vulkan_minor, "):\n", log, "disassembly saved to ", path,
                        "\nThis is a bug in the code generator or a hand-written shader; "
                        "report it with that file."));
}

struct ShadercCompiler::Impl {
  shaderc::Compiler compiler;
  std::string cache_dir;
  mutable std::mutex mutex;
  // By the whole key text, not its hash: a collision would run another kernel. Ordered map:
  // iteration order never depends on hashing (STYLE: deterministic).
  std::map<std::string, std::shared_ptr<const SpirvWords>> cache;
  std::size_t hits = 0;
  std::size_t disk_hits = 0;
};

ShadercCompiler::ShadercCompiler(std::string cache_dir) : impl_(std::make_unique<Impl>()) {
  if (!impl_->compiler.IsValid()) {
    throw BackendError("spirv: shaderc could not create a compiler (libshaderc is unusable)");
  }
  impl_->cache_dir = cache_dir.empty() ? kernel_cache_directory("spirv") : std::move(cache_dir);
}

ShadercCompiler::~ShadercCompiler() = default;

std::string ShadercCompiler::version() {
  // The libraries do not change while the process runs: one string for every cache key.
  static const std::string text = [] {
    unsigned int spv_version = 0;
    unsigned int spv_revision = 0;
    shaderc_get_spv_version(&spv_version, &spv_revision);
#ifdef GLSLANG_VERSION_MAJOR
    const std::string glslang = str("glslang ", GLSLANG_VERSION_MAJOR, ".", GLSLANG_VERSION_MINOR,
                                    ".", GLSLANG_VERSION_PATCH, GLSLANG_VERSION_FLAVOR);
#else
    const std::string glslang = "glslang (version unknown)";
#endif
    return str(glslang, ", shaderc SPIR-V ", spv_version, ".", spv_revision, ", ",
               spvSoftwareVersionDetailsString());
  }();
  return text;
}

std::shared_ptr<const SpirvWords> ShadercCompiler::compile(const std::string& glsl,
                                                           const CompileOptions& options) {
  const std::string key_text = str(version(), "\n", options_key(options), "\n", glsl);
  const std::string key = stable_hash(key_text);
  {
    std::lock_guard lock(impl_->mutex);
    if (auto it = impl_->cache.find(key_text); it != impl_->cache.end()) {
      ++impl_->hits;
      return it->second;
    }
  }
  if (std::optional<std::string> image = read_keyed_cache_file(impl_->cache_dir, key_text, "spv");
      image && image->size() % sizeof(uint32_t) == 0) {
    auto words = std::make_shared<SpirvWords>(image->size() / sizeof(uint32_t));
    std::memcpy(words->data(), image->data(), image->size());
    // A file on disk may have been damaged since it was written: it reaches a driver only
    // after the validator accepted it; one it refuses is compiled afresh.
    bool valid = true;
    try {
      validate_spirv(*words, options.name, options.vulkan_minor);
    } catch (const ShaderError&) {
      valid = false;
    }
    if (valid) {
      std::lock_guard lock(impl_->mutex);
      ++impl_->disk_hits;
      return impl_->cache.emplace(key_text, std::move(words)).first->second;
    }
  }

  shaderc::CompileOptions shaderc_options;
  shaderc_options.SetSourceLanguage(shaderc_source_language_glsl);
  shaderc_options.SetTargetEnvironment(shaderc_target_env_vulkan,
                                       shaderc_env(options.vulkan_minor));
  shaderc_options.SetOptimizationLevel(options.optimize ? shaderc_optimization_level_performance
                                                        : shaderc_optimization_level_zero);
  shaderc_options.SetWarningsAsErrors();

  shaderc::SpvCompilationResult result = [&] {
    // shaderc::Compiler is documented as safe for concurrent use, but the cache lock is
    // cheap next to a compile, and it keeps libshaderc's glslang state out of the question.
    std::lock_guard lock(impl_->mutex);
    return impl_->compiler.CompileGlslToSpv(glsl, shaderc_compute_shader, options.name.c_str(),
                                            "main", shaderc_options);
  }();
  if (result.GetCompilationStatus() != shaderc_compilation_status_success) {
    std::string path = save_shader_file(str(file_stem(options.name), "-", key, ".comp"), glsl);
    throw ShaderError(str("spirv: GLSL of kernel '", options.name,
                          "' failed to compile (shaderc, Vulkan 1.", options.vulkan_minor, "):\n",
                          result.GetErrorMessage(), "source saved to ", path,
                          "\nIf the source was generated, this is a bug in the code "
                          "generator; report it with that file."));
  }
  auto words = std::make_shared<const SpirvWords>(result.cbegin(), result.cend());
  try {
    validate_spirv(*words, options.name, options.vulkan_minor);
  } catch (const ShaderError& e) {
    // Keep the GLSL next to the disassembly: the source is what a reader can fix.
    std::string path = save_shader_file(str(file_stem(options.name), "-", key, ".comp"), glsl);
    throw ShaderError(str(e.what(), "\nGLSL source saved to ", path));
  }

  write_keyed_cache_file(
      "spirv", impl_->cache_dir, key_text, "spv",
      std::string(reinterpret_cast<const char*>(words->data()), words->size() * sizeof(uint32_t)));
  std::lock_guard lock(impl_->mutex);
  return impl_->cache.emplace(key_text, std::move(words)).first->second;
}

std::size_t ShadercCompiler::cache_size() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->cache.size();
}

std::size_t ShadercCompiler::cache_hits() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->hits;
}

std::size_t ShadercCompiler::disk_hits() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->disk_hits;
}

const std::string& ShadercCompiler::cache_dir() const {
  return impl_->cache_dir;
}

} // namespace thunder::spirv
