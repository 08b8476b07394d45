#include "builtin_kernels.h"

#include "thunder/core/error.h"

#include <algorithm>
#include <limits>

namespace thunder::spirv {

const EmbeddedShader& embedded_shader(std::string_view name) {
  for (const EmbeddedShader& s : embedded_shaders()) {
    if (name == s.name) return s;
  }
  std::string known;
  for (const EmbeddedShader& s : embedded_shaders())
    known += str(known.empty() ? "" : ", ", s.name);
  THUNDER_INTERNAL_ASSERT(false) << "no embedded SPIR-V module '" << name << "' (the build has "
                                 << known << "; see shaders/ and cmake/EmbedSpirv.cmake)";
  return embedded_shaders().front();
}

const Pipeline& BuiltinKernels::pipeline(VulkanRuntime& runtime, std::string_view name,
                                         const PipelineLayout& layout) {
  const std::lock_guard lock(mutex_);
  if (const auto it = pipelines_.find(name); it != pipelines_.end()) return *it->second;
  const EmbeddedShader& shader = embedded_shader(name);
  auto made = std::make_unique<const Pipeline>(
      runtime.create_pipeline(std::span(shader.words, shader.word_count), layout));
  return *pipelines_.emplace(std::string(name), std::move(made)).first->second;
}

std::size_t BuiltinKernels::size() const {
  const std::lock_guard lock(mutex_);
  return pipelines_.size();
}

std::vector<MatmulDispatch> plan_matmul(const MatmulProblem& p) {
  const auto describe = [&] {
    return str("prims.matmul of [", p.batch, ", ", p.m, ", ", p.k, "] x [", p.batch, ", ", p.k,
               ", ", p.n, "]");
  };
  THUNDER_INTERNAL_ASSERT(p.batch >= 0 && p.m >= 0 && p.n >= 0 && p.k >= 0) << describe();
  std::vector<MatmulDispatch> dispatches;
  if (p.batch == 0 || p.m == 0 || p.n == 0) return dispatches;
  constexpr int64_t kU32 = std::numeric_limits<uint32_t>::max();
  const auto u32 = [&](int64_t v, const char* what) {
    if (v < 0 || v > kU32) {
      throw UnsupportedError(str("spirv: ", describe(), ": ", what, " = ", v,
                                 " does not fit the matmul kernel's 32-bit indices"));
    }
    return static_cast<uint32_t>(v);
  };
  // Every index the shader forms is at most the largest element offset of A, B or C.
  const auto last = [&](const std::array<int64_t, 3>& s, int64_t rows, int64_t cols) {
    return (p.batch - 1) * s[0] + (rows - 1) * s[1] + (cols - 1) * s[2];
  };
  u32(p.batch * p.m * p.n, "the output's element count");
  if (p.k > 0) {
    u32(last(p.a_strides, p.m, p.k), "the last element offset of A");
    u32(last(p.b_strides, p.k, p.n), "the last element offset of B");
  }
  const int64_t groups_x = (p.n + kMatmulTileN - 1) / kMatmulTileN;
  const int64_t groups_y = (p.m + kMatmulTileM - 1) / kMatmulTileM;
  if (groups_x > kMaxWorkgroups || groups_y > kMaxWorkgroups) {
    throw UnsupportedError(str("spirv: ", describe(), " needs ", groups_x, " x ", groups_y,
                               " workgroups; the matmul kernel dispatches at most ", kMaxWorkgroups,
                               " in each dimension"));
  }
  MatmulPushConstants push{};
  push.m = u32(p.m, "M");
  push.n = u32(p.n, "N");
  push.k = u32(p.k, "K");
  push.a_batch = u32(p.a_strides[0], "A's batch stride");
  push.a_row = u32(p.a_strides[1], "A's row stride");
  push.a_col = u32(p.a_strides[2], "A's column stride");
  push.b_batch = u32(p.b_strides[0], "B's batch stride");
  push.b_row = u32(p.b_strides[1], "B's row stride");
  push.b_col = u32(p.b_strides[2], "B's column stride");
  for (int64_t base = 0; base < p.batch; base += kMaxWorkgroups) {
    push.batch_base = static_cast<uint32_t>(base);
    dispatches.push_back({push, static_cast<uint32_t>(groups_x), static_cast<uint32_t>(groups_y),
                          static_cast<uint32_t>(std::min(kMaxWorkgroups, p.batch - base))});
  }
  return dispatches;
}

std::string matmul_module(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return "matmul_f32";
  case DType::Float16:
    return "matmul_f16";
  case DType::BFloat16:
    return "matmul_bf16";
  default:
    throw UnsupportedError(
        str("spirv: the matmul kernel takes f32, f16 or bf16, not ", torch_name(dtype)));
  }
}

PipelineLayout matmul_layout(DType dtype) {
  PipelineLayout layout;
  layout.buffers = 3;
  layout.push_constant_bytes = sizeof(MatmulPushConstants);
  layout.name = matmul_module(dtype);
  return layout;
}

} // namespace thunder::spirv
