// prims.matmul for the spirv executor: C[b] = A[b] @ B[b] for A [batch, M, K], B [batch, K, N]
// and a contiguous C [batch, M, N], optionally with an epilogue: a bias over N added and a
// relu applied on the f32 accumulator, before the one rounding to the storage dtype (the
// matmul_epilogues pass folds a linear's bias add and relu into spirv.matmul_epilogue).
// A and B are read through an offset and strides (in elements) given as push constants, so
// a transposed, expanded or sliced operand needs no copy: their batch dims are two groups
// of one stride each (batch = outer * inner_count + inner), which takes q, k and v as
// views of one projection ([B, S, 3, H, D] read as [B, H, S, D]). One workgroup computes a
// 64 x 64 tile of C (batch gl_WorkGroupID.z + batch_base): it stages 64 x 16 slices of A and
// 16 x 64 slices of B in shared memory, and each of its 16 x 16 invocations accumulates a
// 4 x 4 block in registers, always in f32. Edges are bounds-checked (out-of-range elements
// load as 0 and are not stored), so any M, N, K works, K = 0 included (C is zeros, or the
// epilogue of zeros).
//
// Variants (cmake/EmbedSpirv.cmake compiles one SPIR-V module for each line below):
// variant f32
// variant f16 -DTHUNDER_STORAGE_F16
// variant bf16 -DTHUNDER_STORAGE_BF16
// f16 and bf16 are stored as storage.glsl says (uint16_t bits, converted by integer
// operations); shared memory and accumulation are f32 in every variant.
#version 450

#extension GL_GOOGLE_include_directive : require
#include "storage.glsl"

// The host side (src/executors/spirv/builtin_kernels.h) must agree on these three.
#define TILE_M 64
#define TILE_N 64
#define TILE_K 16
#define THREADS 256 // 16 x 16 invocations, each a 4 x 4 block of the tile.

layout(local_size_x = 16, local_size_y = 16, local_size_z = 1) in;

// The bias is bound (to A's buffer) even where the epilogue has none.
layout(set = 0, binding = 0, std430) readonly buffer ABuffer { STORAGE_T a[]; };
layout(set = 0, binding = 1, std430) readonly buffer BBuffer { STORAGE_T b[]; };
layout(set = 0, binding = 2, std430) readonly buffer BiasBuffer { STORAGE_T bias[]; };
layout(set = 0, binding = 3, std430) writeonly buffer CBuffer { STORAGE_T c[]; };

#define EPILOGUE_BIAS 1u
#define EPILOGUE_RELU 2u

// An operand's place in its buffer, in elements: element [batch, row, col] is at
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
  uint batch_base; // first batch of this dispatch (batches past the z group limit)
  Operand a;
  Operand b;
  uint bias_offset; // bias[n] is at bias_offset + n * bias_stride
  uint bias_stride;
  uint epilogue;    // EPILOGUE_* bits
}
p;

uint batch_offset(const Operand o, uint batch) {
  return o.offset + (batch / o.inner_count) * o.outer + (batch % o.inner_count) * o.inner;
}

// Stored k-major, so the inner loop reads a row of each.
shared float a_tile[TILE_K][TILE_M];
shared float b_tile[TILE_K][TILE_N];

void main() {
  const uint batch = gl_WorkGroupID.z + p.batch_base;
  const uint row0 = gl_WorkGroupID.y * TILE_M;
  const uint col0 = gl_WorkGroupID.x * TILE_N;
  const uint tx = gl_LocalInvocationID.x;
  const uint ty = gl_LocalInvocationID.y;
  const uint tid = ty * 16u + tx;
  const uint a_base = batch_offset(p.a, batch);
  const uint b_base = batch_offset(p.b, batch);

  float acc[4][4];
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.0;
  }

  for (uint k0 = 0u; k0 < p.k; k0 += TILE_K) {
    // Each invocation loads 4 elements of each slice; consecutive invocations take
    // consecutive k of A (a row-major A reads contiguously) and consecutive n of B.
    for (uint i = 0u; i < (TILE_M * TILE_K) / THREADS; ++i) {
      const uint e = tid + i * THREADS;
      const uint r = e / TILE_K;
      const uint kk = e % TILE_K;
      const uint row = row0 + r;
      const uint kg = k0 + kk;
      float v = 0.0;
      if (row < p.m && kg < p.k) v = LOAD(a[a_base + row * p.a.row + kg * p.a.col]);
      a_tile[kk][r] = v;
    }
    for (uint i = 0u; i < (TILE_K * TILE_N) / THREADS; ++i) {
      const uint e = tid + i * THREADS;
      const uint kk = e / TILE_N;
      const uint cc = e % TILE_N;
      const uint col = col0 + cc;
      const uint kg = k0 + kk;
      float v = 0.0;
      if (col < p.n && kg < p.k) v = LOAD(b[b_base + kg * p.b.row + col * p.b.col]);
      b_tile[kk][cc] = v;
    }
    barrier();

    for (uint kk = 0u; kk < TILE_K; ++kk) {
      float av[4];
      float bv[4];
      // Rows ty, ty + 16, ...: neighbouring invocations read neighbouring words.
      for (int i = 0; i < 4; ++i) av[i] = a_tile[kk][ty + 16u * uint(i)];
      for (int j = 0; j < 4; ++j) bv[j] = b_tile[kk][tx + 16u * uint(j)];
      for (int i = 0; i < 4; ++i) {
        for (int j = 0; j < 4; ++j) acc[i][j] = fma(av[i], bv[j], acc[i][j]);
      }
    }
    barrier();
  }

  const uint c_base = batch * p.m * p.n;
  for (int j = 0; j < 4; ++j) {
    const uint col = col0 + tx + 16u * uint(j);
    if (col >= p.n) continue;
    const bool has_bias = (p.epilogue & EPILOGUE_BIAS) != 0u;
    const float add = has_bias ? LOAD(bias[p.bias_offset + col * p.bias_stride]) : 0.0;
    for (int i = 0; i < 4; ++i) {
      const uint row = row0 + ty + 16u * uint(i);
      if (row >= p.m) continue;
      float v = has_bias ? acc[i][j] + add : acc[i][j];
      // As torch's relu: a NaN stays (a comparison with it is false), -0 becomes +0.
      if ((p.epilogue & EPILOGUE_RELU) != 0u && v <= 0.0) v = 0.0;
      c[c_base + row * p.n + col] = STORE(v);
    }
  }
}
