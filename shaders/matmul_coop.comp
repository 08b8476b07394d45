// prims.matmul for the spirv executor on f16 tensors with cooperative matrices
// (VK_NV_cooperative_matrix: the tensor cores of an NVIDIA GPU): the same problem, push
// constants, bindings and grid as matmul.comp (its 64 x 64 tile of C per workgroup, batch
// on z), so the host plans both with plan_matmul and only the pipeline differs.
// A workgroup is four subgroups of 32 invocations; each owns a 32 x 32 quarter of the tile:
// 2 x 4 accumulators of 16 x 8 in f32 (FRAG_M x FRAG_N: the 16x8x16 f16 shape NVIDIA's
// drivers list for the extension; VulkanRuntime checks the device lists it). Per 32-deep
// step of K, the workgroup stages the A and B slices in shared memory as f16 (read through
// the operands' strides, out-of-range elements 0, so any M, N, K works), and each subgroup
// multiplies 16 x 16 fragments of A by 16 x 8 fragments of B. At the end the accumulators
// go to shared memory and the workgroup writes C through the epilogue (bias, relu) with one
// rounding to f16, as matmul.comp does. Shared rows are padded (by 16 bytes, keeping the
// 16-byte alignment fragment loads need) so the rows of a fragment fall in different banks.
//
// The emulated variant replaces the three fragment operations by plain loops over the same
// shared-memory places (its accumulators live in c_tile from the start), so the staging,
// the fragment offsets and the epilogue are checked on devices without the extension
// (lavapipe in CI; THUNDER_VK_COOPERATIVE_MATRIX=emulated).
//
// variant f16
// variant emulated_f16 -DTHUNDER_COOP_EMULATED
#version 450

#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int16 : require
#extension GL_EXT_control_flow_attributes : require
#define THUNDER_STORAGE_F16
#include "storage.glsl"

#if !defined(THUNDER_COOP_EMULATED)
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_NV_cooperative_matrix : require
#endif

// The host side (src/executors/spirv/builtin_kernels.h) must agree on TILE_M and TILE_N,
// and VulkanRuntime (runs_matmul_coop) on the fragment shape and the subgroup size.
#define TILE_M 64
#define TILE_N 64
#define TILE_K 32
#define FRAG_M 16 // a fragment of A is FRAG_M x FRAG_K, of B FRAG_K x FRAG_N
#define FRAG_N 8
#define FRAG_K 16
#define THREADS 128 // four subgroups of 32
#define SUBGROUP 32
// Row strides of the shared tiles, in elements: a row plus 16 bytes.
#define A_STRIDE (TILE_K + 8)
#define B_STRIDE (TILE_N + 8)
#define C_STRIDE (TILE_N + 4)

layout(local_size_x = THREADS, local_size_y = 1, local_size_z = 1) in;

layout(set = 0, binding = 0, std430) readonly buffer ABuffer { STORAGE_T a[]; };
layout(set = 0, binding = 1, std430) readonly buffer BBuffer { STORAGE_T b[]; };
layout(set = 0, binding = 2, std430) readonly buffer BiasBuffer { STORAGE_T bias[]; };
layout(set = 0, binding = 3, std430) writeonly buffer CBuffer { STORAGE_T c[]; };

#define EPILOGUE_BIAS 1u
#define EPILOGUE_RELU 2u

// As in matmul.comp: element [batch, row, col] is at
// offset + (batch / inner_count) * outer + (batch % inner_count) * inner + row * r + col * c.
struct Operand {
  uint offset;
  uint inner_count;
  uint outer;
  uint inner;
  uint row;
  uint col;
};

layout(push_constant) uniform Params {
  uint m;
  uint n;
  uint k;
  uint batch_base;
  Operand a;
  Operand b;
  uint bias_offset;
  uint bias_stride;
  uint epilogue;
}
p;

uint batch_offset(const Operand o, uint batch) {
  return o.offset + (batch / o.inner_count) * o.outer + (batch % o.inner_count) * o.inner;
}

// Row-major slices: A [TILE_M][TILE_K], B [TILE_K][TILE_N] in f16, C [TILE_M][TILE_N] in f32.
shared float16_t a_tile[TILE_M * A_STRIDE];
shared float16_t b_tile[TILE_K * B_STRIDE];
shared float c_tile[TILE_M * C_STRIDE];

#if defined(THUNDER_COOP_EMULATED)
// C[c0..] += A[a0..] @ B[b0..] for one FRAG_M x FRAG_N x FRAG_K fragment product, by the 32
// lanes of one emulated subgroup: lane l computes elements l, l + 32, ... of the block, in
// f32, in k order.
void fragment_product(uint lane, uint a0, uint b0, uint c0) {
  for (uint e = lane; e < FRAG_M * FRAG_N; e += SUBGROUP) {
    const uint r = e / FRAG_N;
    const uint cc = e % FRAG_N;
    float acc = c_tile[c0 + r * C_STRIDE + cc];
    for (uint kk = 0u; kk < FRAG_K; ++kk) {
      acc = fma(float(a_tile[a0 + r * A_STRIDE + kk]), float(b_tile[b0 + kk * B_STRIDE + cc]),
                acc);
    }
    c_tile[c0 + r * C_STRIDE + cc] = acc;
  }
}
#endif

void main() {
  const uint batch = gl_WorkGroupID.z + p.batch_base;
  const uint row0 = gl_WorkGroupID.y * TILE_M;
  const uint col0 = gl_WorkGroupID.x * TILE_N;
  const uint tid = gl_LocalInvocationIndex;
#if defined(THUNDER_COOP_EMULATED)
  const uint sub = tid / SUBGROUP;
  const uint lane = tid % SUBGROUP;
#else
  const uint sub = gl_SubgroupID;
#endif
  // This subgroup's quarter of the tile.
  const uint sub_row = (sub / 2u) * 32u;
  const uint sub_col = (sub % 2u) * 32u;
  const uint a_base = batch_offset(p.a, batch);
  const uint b_base = batch_offset(p.b, batch);

#if defined(THUNDER_COOP_EMULATED)
  for (uint e = tid; e < TILE_M * C_STRIDE; e += THREADS) c_tile[e] = 0.0;
#else
  fcoopmatNV<32, gl_ScopeSubgroup, FRAG_M, FRAG_N> acc[2][4];
  [[unroll]] for (int i = 0; i < 2; ++i) {
    [[unroll]] for (int j = 0; j < 4; ++j) {
      acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, FRAG_M, FRAG_N>(0.0);
    }
  }
#endif

  for (uint k0 = 0u; k0 < p.k; k0 += TILE_K) {
    // Consecutive invocations take consecutive k of A and consecutive n of B. The f16 bits
    // are moved as they are (no conversion that could flush a subnormal).
    for (uint e = tid; e < TILE_M * TILE_K; e += THREADS) {
      const uint r = e / TILE_K;
      const uint kk = e % TILE_K;
      const uint row = row0 + r;
      const uint kg = k0 + kk;
      uint16_t bits = uint16_t(0);
      if (row < p.m && kg < p.k) bits = a[a_base + row * p.a.row + kg * p.a.col];
      a_tile[r * A_STRIDE + kk] = uint16BitsToFloat16(bits);
    }
    for (uint e = tid; e < TILE_K * TILE_N; e += THREADS) {
      const uint kk = e / TILE_N;
      const uint cc = e % TILE_N;
      const uint kg = k0 + kk;
      const uint col = col0 + cc;
      uint16_t bits = uint16_t(0);
      if (col < p.n && kg < p.k) bits = b[b_base + kg * p.b.row + col * p.b.col];
      b_tile[kk * B_STRIDE + cc] = uint16BitsToFloat16(bits);
    }
    barrier();

    [[unroll]] for (uint ks = 0u; ks < TILE_K; ks += FRAG_K) {
#if defined(THUNDER_COOP_EMULATED)
      for (uint i = 0u; i < 2u; ++i) {
        for (uint j = 0u; j < 4u; ++j) {
          fragment_product(lane, (sub_row + FRAG_M * i) * A_STRIDE + ks,
                           ks * B_STRIDE + sub_col + FRAG_N * j,
                           (sub_row + FRAG_M * i) * C_STRIDE + sub_col + FRAG_N * j);
        }
      }
#else
      fcoopmatNV<16, gl_ScopeSubgroup, FRAG_M, FRAG_K> af[2];
      fcoopmatNV<16, gl_ScopeSubgroup, FRAG_K, FRAG_N> bf[4];
      [[unroll]] for (int i = 0; i < 2; ++i) {
        coopMatLoadNV(af[i], a_tile, (sub_row + FRAG_M * uint(i)) * A_STRIDE + ks, A_STRIDE,
                      false);
      }
      [[unroll]] for (int j = 0; j < 4; ++j) {
        coopMatLoadNV(bf[j], b_tile, ks * B_STRIDE + sub_col + FRAG_N * uint(j), B_STRIDE,
                      false);
      }
      [[unroll]] for (int i = 0; i < 2; ++i) {
        [[unroll]] for (int j = 0; j < 4; ++j) {
          acc[i][j] = coopMatMulAddNV(af[i], bf[j], acc[i][j]);
        }
      }
#endif
    }
    barrier();
  }

#if !defined(THUNDER_COOP_EMULATED)
  [[unroll]] for (int i = 0; i < 2; ++i) {
    [[unroll]] for (int j = 0; j < 4; ++j) {
      coopMatStoreNV(acc[i][j], c_tile,
                     (sub_row + FRAG_M * uint(i)) * C_STRIDE + sub_col + FRAG_N * uint(j),
                     C_STRIDE, false);
    }
  }
#endif
  barrier();

  // Consecutive invocations write consecutive columns of a row.
  const uint c_base = batch * p.m * p.n;
  const bool has_bias = (p.epilogue & EPILOGUE_BIAS) != 0u;
  for (uint e = tid; e < TILE_M * TILE_N; e += THREADS) {
    const uint row = row0 + e / TILE_N;
    const uint col = col0 + e % TILE_N;
    if (row >= p.m || col >= p.n) continue;
    float v = c_tile[(e / TILE_N) * C_STRIDE + e % TILE_N];
    if (has_bias) v += LOAD(bias[p.bias_offset + col * p.bias_stride]);
    // As torch's relu: a NaN stays (a comparison with it is false), -0 becomes +0.
    if ((p.epilogue & EPILOGUE_RELU) != 0u && v <= 0.0) v = 0.0;
    c[c_base + row * p.n + col] = STORE(v);
  }
}
