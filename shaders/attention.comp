// ltorch.scaled_dot_product_attention for the spirv executor, fused: each invocation computes
// one query row of one (batch, head) with an online softmax in f32 (a running max and sum,
// and its output accumulators rescaled as the max grows), CHUNK keys at a time, so the
// [L, S] weights never reach memory. The arithmetic follows the decomposition it replaces
// (src/ops/ltorch/nn.cpp), as the cuda executor's kernel does: q * scale, the dot products,
// plus the mask (a false bool or is_causal's j > i adds -inf, an additive mask its value),
// then a softmax whose max counts as 0 while every score is -inf and whose sum counts as 1
// when it is 0, so a fully masked row gives zeros, as torch's; a NaN stays a NaN (masked
// keys are computed too, so a NaN among them reaches the row as it does in torch).
//
// Workgroups: x covers the queries (ROWS each), y the heads (the inner batch dim), z the
// outer batch dim; the output is contiguous [outer, heads, L, Ev]. Query, key and value are
// read through an offset and strides in elements (q, k and v as views of one projection need
// no copy; a broadcast dim has stride 0), the key and value heads as head / group (grouped
// query attention). The mask is read as 32-bit words whatever its dtype (bool, f32, f16 or
// bf16, the push constants say which), so it needs no 8- or 16-bit storage of its own; the
// executor rounds every buffer up to whole words. Bounds: E and Ev at most MAX_HEAD, every
// index within 32 bits, which the host side (src/executors/spirv/builtin_kernels.cpp)
// checks before a dispatch.
//
// Every loop over the head dim is innermost, and the _e64 variants have E = Ev = 64 as a
// constant and unroll them: a GPU compiler then keeps qs and acc in registers, where arrays
// indexed by a loop of unknown bound go to local memory. (Unrolling the loops over a chunk's
// keys too, in a version not kept, made lavapipe's pipelines too slow to build for the
// tests.) The host picks _e64 for
// E = Ev = 64 (GPT-2, BERT and most models' heads), the general variant for other head dims.
//
// Variants (cmake/EmbedSpirv.cmake compiles one SPIR-V module for each line below):
// variant f32
// variant f16 -DTHUNDER_STORAGE_F16
// variant bf16 -DTHUNDER_STORAGE_BF16
// variant f32_e64 -DHEAD_DIM=64
// variant f16_e64 -DTHUNDER_STORAGE_F16 -DHEAD_DIM=64
// variant bf16_e64 -DTHUNDER_STORAGE_BF16 -DHEAD_DIM=64
#version 450

#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
#include "storage.glsl"

#if defined(HEAD_DIM)
#define E_COUNT HEAD_DIM // p.e and p.ev are HEAD_DIM (the host checks)
#define EV_COUNT HEAD_DIM
#define HEAD_SIZE HEAD_DIM
#define UNROLL [[unroll]]
#else
#define E_COUNT p.e
#define EV_COUNT p.ev
#define HEAD_SIZE MAX_HEAD
#define UNROLL
#endif

// The host side (src/executors/spirv/builtin_kernels.h) must agree on these three.
#define ROWS 64
#define MAX_HEAD 128
#define CHUNK 16

#define MASK_NONE 0u
#define MASK_BOOL 1u
#define MASK_F32 2u
#define MASK_F16 3u
#define MASK_BF16 4u
#define MASK_KIND 7u
#define FLAG_CAUSAL 8u

layout(local_size_x = ROWS, local_size_y = 1, local_size_z = 1) in;

// The mask is bound (to the query's buffer) even where there is none.
layout(set = 0, binding = 0, std430) readonly buffer QBuffer { STORAGE_T q[]; };
layout(set = 0, binding = 1, std430) readonly buffer KBuffer { STORAGE_T k[]; };
layout(set = 0, binding = 2, std430) readonly buffer VBuffer { STORAGE_T v[]; };
layout(set = 0, binding = 3, std430) readonly buffer MaskBuffer { uint mask_words[]; };
layout(set = 0, binding = 4, std430) writeonly buffer OBuffer { STORAGE_T o[]; };

// An operand's place in its buffer, in elements: element [outer, head, row, col] is at
// offset + outer * outer_stride + head * inner + row * r + col * c.
struct Operand {
  uint offset;
  uint outer;
  uint inner;
  uint row;
  uint col;
};

layout(push_constant) uniform Params {
  uint l;  // queries
  uint s;  // keys
  uint e;  // head dim of query and key
  uint ev; // head dim of value and output
  Operand q;
  Operand k;
  Operand v;
  Operand m;
  uint k_group; // key head = head / k_group
  uint v_group;
  uint flags;   // a MASK_* kind, | FLAG_CAUSAL
  float scale;
}
p;

#define NEG_INF uintBitsToFloat(0xFF800000u)

// What the mask adds to the score at element `i` of its buffer.
float mask_value(uint kind, uint i) {
  if (kind == MASK_BOOL) {
    const uint byte = (mask_words[i >> 2] >> ((i & 3u) * 8u)) & 0xFFu;
    return byte == 0u ? NEG_INF : 0.0;
  }
  if (kind == MASK_F32) return uintBitsToFloat(mask_words[i]);
  const uint bits = (mask_words[i >> 1] >> ((i & 1u) * 16u)) & 0xFFFFu;
  return kind == MASK_F16 ? f16_value(bits) : bf16_value(bits);
}

void main() {
  const uint row = gl_GlobalInvocationID.x;
  if (row >= p.l) return;
  const uint head = gl_WorkGroupID.y;
  const uint outer = gl_WorkGroupID.z;
  const uint q_base = p.q.offset + outer * p.q.outer + head * p.q.inner + row * p.q.row;
  const uint k_base = p.k.offset + outer * p.k.outer + (head / p.k_group) * p.k.inner;
  const uint v_base = p.v.offset + outer * p.v.outer + (head / p.v_group) * p.v.inner;
  const uint m_base = p.m.offset + outer * p.m.outer + head * p.m.inner + row * p.m.row;
  const uint kind = p.flags & MASK_KIND;
  const bool causal = (p.flags & FLAG_CAUSAL) != 0u;

  float qs[HEAD_SIZE];
  float acc[HEAD_SIZE];
  UNROLL for (uint d = 0u; d < E_COUNT; ++d) qs[d] = LOAD(q[q_base + d * p.q.col]) * p.scale;
  UNROLL for (uint d = 0u; d < EV_COUNT; ++d) acc[d] = 0.0;
  float row_max = NEG_INF;
  float row_sum = 0.0;

  for (uint k0 = 0u; k0 < p.s; k0 += CHUNK) {
    const uint n = min(uint(CHUNK), p.s - k0);
    float w[CHUNK];
    float chunk_max = row_max;
    for (uint j = 0u; j < n; ++j) {
      const uint key = k0 + j;
      const uint at = k_base + key * p.k.row;
      float x = 0.0;
      UNROLL for (uint d = 0u; d < E_COUNT; ++d) x = fma(qs[d], LOAD(k[at + d * p.k.col]), x);
      if (causal && key > row) x += NEG_INF;
      if (kind != MASK_NONE) x += mask_value(kind, m_base + key * p.m.col);
      w[j] = x;
      if (x > chunk_max) chunk_max = x; // a NaN is no max (it reaches the sum below)
    }
    const float max_use = chunk_max == NEG_INF ? 0.0 : chunk_max;
    const float alpha = row_max == NEG_INF ? 0.0 : exp(row_max - max_use);
    float chunk_sum = 0.0;
    for (uint j = 0u; j < n; ++j) {
      w[j] = exp(w[j] - max_use);
      chunk_sum += w[j];
    }
    row_max = chunk_max;
    row_sum = row_sum * alpha + chunk_sum;
    // acc * alpha, then each key's w * v in key order: per element, the order of the loop
    // over keys inside one over the head dim.
    UNROLL for (uint d = 0u; d < EV_COUNT; ++d) acc[d] *= alpha;
    for (uint j = 0u; j < n; ++j) {
      const float wj = w[j];
      const uint at = v_base + (k0 + j) * p.v.row;
      UNROLL for (uint d = 0u; d < EV_COUNT; ++d) {
        acc[d] = fma(wj, LOAD(v[at + d * p.v.col]), acc[d]);
      }
    }
  }

  // A sum of 0 (every key masked, or no key at all) divides by 1, as the decomposition.
  const float divisor = row_sum == 0.0 ? 1.0 : row_sum;
  const uint o_base = ((outer * gl_NumWorkGroups.y + head) * p.l + row) * p.ev;
  UNROLL for (uint d = 0u; d < EV_COUNT; ++d) o[o_base + d] = STORE(acc[d] / divisor);
}
