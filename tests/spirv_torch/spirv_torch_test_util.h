// What the spirv end-to-end tests share: one SpirvExecutor for the whole test binary (the
// device is opened once, inside the initializer, so at exit the executor goes before the
// validation layer the loader brought in), and the skip, with the reason, where no Vulkan
// device is.
#pragma once

#include "thunder/executors/spirv/spirv_executor.h"

#include <gtest/gtest.h>

#include <memory>

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

} // namespace thunder::spirv::testing

/// Skips the test, printing why, unless the spirv executor is available here.
#define THUNDER_SPIRV_OR_SKIP()                                                                    \
  if (const thunder::Availability a = ::thunder::spirv::testing::spirv().availability();           \
      !a.available) {                                                                              \
    GTEST_SKIP() << "spirv executor not available here: " << a.reason;                             \
  }
