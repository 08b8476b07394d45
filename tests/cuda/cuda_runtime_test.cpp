// The cuda executor's loader and compiler without a GPU: a missing driver or NVRTC is a
// BackendError that says what was looked for; an NVRTC failure carries the log and the
// numbered source; architectures parse strictly; the compiled-kernel cache hits in memory
// and on disk; every golden kernel of the CUDA emitter (tests/golden/kernels/*.cu) compiles.
#include "thunder/core/error.h"
#include "thunder/executors/cuda/cuda_executor.h"
#include "thunder/executors/cuda/cuda_runtime.h"
#include "thunder/executors/cuda/nvrtc_compiler.h"
#include "../common/scoped_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>
#include <optional>
#include <string>
#include <cstdio>
#include <ftw.h>
#include <unistd.h>

namespace thunder::cuda {
namespace {

using ::thunder::testing::ScopedEnv;

// rm -r without std::filesystem::remove_all: LibTorch 2.11's libtorch.so exports a copy of
// it that crashed (a null call) when the test binary resolved it there, on the GPU machine.
void remove_tree(const std::filesystem::path& dir) {
  ::nftw(
      dir.c_str(),
      [](const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

std::unique_ptr<NvrtcCompiler> nvrtc_or_skip(std::string cache_dir = {}) {
  try {
    return std::make_unique<NvrtcCompiler>(std::move(cache_dir));
  } catch (const BackendError& e) {
    if (std::getenv("THUNDER_EXPECT_NVRTC") != nullptr) throw;
    return nullptr;
  }
}

TEST(CudaRuntime, MissingDriverIsABackendErrorNamingWhatWasTried) {
  ScopedEnv driver("THUNDER_CUDA_DRIVER_LIBRARY", "/nonexistent/libcuda.so.1");
  try {
    CudaRuntime runtime;
    FAIL() << "a runtime opened without a driver";
  } catch (const BackendError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cuda: the NVIDIA driver (libcuda.so.1) not found; tried: "
                           "/nonexistent/libcuda.so.1 ("),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("use THUNDER_BACKEND=spirv or torch"), std::string::npos) << message;
  }
  // The executor reports it as its availability, never as a crash.
  CudaExecutor executor;
  const Availability a = executor.availability();
  EXPECT_FALSE(a.available);
  EXPECT_NE(a.reason.find("libcuda.so.1"), std::string::npos) << a.reason;
}

TEST(CudaRuntime, MissingNvrtcNamesTheVariableToSet) {
  ScopedEnv nvrtc("THUNDER_NVRTC_LIBRARY", "/nonexistent/libnvrtc.so");
  try {
    NvrtcCompiler compiler;
    FAIL() << "NVRTC loaded from a path that does not exist";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("cuda: NVRTC (libnvrtc) not found; tried: "
                                         "/nonexistent/libnvrtc.so"),
              std::string::npos)
        << e.what();
  }
}

TEST(GpuArch, ParsesTheUsualSpellingsOnly) {
  EXPECT_EQ(GpuArch::parse("sm_90"), (GpuArch{9, 0}));
  EXPECT_EQ(GpuArch::parse("80"), (GpuArch{8, 0}));
  EXPECT_EQ(GpuArch::parse("8.6"), (GpuArch{8, 6}));
  EXPECT_EQ(GpuArch::parse("10.0"), (GpuArch{10, 0}));
  EXPECT_EQ(GpuArch::parse("sm_120"), (GpuArch{12, 0}));
  EXPECT_EQ((GpuArch{10, 0}.name()), "sm_100");
  EXPECT_THROW(GpuArch::parse("hopper"), ArgumentError);
  EXPECT_THROW(GpuArch::parse("sm_9"), ArgumentError);
}

TEST(NvrtcCompiler, CompileFailureCarriesTheLogAndTheNumberedSource) {
  const auto compiler = nvrtc_or_skip();
  if (!compiler) GTEST_SKIP() << "NVRTC not available here";
  const std::string source = "extern \"C\" __global__ void broken(float* out) {\n"
                             "  out[0] = undeclared_name;\n"
                             "}\n";
  try {
    compiler->compile(source, "broken", {9, 0});
    FAIL() << "a broken kernel compiled";
  } catch (const ShaderError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("could not compile kernel broken for sm_90"), std::string::npos)
        << message;
    EXPECT_NE(message.find("undeclared_name"), std::string::npos) << message; // the log
    EXPECT_NE(message.find("   2|   out[0] = undeclared_name;"), std::string::npos) << message;
    EXPECT_NE(message.find("saved to "), std::string::npos) << message;
  }
}

TEST(NvrtcCompiler, CachesInMemoryAndOnDisk) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("thunder-cuda-cache-test-" + std::to_string(::getpid()));
  remove_tree(dir);
  const std::string source = "extern \"C\" __global__ void twice(float* out, unsigned int n) {\n"
                             "  unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
                             "  if (i < n) out[i] = 2.0f * out[i];\n"
                             "}\n";
  {
    const auto compiler = nvrtc_or_skip(dir.string());
    if (!compiler) GTEST_SKIP() << "NVRTC not available here";
    const auto first = compiler->compile(source, "twice", {8, 0});
    EXPECT_TRUE(first->is_cubin);
    EXPECT_EQ(first->arch, (GpuArch{8, 0}));
    EXPECT_EQ(compiler->compile(source, "twice", {8, 0}), first);
    EXPECT_EQ(compiler->compiles(), 1u);
    EXPECT_EQ(compiler->memory_hits(), 1u);
    // Another architecture is another kernel.
    EXPECT_NE(compiler->compile(source, "twice", {9, 0})->key, first->key);
    EXPECT_TRUE(std::filesystem::exists(dir / (first->key + ".cubin")));
  }
  // A new compiler (a new process, say) finds it on disk.
  const auto again = nvrtc_or_skip(dir.string());
  const auto loaded = again->compile(source, "twice", {8, 0});
  EXPECT_EQ(again->disk_hits(), 1u);
  EXPECT_EQ(again->compiles(), 0u);
  EXPECT_FALSE(loaded->image.empty());
  remove_tree(dir);
}

TEST(NvrtcCompiler, DeviceNewerThanNvrtcGetsPtxOfTheNewestArchItKnows) {
  const auto compiler = nvrtc_or_skip();
  if (!compiler) GTEST_SKIP() << "NVRTC not available here";
  const std::string source = "extern \"C\" __global__ void k(float* out) { out[0] = 1.0f; }\n";
  const auto code = compiler->compile(source, "k", {9, 9});
  EXPECT_FALSE(code->is_cubin);
  EXPECT_LE(code->arch.number(), 99);
  EXPECT_NE(code->image.find(".entry k"), std::string::npos);
  EXPECT_THROW(compiler->compile(source, "k", {3, 0}), ArgumentError);
}

TEST(NvrtcCompiler, EveryGoldenCudaKernelCompilesForSm80AndSm90) {
  const auto compiler = nvrtc_or_skip();
  if (!compiler) GTEST_SKIP() << "NVRTC not available here";
  std::vector<std::filesystem::path> goldens;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(THUNDER_GOLDEN_DIR) / "kernels")) {
    if (entry.path().extension() == ".cu") goldens.push_back(entry.path());
  }
  std::sort(goldens.begin(), goldens.end());
  ASSERT_GE(goldens.size(), 10u) << "golden CUDA kernels missing from " << THUNDER_GOLDEN_DIR;
  for (const auto& path : goldens) {
    std::ifstream file(path);
    std::stringstream source;
    source << file.rdbuf();
    for (const GpuArch arch : {GpuArch{8, 0}, GpuArch{9, 0}}) {
      try {
        EXPECT_FALSE(compiler->compile(source.str(), path.stem().string(), arch)->image.empty());
      } catch (const Error& e) {
        ADD_FAILURE() << path << " for " << arch.name() << ": " << e.what();
      }
    }
  }
}

} // namespace
} // namespace thunder::cuda
