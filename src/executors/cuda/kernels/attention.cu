// thunder's fused attention kernel (ltorch.scaled_dot_product_attention on the cuda
// executor), after FlashAttention-2: one block per (batch, tile of BLOCK_M queries); the
// keys and values go through shared memory BLOCK_N at a time, and each query row keeps a
// running max and sum (online softmax) and its output accumulators, all in f32, so the
// [L, S] attention weights never reach memory. Plain FMA, no tensor cores.
//
// The executor prepends the configuration (one source, and one NVRTC compile, per value):
//   THUNDER_ATTN_DTYPE     0 f32, 1 f16, 2 bf16 (query, key, value and output)
//   THUNDER_ATTN_MASK      0 none, 1 bool (true: attend), 2 additive f32, 3 additive dtype
//   THUNDER_ATTN_CAUSAL    1: query i attends keys j <= i (torch's tril(ones(L, S)))
//   THUNDER_ATTN_HEAD_DIM  E and Ev rounded up to a multiple of 32, at most 128
//   THUNDER_ATTN_BLOCK_M   query rows per block (a multiple of 16)
//   THUNDER_ATTN_BLOCK_N   keys per step: 32, one per lane
// It is launched with 128 threads a block (4 warps) and a one-dimensional grid of
// batch x ceil(L / BLOCK_M) blocks; everything else comes in ThunderAttentionParams, whose
// layout is AttentionParams' in include/thunder/executors/cuda/fused_attention.h.
//
// The arithmetic follows the decomposition (src/ops/ltorch/nn.cpp) that it replaces:
// q * scale, then the dot products, plus the mask (a masked score gets -inf added), then
// a softmax whose max is taken as 0 for a row of only -inf and whose sum as 1 when it is
// 0, so a fully masked row comes out as 0 * v (zeros), as torch's; a NaN stays a NaN.
// Without __CUDA_ARCH__ this is thunder's CUDA host emulator's build of the same source.

#define THUNDER_ATTN_THREADS 128
// The output: a thread's rows are warp + 4 i, its columns lane + 32 j.
#define THUNDER_ATTN_ROWS_PER_THREAD (THUNDER_ATTN_BLOCK_M / 4)
#define THUNDER_ATTN_COLS_PER_THREAD (THUNDER_ATTN_HEAD_DIM / 32)
// The scores: a thread's rows are tid / 8 + 16 i, its keys tid % 8 + 8 j (a 2-D tile, so
// each value read from shared memory feeds several products).
#define THUNDER_ATTN_SCORE_ROWS (THUNDER_ATTN_BLOCK_M / 16)
#define THUNDER_ATTN_SCORE_KEYS (THUNDER_ATTN_BLOCK_N / 8)
// Row strides of the shared tiles, one more than their width: lanes reading one column of
// different rows hit different banks.
#define THUNDER_ATTN_Q_STRIDE (THUNDER_ATTN_HEAD_DIM + 1)
#define THUNDER_ATTN_KV_STRIDE (THUNDER_ATTN_HEAD_DIM + 1)
#define THUNDER_ATTN_S_STRIDE (THUNDER_ATTN_BLOCK_N + 1)

#if THUNDER_ATTN_BLOCK_N != 32 || THUNDER_ATTN_HEAD_DIM % 32 != 0 || THUNDER_ATTN_BLOCK_M % 16 != 0
#error "thunder attention: BLOCK_N must be 32, HEAD_DIM a multiple of 32, BLOCK_M of 16"
#endif

struct ThunderAttentionParams {
  long long batch[4];   // the output's batch dims, padded in front with 1s; dim 3: heads
  long long q_batch[4]; // each operand's strides (elements) along them; 0: broadcast
  long long k_batch[4];
  long long v_batch[4];
  long long m_batch[4];
  long long o_batch[4];
  long long q_row, q_col, k_row, k_col, v_row, v_col, m_row, m_col, o_row;
  long long k_group; // grouped query attention: key head = output head / k_group
  long long v_group;
  int L, S, E, Ev;
  int q_tiles; // blocks per batch element: ceil(L / BLOCK_M)
  float scale;
};

__device__ __forceinline__ float thunder_attn_neg_inf() {
  return __uint_as_float(0xFF800000u);
}

#if THUNDER_ATTN_DTYPE == 0
typedef float thunder_attn_t;
__device__ __forceinline__ float thunder_attn_to_float(float x) {
  return x;
}
__device__ __forceinline__ float thunder_attn_from_float(float x) {
  return x;
}
#elif THUNDER_ATTN_DTYPE == 1
typedef unsigned short thunder_attn_t;
__device__ __forceinline__ float thunder_attn_to_float(unsigned short h) {
#ifdef __CUDA_ARCH__
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
#else
  return thunder_host_f16_to_float(h);
#endif
}
// Round to nearest even, as torch's conversions.
__device__ __forceinline__ unsigned short thunder_attn_from_float(float f) {
#ifdef __CUDA_ARCH__
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
#else
  return thunder_host_float_to_f16(f);
#endif
}
#else
typedef unsigned short thunder_attn_t;
__device__ __forceinline__ float thunder_attn_to_float(unsigned short b) {
  return __uint_as_float(((unsigned int)b) << 16);
}
// Round to nearest even; NaN stays a quiet NaN.
__device__ __forceinline__ unsigned short thunder_attn_from_float(float x) {
  unsigned int u = __float_as_uint(x);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (unsigned short)0x7FC0u;
  return (unsigned short)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}
#endif

#if THUNDER_ATTN_MASK == 1
typedef unsigned char thunder_attn_mask_t;
#elif THUNDER_ATTN_MASK == 2
typedef float thunder_attn_mask_t;
#elif THUNDER_ATTN_MASK == 3
typedef thunder_attn_t thunder_attn_mask_t;
#endif

extern "C" __global__ void __launch_bounds__(THUNDER_ATTN_THREADS)
thunder_attention(const thunder_attn_t* __restrict__ q, const thunder_attn_t* __restrict__ k,
                  const thunder_attn_t* __restrict__ v,
#if THUNDER_ATTN_MASK != 0
                  const thunder_attn_mask_t* __restrict__ mask,
#endif
                  thunder_attn_t* __restrict__ out, ThunderAttentionParams p) {
  const int BM = THUNDER_ATTN_BLOCK_M;
  const int BN = THUNDER_ATTN_BLOCK_N;
  const int D = THUNDER_ATTN_HEAD_DIM;
  const int RPT = THUNDER_ATTN_ROWS_PER_THREAD;
  const int CPT = THUNDER_ATTN_COLS_PER_THREAD;
  __shared__ float q_tile[THUNDER_ATTN_BLOCK_M * THUNDER_ATTN_Q_STRIDE];
  __shared__ float kv_tile[THUNDER_ATTN_BLOCK_N * THUNDER_ATTN_KV_STRIDE];
  __shared__ float s_tile[THUNDER_ATTN_BLOCK_M * THUNDER_ATTN_S_STRIDE];
  __shared__ float row_max[THUNDER_ATTN_BLOCK_M];
  __shared__ float row_sum[THUNDER_ATTN_BLOCK_M];
  __shared__ float row_alpha[THUNDER_ATTN_BLOCK_M];

  const int tid = (int)threadIdx.x;
  const int warp = tid / 32;
  const int lane = tid % 32;
  const long long batch = (long long)blockIdx.x / p.q_tiles;
  const int q0 = (int)((long long)blockIdx.x % p.q_tiles) * BM;

  // Where this batch element starts in each operand.
  long long qo = 0, ko = 0, vo = 0, mo = 0, oo = 0;
  long long rest = batch;
  for (int d = 3; d >= 0; --d) {
    const long long i = rest % p.batch[d];
    rest /= p.batch[d];
    qo += i * p.q_batch[d];
    ko += (d == 3 ? i / p.k_group : i) * p.k_batch[d];
    vo += (d == 3 ? i / p.v_group : i) * p.v_batch[d];
    mo += i * p.m_batch[d];
    oo += i * p.o_batch[d];
  }
#if THUNDER_ATTN_MASK == 0
  (void)mo;
#endif

  // The query tile, times the scale (as the decomposition scales q), zero past L and E.
  for (int idx = tid; idx < BM * D; idx += THUNDER_ATTN_THREADS) {
    const int r = idx / D, c = idx % D;
    float x = 0.0f;
    if (q0 + r < p.L && c < p.E)
      x = thunder_attn_to_float(q[qo + (long long)(q0 + r) * p.q_row + (long long)c * p.q_col]) *
          p.scale;
    q_tile[r * THUNDER_ATTN_Q_STRIDE + c] = x;
  }
  if (tid < BM) {
    row_max[tid] = thunder_attn_neg_inf();
    row_sum[tid] = 0.0f;
  }

  // This thread's output rows are warp + 4 i, its columns lane + 32 j.
  float acc[RPT][CPT];
#pragma unroll
  for (int i = 0; i < RPT; ++i)
#pragma unroll
    for (int j = 0; j < CPT; ++j)
      acc[i][j] = 0.0f;

  int kv_end = p.S;
#if THUNDER_ATTN_CAUSAL
  // Keys past the block's last query are masked for all of its rows.
  kv_end = min(p.S, q0 + BM);
#endif
  for (int k0 = 0; k0 < kv_end; k0 += BN) {
    for (int idx = tid; idx < BN * D; idx += THUNDER_ATTN_THREADS) {
      const int r = idx / D, c = idx % D;
      float x = 0.0f;
      if (k0 + r < p.S && c < p.E)
        x = thunder_attn_to_float(k[ko + (long long)(k0 + r) * p.k_row + (long long)c * p.k_col]);
      kv_tile[r * THUNDER_ATTN_KV_STRIDE + c] = x;
    }
    __syncthreads(); // the key tile is loaded (and the query tile, the first time)

    const int SR = THUNDER_ATTN_SCORE_ROWS;
    const int SK = THUNDER_ATTN_SCORE_KEYS;
    const int score_row = tid / 8, score_key = tid % 8;
    float s[SR][SK];
#pragma unroll
    for (int i = 0; i < SR; ++i)
#pragma unroll
      for (int j = 0; j < SK; ++j)
        s[i][j] = 0.0f;
#pragma unroll 8
    for (int c = 0; c < D; ++c) {
      float qc[SR], kc[SK];
#pragma unroll
      for (int i = 0; i < SR; ++i)
        qc[i] = q_tile[(score_row + 16 * i) * THUNDER_ATTN_Q_STRIDE + c];
#pragma unroll
      for (int j = 0; j < SK; ++j)
        kc[j] = kv_tile[(score_key + 8 * j) * THUNDER_ATTN_KV_STRIDE + c];
#pragma unroll
      for (int i = 0; i < SR; ++i)
#pragma unroll
        for (int j = 0; j < SK; ++j)
          s[i][j] += qc[i] * kc[j];
    }
#pragma unroll
    for (int i = 0; i < SR; ++i) {
      const int row = q0 + score_row + 16 * i;
#pragma unroll
      for (int j = 0; j < SK; ++j) {
        const int key = k0 + score_key + 8 * j;
        float x = s[i][j];
        if (key >= p.S) {
          x = thunder_attn_neg_inf(); // past the keys: no weight at all
        } else {
#if THUNDER_ATTN_CAUSAL
          if (key > row) x += thunder_attn_neg_inf();
#elif THUNDER_ATTN_MASK != 0
          if (row < p.L) {
            const thunder_attn_mask_t m =
                mask[mo + (long long)row * p.m_row + (long long)key * p.m_col];
#if THUNDER_ATTN_MASK == 1
            if (m == 0) x += thunder_attn_neg_inf();
#elif THUNDER_ATTN_MASK == 2
            x += m;
#else
            x += thunder_attn_to_float(m);
#endif
          }
#endif
        }
        s_tile[(score_row + 16 * i) * THUNDER_ATTN_S_STRIDE + score_key + 8 * j] = x;
      }
    }
    __syncthreads(); // the scores are in s_tile; the key tile is no longer read

    // The online softmax: a thread per row updates its max and sum, turns the scores into
    // exp(score - max), and says by how much the accumulators shrink (alpha); meanwhile the
    // others load the value tile where the keys were.
    if (tid < BM) {
      float* row = s_tile + tid * THUNDER_ATTN_S_STRIDE;
      const float m_old = row_max[tid];
      float m = m_old;
      for (int c = 0; c < BN; ++c)
        m = fmaxf(m, row[c]);
      const float m_use = m == thunder_attn_neg_inf() ? 0.0f : m;
      const float alpha = m_old == thunder_attn_neg_inf() ? 0.0f : expf(m_old - m_use);
      float sum = 0.0f;
      for (int c = 0; c < BN; ++c) {
        const float e = expf(row[c] - m_use);
        row[c] = e;
        sum += e;
      }
      row_max[tid] = m;
      row_sum[tid] = row_sum[tid] * alpha + sum;
      row_alpha[tid] = alpha;
    }
    for (int idx = tid; idx < BN * D; idx += THUNDER_ATTN_THREADS) {
      const int r = idx / D, c = idx % D;
      float x = 0.0f;
      if (k0 + r < p.S && c < p.Ev)
        x = thunder_attn_to_float(v[vo + (long long)(k0 + r) * p.v_row + (long long)c * p.v_col]);
      kv_tile[r * THUNDER_ATTN_KV_STRIDE + c] = x;
    }
    __syncthreads(); // weights, alphas and the value tile are ready

#pragma unroll
    for (int i = 0; i < RPT; ++i) {
      const float a = row_alpha[warp + 4 * i];
#pragma unroll
      for (int j = 0; j < CPT; ++j)
        acc[i][j] *= a;
    }
#pragma unroll 4
    for (int c = 0; c < BN; ++c) {
      float vc[CPT];
#pragma unroll
      for (int j = 0; j < CPT; ++j)
        vc[j] = kv_tile[c * THUNDER_ATTN_KV_STRIDE + lane + 32 * j];
#pragma unroll
      for (int i = 0; i < RPT; ++i) {
        const float w = s_tile[(warp + 4 * i) * THUNDER_ATTN_S_STRIDE + c];
#pragma unroll
        for (int j = 0; j < CPT; ++j)
          acc[i][j] += w * vc[j];
      }
    }
    __syncthreads(); // done with this step's tiles before the next one overwrites them
  }

  __syncthreads(); // the row sums are written (also where there was no key to loop over)
  // A sum of 0 (every key masked, or no key at all) divides by 1, as the decomposition.
#pragma unroll
  for (int i = 0; i < RPT; ++i) {
    const int row = q0 + warp + 4 * i;
    if (row >= p.L) continue;
    const float l = row_sum[warp + 4 * i];
    const float divisor = l == 0.0f ? 1.0f : l;
#pragma unroll
    for (int j = 0; j < CPT; ++j) {
      const int c = lane + 32 * j;
      if (c < p.Ev) out[oo + (long long)row * p.o_row + c] = thunder_attn_from_float(acc[i][j] / divisor);
    }
  }
}
