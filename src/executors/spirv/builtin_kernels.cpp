#include "builtin_kernels.h"

#include "thunder/core/error.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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

std::optional<MatmulLayout> matmul_layout_of(std::span<const int64_t> sizes,
                                            std::span<const int64_t> strides, int64_t offset) {
  const std::size_t rank = sizes.size();
  THUNDER_INTERNAL_ASSERT(rank >= 2 && strides.size() == rank)
      << "a matmul operand has rank >= 2 and a stride per dim";
  MatmulLayout out;
  out.offset = offset;
  out.row = sizes[rank - 2] == 1 ? 0 : strides[rank - 2];
  out.col = sizes[rank - 1] == 1 ? 0 : strides[rank - 1];
  // Batch dims, innermost first, joined where one stride walks both: {count, stride}.
  std::vector<std::pair<int64_t, int64_t>> groups;
  for (std::size_t d = rank - 2; d-- > 0;) {
    if (sizes[d] == 1) continue;
    if (!groups.empty() && strides[d] == groups.back().first * groups.back().second) {
      groups.back().first *= sizes[d];
    } else {
      groups.emplace_back(sizes[d], strides[d]);
    }
  }
  if (groups.size() > 2) return std::nullopt;
  if (groups.size() == 1) out.outer = groups[0].second;
  if (groups.size() == 2) {
    out.inner_count = groups[0].first;
    out.inner = groups[0].second;
    out.outer = groups[1].second;
  }
  return out;
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
  // Every index the shader forms is at most the largest element offset of A, B, C or the
  // bias (a product of 32-bit values in 64 bits: no overflow here).
  const auto last = [&](const MatmulLayout& l, int64_t rows, int64_t cols) {
    THUNDER_INTERNAL_ASSERT(l.inner_count >= 1 && p.batch % l.inner_count == 0)
        << describe() << ": an operand's inner batch count " << l.inner_count
        << " does not divide the batch";
    return l.offset + (p.batch / l.inner_count - 1) * l.outer + (l.inner_count - 1) * l.inner +
           (rows - 1) * l.row + (cols - 1) * l.col;
  };
  const auto operand = [&](const MatmulLayout& l, const char* name, int64_t rows, int64_t cols) {
    MatmulOperandPush o{};
    if (p.k == 0) { // nothing is read
      o.inner_count = 1;
      return o;
    }
    u32(last(l, rows, cols), str("the last element offset of ", name).c_str());
    o.offset = u32(l.offset, "an operand's offset");
    o.inner_count = u32(l.inner_count, "an operand's inner batch count");
    o.outer = u32(l.outer, "an operand's outer batch stride");
    o.inner = u32(l.inner, "an operand's inner batch stride");
    o.row = u32(l.row, "an operand's row stride");
    o.col = u32(l.col, "an operand's column stride");
    return o;
  };
  u32(p.batch * p.m * p.n, "the output's element count");
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
  push.a = operand(p.a, "A", p.m, p.k);
  push.b = operand(p.b, "B", p.k, p.n);
  if (p.bias) {
    u32(p.bias_offset + (p.n - 1) * p.bias_stride, "the last element offset of the bias");
    push.bias_offset = u32(p.bias_offset, "the bias's offset");
    push.bias_stride = u32(p.bias_stride, "the bias's stride");
    push.epilogue |= kMatmulBias;
  }
  if (p.relu) push.epilogue |= kMatmulRelu;
  for (int64_t base = 0; base < p.batch; base += kMaxWorkgroups) {
    push.batch_base = static_cast<uint32_t>(base);
    dispatches.push_back({push, static_cast<uint32_t>(groups_x), static_cast<uint32_t>(groups_y),
                          static_cast<uint32_t>(std::min(kMaxWorkgroups, p.batch - base))});
  }
  return dispatches;
}

namespace {

// "<kernel>_f32", "_f16" or "_bf16": the module of a kernel's variant for `dtype`.
std::string module_of(const char* kernel, DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return str(kernel, "_f32");
  case DType::Float16:
    return str(kernel, "_f16");
  case DType::BFloat16:
    return str(kernel, "_bf16");
  default:
    throw UnsupportedError(
        str("spirv: the ", kernel, " kernel takes f32, f16 or bf16, not ", torch_name(dtype)));
  }
}

} // namespace

std::string matmul_module(DType dtype, CooperativeMatrix cooperative_matrix) {
  if (dtype == DType::Float16 && cooperative_matrix == CooperativeMatrix::On) {
    return "matmul_coop_f16";
  }
  if (dtype == DType::Float16 && cooperative_matrix == CooperativeMatrix::Emulated) {
    return "matmul_coop_emulated_f16";
  }
  return module_of("matmul", dtype);
}

PipelineLayout matmul_layout(DType dtype, CooperativeMatrix cooperative_matrix) {
  return {.buffers = 4, .push_constant_bytes = sizeof(MatmulPushConstants),
          .name = matmul_module(dtype, cooperative_matrix)};
}


std::string check_f16_matmul(VulkanRuntime& runtime, BuiltinKernels& kernels,
                             const std::string& module) {
  constexpr int64_t kBatch = 2, kM = 70, kN = 72, kK = 40;
  try {
    // Multiples of 1/64 in [-2, 2] from a fixed linear congruential sequence: every product
    // is exact in f32, and so is every partial sum (at most 40 * 4 in steps of 2^-12).
    uint32_t state = 12345;
    const auto values = [&](int64_t count) {
      std::vector<uint16_t> out(static_cast<std::size_t>(count));
      for (uint16_t& v : out) {
        state = state * 1664525u + 1013904223u;
        v = exact_f16_bits(static_cast<float>(static_cast<int>(state >> 24) % 129 * 2 - 128) /
                           64.0f);
      }
      return out;
    };
    const std::vector<uint16_t> a = values(kBatch * kM * kK), b = values(kBatch * kK * kN);
    const auto bytes = [](const std::vector<uint16_t>& v) {
      return std::as_bytes(std::span(v));
    };
    Buffer a_buffer = runtime.create_buffer(buffer_word_bytes(a.size() * 2));
    Buffer b_buffer = runtime.create_buffer(buffer_word_bytes(b.size() * 2));
    const std::size_t c_bytes = static_cast<std::size_t>(kBatch * kM * kN) * 2;
    Buffer tiled_c = runtime.create_buffer(buffer_word_bytes(c_bytes));
    Buffer checked_c = runtime.create_buffer(buffer_word_bytes(c_bytes));
    runtime.upload(a_buffer, bytes(a));
    runtime.upload(b_buffer, bytes(b));
    MatmulProblem problem{.batch = kBatch, .m = kM, .n = kN, .k = kK};
    problem.a = {.offset = 0, .inner_count = 1, .outer = kM * kK, .row = kK, .col = 1};
    problem.b = {.offset = 0, .inner_count = 1, .outer = kK * kN, .row = kN, .col = 1};
    const PipelineLayout layout = matmul_layout(DType::Float16);
    const Pipeline& tiled = kernels.pipeline(runtime, matmul_module(DType::Float16), layout);
    PipelineLayout checked_layout = layout;
    checked_layout.name = module;
    const Pipeline& checked = kernels.pipeline(runtime, module, checked_layout);
    Batch batch = runtime.batch();
    for (const MatmulDispatch& d : plan_matmul(problem)) {
      const auto push = std::as_bytes(std::span(&d.push, 1));
      const std::array<const Buffer*, 4> to_tiled{&a_buffer, &b_buffer, &a_buffer, &tiled_c};
      const std::array<const Buffer*, 4> to_checked{&a_buffer, &b_buffer, &a_buffer, &checked_c};
      batch.dispatch(tiled, to_tiled, push, d.groups_x, d.groups_y, d.groups_z, 3);
      batch.dispatch(checked, to_checked, push, d.groups_x, d.groups_y, d.groups_z, 3);
    }
    batch.submit();
    std::vector<uint16_t> want(c_bytes / 2), got(c_bytes / 2);
    runtime.download(tiled_c, std::as_writable_bytes(std::span(want)));
    runtime.download(checked_c, std::as_writable_bytes(std::span(got)));
    const auto hex = [](uint16_t bits) {
      char text[8];
      std::snprintf(text, sizeof(text), "0x%04x", static_cast<unsigned>(bits));
      return std::string(text);
    };
    for (std::size_t i = 0; i < want.size(); ++i) {
      // Both round one exact sum to f16: one f16 step apart at most (the bits of two finite
      // values of one sign differ by the number of steps between them; +0 and -0 agree).
      const int magnitude_steps =
          std::abs(static_cast<int>(want[i] & 0x7FFFu) - static_cast<int>(got[i] & 0x7FFFu));
      const bool same_sign =
          ((want[i] ^ got[i]) & 0x8000u) == 0 || ((want[i] | got[i]) & 0x7FFFu) == 0;
      if (!same_sign || magnitude_steps > 1) {
        return str(module, " differs from ", matmul_module(DType::Float16), " on [", kBatch,
                   ", ", kM, ", ", kK, "] x [", kBatch, ", ", kK, ", ", kN, "] at element ", i,
                   " (batch ", i / (kM * kN), ", row ", i / kN % kM, ", column ", i % kN,
                   "): f16 bits ", hex(got[i]), " against ", hex(want[i]));
      }
    }
    return "";
  } catch (const std::exception& e) {
    return str(module, " could not be run: ", e.what());
  }
}

std::optional<AttentionDispatch> plan_attention_dispatch(const codegen::AttentionCall& call,
                                                         const codegen::AttentionStrides& strides,
                                                         const AttentionOffsets& offsets) {
  const std::size_t rank = kAttentionLimits.max_batch_dims + 2;
  THUNDER_INTERNAL_ASSERT(call.batch.size() <= kAttentionLimits.max_batch_dims &&
                          strides.q.size() == rank && strides.k.size() == rank &&
                          strides.v.size() == rank && strides.mask.size() == rank)
      << "attention of " << call.batch.size() << " batch dims, strides over " << strides.q.size();
  const int64_t outer = call.batch.size() == 2 ? call.batch[0] : 1;
  const int64_t heads = call.batch.empty() ? 1 : call.batch.back();
  const auto describe = [&] {
    return str("ltorch.scaled_dot_product_attention of ", outer, " x ", heads, " heads, L=",
               call.l, ", S=", call.s, ", E=", call.e, ", Ev=", call.ev);
  };
  if (outer == 0 || heads == 0 || call.l == 0 || call.ev == 0) return std::nullopt;
  constexpr int64_t kU32 = std::numeric_limits<uint32_t>::max();
  const auto u32 = [&](int64_t v, const char* what) {
    if (v < 0 || v > kU32) {
      throw UnsupportedError(str("spirv: ", describe(), ": ", what, " = ", v,
                                 " does not fit the attention kernel's 32-bit indices"));
    }
    return static_cast<uint32_t>(v);
  };
  // Every index the shader forms is at most an operand's last element offset (products of
  // 32-bit values in 64 bits: no overflow here).
  const auto operand = [&](const std::vector<int64_t>& st, int64_t offset, int64_t group,
                           int64_t rows, int64_t cols, const char* name) {
    AttentionOperandPush o{};
    const int64_t last = offset + (outer - 1) * st[0] + ((heads - 1) / group) * st[1] +
                         (rows - 1) * st[2] + (cols - 1) * st[3];
    u32(last, str("the last element offset of ", name).c_str());
    o.offset = u32(offset, "an operand's offset");
    o.outer = u32(st[0], "an operand's outer batch stride");
    o.inner = u32(st[1], "an operand's head stride");
    o.row = u32(st[2], "an operand's row stride");
    o.col = u32(st[3], "an operand's column stride");
    return o;
  };
  AttentionDispatch d{};
  AttentionPushConstants& p = d.push;
  p.l = u32(call.l, "L");
  // The shader steps through the keys kAttentionKeyChunk at a time in 32 bits: the step
  // after the last must not wrap.
  p.s = u32(call.s, "S");
  if (call.s > kU32 - kAttentionKeyChunk) {
    throw UnsupportedError(str("spirv: ", describe(), ": S = ", call.s, " keys; the attention "
                               "kernel takes at most ", kU32 - kAttentionKeyChunk));
  }
  p.e = u32(call.e, "E");
  p.ev = u32(call.ev, "Ev");
  u32(outer * heads * call.l * call.ev, "the output's element count");
  if (call.s > 0) {
    p.q = operand(strides.q, offsets.q, 1, call.l, call.e, "the query");
    p.k = operand(strides.k, offsets.k, call.k_group, call.s, call.e, "the key");
    p.v = operand(strides.v, offsets.v, call.v_group, call.s, call.ev, "the value");
    if (call.mask != codegen::AttentionMask::None) {
      p.m = operand(strides.mask, offsets.mask, 1, call.l, call.s, "the mask");
    }
  }
  p.k_group = u32(call.k_group, "the key's head group");
  p.v_group = u32(call.v_group, "the value's head group");
  switch (call.mask) {
  case codegen::AttentionMask::None:
    break;
  case codegen::AttentionMask::Bool:
    p.flags = kAttentionMaskBool;
    break;
  case codegen::AttentionMask::AdditiveFloat32:
    p.flags = kAttentionMaskF32;
    break;
  case codegen::AttentionMask::AdditiveDtype:
    p.flags = call.dtype == DType::Float16    ? kAttentionMaskF16
              : call.dtype == DType::BFloat16 ? kAttentionMaskBf16
                                              : kAttentionMaskF32;
    break;
  }
  if (call.causal) p.flags |= kAttentionCausal;
  p.scale = static_cast<float>(call.scale);
  const int64_t groups_x = (call.l + kAttentionRows - 1) / kAttentionRows;
  if (groups_x > kMaxWorkgroups || heads > kMaxWorkgroups || outer > kMaxWorkgroups) {
    throw UnsupportedError(str("spirv: ", describe(), " needs ", groups_x, " x ", heads, " x ",
                               outer, " workgroups; the attention kernel dispatches at most ",
                               kMaxWorkgroups, " in each dimension"));
  }
  d.groups_x = static_cast<uint32_t>(groups_x);
  d.groups_y = static_cast<uint32_t>(heads);
  d.groups_z = static_cast<uint32_t>(outer);
  return d;
}

std::string attention_module(const codegen::AttentionCall& call) {
  const bool e64 = call.e == kAttentionUnrolledHead && call.ev == kAttentionUnrolledHead;
  return module_of("attention", call.dtype) + (e64 ? "_e64" : "");
}

PipelineLayout attention_layout(const codegen::AttentionCall& call) {
  return {.buffers = 5, .push_constant_bytes = sizeof(AttentionPushConstants),
          .name = attention_module(call)};
}

} // namespace thunder::spirv
