// What the spirv end-to-end tests share: one SpirvExecutor for the whole test binary (the
// device is opened once, inside the initializer, so at exit the executor goes before the
// validation layer the loader brought in), the skip, with the reason, where no Vulkan
// device is, and the exported test models compiled for a backend.
#pragma once

#include "thunder/compile.h"
#include "thunder/core/error.h"
#include "thunder/executors/spirv/spirv_executor.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace thunder::spirv::testing {

/// The binary's executor, opened on first use.
inline SpirvExecutor& spirv() {
  static const std::unique_ptr<SpirvExecutor> executor = [] {
    auto opened = std::make_unique<SpirvExecutor>();
    opened->availability();
    return opened;
  }();
  return *executor;
}

/// The exported test model `name` (THUNDER_TEST_MODELS/<name>.pt2) where that directory is
/// set and the spirv backend is available here; otherwise empty, with the reason in `why_not`.
inline std::string spirv_model_path(const std::string& name, std::string& why_not) {
  const char* dir = std::getenv("THUNDER_TEST_MODELS");
  if (dir == nullptr) {
    why_not = "THUNDER_TEST_MODELS is not set (ctest sets it)";
    return {};
  }
  try {
    thunder::select_backend("spirv");
  } catch (const thunder::BackendError& e) {
    why_not = e.what();
    return {};
  }
  return std::string(dir) + "/" + name + ".pt2";
}

/// The model at `path` compiled for `backend`.
inline std::unique_ptr<thunder::CompiledModule> compile_for(const std::string& path,
                                                            const std::string& backend) {
  thunder::Options options;
  options.backend = backend;
  return thunder::compile(path, options);
}

} // namespace thunder::spirv::testing

/// Declares `path`, the exported test model `name`, or skips the test with the reason.
#define THUNDER_SPIRV_MODEL_OR_SKIP(path, name)                                                    \
  std::string thunder_why_not_##path;                                                             \
  const std::string path = ::thunder::spirv::testing::spirv_model_path(name, thunder_why_not_##path); \
  if (path.empty()) GTEST_SKIP() << thunder_why_not_##path

/// Skips the test, printing why, unless the spirv executor is available here.
#define THUNDER_SPIRV_OR_SKIP()                                                                    \
  if (const thunder::Availability a = ::thunder::spirv::testing::spirv().availability();           \
      !a.available) {                                                                              \
    GTEST_SKIP() << "spirv executor not available here: " << a.reason;                             \
  }
