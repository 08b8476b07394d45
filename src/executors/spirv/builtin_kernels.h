// The spirv executor's hand-written kernels (shaders/*.comp): the SPIR-V that
// cmake/EmbedSpirv.cmake compiled at build time and embedded in the library, the pipelines
// made from it (one per module, made on first use and cached), and the host side of each
// kernel (how a problem becomes dispatches and push constants). Torch-free; the torch edge
// (spirv_torch.cpp) binds the buffers and records the dispatches.
#pragma once

#include "thunder/core/dtype.h"
#include "thunder/executors/spirv/vulkan_runtime.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace thunder::spirv {

/// One embedded SPIR-V module: "<shader>_<variant>", e.g. "matmul_f32".
struct EmbeddedShader {
  const char* name;
  const uint32_t* words;
  std::size_t word_count;
};

/// Every embedded module, sorted by name (defined in the .cpp that EmbedSpirv generates).
std::span<const EmbeddedShader> embedded_shaders();
/// The module called `name`; InternalError if the build embedded none of that name.
const EmbeddedShader& embedded_shader(std::string_view name);

/// Pipelines of the embedded modules on one device, made on first use. Thread-safe.
class BuiltinKernels {
public:
  /// The pipeline of module `name` with `layout` (the layout must be the same every call).
  const Pipeline& pipeline(VulkanRuntime& runtime, std::string_view name,
                           const PipelineLayout& layout);
  std::size_t size() const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<const Pipeline>, std::less<>> pipelines_;
};

// ---- matmul (shaders/matmul.comp): C[b] = A[b] @ B[b], C contiguous ----

/// Must match TILE_M / TILE_N in shaders/matmul.comp.
inline constexpr int64_t kMatmulTileM = 64;
inline constexpr int64_t kMatmulTileN = 64;
/// Vulkan guarantees at least this many workgroups in each dimension of a dispatch.
inline constexpr int64_t kMaxWorkgroups = 65535;

/// The shader's push constants, in its order.
struct MatmulPushConstants {
  uint32_t m, n, k, batch_base;
  uint32_t a_batch, a_row, a_col;
  uint32_t b_batch, b_row, b_col;
};
static_assert(sizeof(MatmulPushConstants) == 40);

/// A matmul over [batch, m, k] x [batch, k, n] with strides in elements ({batch, row, col})
/// of A and B; C is [batch, m, n] contiguous.
struct MatmulProblem {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  std::array<int64_t, 3> a_strides{}, b_strides{};
};

struct MatmulDispatch {
  MatmulPushConstants push;
  uint32_t groups_x, groups_y, groups_z;
};

/// The dispatches of one matmul (several where batch > kMaxWorkgroups; none where C is
/// empty). UnsupportedError where a size or stride does not fit the shader's 32-bit indices
/// or the grid's limits.
std::vector<MatmulDispatch> plan_matmul(const MatmulProblem& problem);

/// "matmul_f32", "matmul_f16" or "matmul_bf16"; UnsupportedError for other dtypes.
std::string matmul_module(DType dtype);
/// The layout of the matmul pipelines: A, B, C and the push constants.
PipelineLayout matmul_layout(DType dtype);

} // namespace thunder::spirv
