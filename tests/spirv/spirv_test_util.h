// Helpers of the spirv runtime tests: scoped environment variables, a runtime that skips
// the test (with the reason) where the machine has no Vulkan loader or device, and the
// small GLSL kernels the tests compile at run time.
#pragma once

#include "thunder/core/error.h"
#include "thunder/executors/spirv/vulkan_runtime.h"

#include "../common/scoped_env.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace thunder::spirv::testing {

using ::thunder::testing::ScopedEnv;

/// A runtime, or the reason there is none here (no loader, no device).
inline std::unique_ptr<VulkanRuntime> open_runtime(std::string& why_not,
                                                   const RuntimeOptions& options = {}) {
  try {
    return std::make_unique<VulkanRuntime>(options);
  } catch (const BackendError& e) {
    std::string message = e.what();
    if (message.find("no Vulkan loader") != std::string::npos ||
        message.find("spirv: no Vulkan device") != std::string::npos) {
      why_not = message;
      return nullptr;
    }
    throw;
  }
}

#define THUNDER_OPEN_RUNTIME_OR_SKIP(var, ...)                                                     \
  std::string var##_why_not;                                                                       \
  auto var = ::thunder::spirv::testing::open_runtime(var##_why_not __VA_OPT__(, ) __VA_ARGS__);    \
  if (!var) {                                                                                      \
    GTEST_SKIP() << "no Vulkan device here: " << var##_why_not;                                    \
  }

inline const char* kAddShader = R"(#version 450
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer A { float a[]; };
layout(std430, set = 0, binding = 1) readonly buffer B { float b[]; };
layout(std430, set = 0, binding = 2) writeonly buffer C { float c[]; };
layout(push_constant) uniform Params { uint n; } params;
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < params.n) {
    c[i] = a[i] + b[i];
  }
}
)";

/// out[i] = in[i] OP k, with k a push constant after n.
inline std::string unary_shader(const char* op) {
  return std::string(R"(#version 450
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer In { float x[]; };
layout(std430, set = 0, binding = 1) writeonly buffer Out { float y[]; };
layout(push_constant) uniform Params { uint n; float k; } params;
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < params.n) {
    y[i] = x[i] )") +
         op + R"( params.k;
  }
}
)";
}

} // namespace thunder::spirv::testing
