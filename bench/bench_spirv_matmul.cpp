// thunder-bench-spirv-matmul: the spirv executor's matrix-product kernels on one Vulkan device
// (THUNDER_VK_DEVICE picks it): the tiled kernel (shaders/matmul.comp) and, for f16, the
// cooperative-matrix kernel (shaders/matmul_coop.comp) where the device has
// VK_NV_cooperative_matrix, and its emulation with --emulated. The kernels are timed, not the
// calls: A and B are uploaded once, and each kernel runs --iters times in one command buffer
// after a warm-up (bench/spirv_timing.h). For each: ms per product, TFLOP/s (2 M N K per
// product), the largest error against float64 on sampled rows, and the ratio to the tiled
// kernel's time. A kernel whose error is over twice the tiled kernel's fails it (exit 1).
//
//   thunder-bench-spirv-matmul [--shape M,N,K] [--batch B] [--dtype f32|f16|bf16] [--iters N]
//                              [--emulated]
//
// Default: [2048 x 2048] @ [2048 x 2048], f16, one batch, 20 iterations. Inputs are multiples
// of 1/64 in [-2, 2], exact in every dtype, so the only errors are the kernels' own.
#include "spirv_timing.h"

#include "../src/executors/spirv/builtin_kernels.h"

#include "thunder/core/error.h"
#include "thunder/executors/spirv/spirv_executor.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace thunder;
using namespace thunder::spirv;

struct Args {
  std::int64_t m = 2048, n = 2048, k = 2048, batch = 1;
  DType dtype = DType::Float16;
  int iters = 20;
  bool emulated = false;
};

std::optional<Args> parse(int argc, char** argv) {
  const char* usage = "usage: thunder-bench-spirv-matmul [--shape M,N,K] [--batch B] "
                      "[--dtype f32|f16|bf16] [--iters N] [--emulated]\n";
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--emulated") {
      a.emulated = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << usage;
      return std::nullopt;
    }
    const std::string value = argv[++i];
    if (flag == "--shape") {
      std::vector<std::int64_t> dims;
      std::stringstream in(value);
      for (std::string part; std::getline(in, part, ',');)
        dims.push_back(std::atoll(part.c_str()));
      if (dims.size() != 3 || *std::min_element(dims.begin(), dims.end()) < 1) {
        std::cerr << "thunder-bench-spirv-matmul: --shape takes M,N,K (each >= 1), not " << value
                  << "\n";
        return std::nullopt;
      }
      a.m = dims[0], a.n = dims[1], a.k = dims[2];
    } else if (flag == "--batch") {
      a.batch = std::max<std::int64_t>(1, std::atoll(value.c_str()));
    } else if (flag == "--dtype" && (value == "f32" || value == "f16" || value == "bf16")) {
      a.dtype = value == "f32" ? DType::Float32 : value == "f16" ? DType::Float16 : DType::BFloat16;
    } else if (flag == "--iters") {
      a.iters = std::max(1, std::atoi(value.c_str()));
    } else {
      std::cerr << usage;
      return std::nullopt;
    }
  }
  return a;
}

// The bits of `x` in `dtype`, for values that are exact in it (multiples of 1/64 in [-2, 2]).
std::uint32_t bits_of(float x, DType dtype) {
  const auto u = std::bit_cast<std::uint32_t>(x);
  if (dtype == DType::Float32) return u;
  if (dtype == DType::BFloat16) return u >> 16;
  return exact_f16_bits(x);
}

double value_of(std::uint32_t bits, DType dtype) {
  if (dtype == DType::Float32) return std::bit_cast<float>(bits);
  if (dtype == DType::BFloat16) return std::bit_cast<float>(bits << 16);
  const double sign = (bits & 0x8000u) != 0 ? -1.0 : 1.0;
  const int e = static_cast<int>((bits >> 10) & 0x1Fu);
  const double mantissa = static_cast<double>(bits & 0x3FFu);
  if (e == 0) return sign * std::ldexp(mantissa, -24);
  if (e == 31) return mantissa == 0 ? sign * INFINITY : NAN;
  return sign * std::ldexp(1024.0 + mantissa, e - 25);
}

// A host tensor of `count` elements of `dtype`: its bytes and its values.
struct HostTensor {
  std::vector<std::byte> bytes;
  std::vector<double> values;
};

HostTensor random_tensor(std::int64_t count, DType dtype, std::mt19937& rng) {
  std::uniform_int_distribution<int> sixty_fourths(-128, 128);
  const std::size_t size = dtype == DType::Float32 ? 4 : 2;
  HostTensor t;
  t.bytes.resize(static_cast<std::size_t>(count) * size);
  t.values.resize(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    const float x = static_cast<float>(sixty_fourths(rng)) / 64.0f;
    const std::uint32_t bits = bits_of(x, dtype);
    t.values[i] = x;
    std::memcpy(t.bytes.data() + i * size, &bits, size); // little-endian low bytes
  }
  return t;
}

} // namespace

int main(int argc, char** argv) {
  const std::optional<Args> args = parse(argc, argv);
  if (!args) return 1;
  try {
    SpirvExecutor spirv;
    if (!bench::print_device(spirv)) return 2;
    VulkanRuntime& rt = spirv.runtime();
    const Args& a = *args;
    const DType dtype = a.dtype;
    const std::size_t size = dtype == DType::Float32 ? 4 : 2;

    // The kernels to time, by the mode that selects each (matmul_module).
    std::vector<std::pair<CooperativeMatrix, std::string>> kernels{
        {CooperativeMatrix::Off, "tiled (matmul.comp)"}};
    if (dtype == DType::Float16) {
      if (rt.cooperative_matrix() == CooperativeMatrix::On) {
        kernels.emplace_back(CooperativeMatrix::On, "cooperative matrix (matmul_coop.comp)");
      } else {
        std::cout << "cooperative-matrix kernel: not run: " << rt.cooperative_matrix_reason()
                  << "\n";
      }
      if (a.emulated) {
        kernels.emplace_back(CooperativeMatrix::Emulated, "cooperative matrix, emulated");
      }
    } else if (a.emulated) {
      std::cout << "--emulated: the cooperative-matrix kernel takes f16 only\n";
    }

    std::mt19937 rng(7);
    const HostTensor host_a = random_tensor(a.batch * a.m * a.k, dtype, rng);
    const HostTensor host_b = random_tensor(a.batch * a.k * a.n, dtype, rng);
    Buffer buffer_a = rt.create_buffer(buffer_word_bytes(host_a.bytes.size()));
    Buffer buffer_b = rt.create_buffer(buffer_word_bytes(host_b.bytes.size()));
    const std::size_t c_bytes = static_cast<std::size_t>(a.batch * a.m * a.n) * size;
    Buffer buffer_c = rt.create_buffer(buffer_word_bytes(c_bytes));
    // C is filled with NaN before each kernel, so one that leaves an element unwritten shows
    // it as an infinite error instead of the previous kernel's answer.
    std::vector<std::byte> nan_c(c_bytes);
    for (std::size_t i = 0; i < c_bytes; i += size) {
      const std::uint32_t nan = dtype == DType::Float32   ? 0x7FC00000u
                                : dtype == DType::Float16 ? 0x7E00u
                                                          : 0x7FC0u;
      std::memcpy(nan_c.data() + i, &nan, size);
    }
    rt.upload(buffer_a, host_a.bytes);
    rt.upload(buffer_b, host_b.bytes);

    MatmulProblem problem{.batch = a.batch, .m = a.m, .n = a.n, .k = a.k};
    problem.a = {.offset = 0, .inner_count = 1, .outer = a.m * a.k, .inner = 0, .row = a.k,
                 .col = 1};
    problem.b = {.offset = 0, .inner_count = 1, .outer = a.k * a.n, .inner = 0, .row = a.n,
                 .col = 1};
    const std::vector<MatmulDispatch> planned = plan_matmul(problem);

    // Rows of the first and last batch checked against float64.
    std::vector<std::pair<std::int64_t, std::int64_t>> rows; // (batch, row)
    for (const std::int64_t b : {std::int64_t{0}, a.batch - 1}) {
      for (std::int64_t i = 0; i < 4; ++i)
        rows.emplace_back(b, i * (a.m - 1) / 3);
    }
    const double flop = 2.0 * static_cast<double>(a.batch * a.m) * static_cast<double>(a.n * a.k);
    std::printf("[%lld] x [%lld x %lld] @ [%lld x %lld], %s, %d products in one command buffer\n",
                static_cast<long long>(a.batch), static_cast<long long>(a.m),
                static_cast<long long>(a.k), static_cast<long long>(a.k),
                static_cast<long long>(a.n), std::string(torch_name(dtype)).c_str(), a.iters);
    std::printf("%-40s %-26s %10s %9s %13s %9s\n", "kernel", "module", "ms", "TFLOP/s",
                "max abs err", "vs tiled");
    double tiled_ms = 0, tiled_err = 0;
    bool failed = false;
    for (const auto& [mode, what] : kernels) {
      const std::string module = matmul_module(dtype, mode);
      const Pipeline& pipeline =
          spirv.builtin_kernels().pipeline(rt, module, matmul_layout(dtype, mode));
      std::vector<bench::TimedDispatch> dispatches;
      for (const MatmulDispatch& d : planned) {
        const auto* push = reinterpret_cast<const std::byte*>(&d.push);
        dispatches.push_back({&pipeline, {&buffer_a, &buffer_b, &buffer_a, &buffer_c},
                              std::vector<std::byte>(push, push + sizeof(d.push)), d.groups_x,
                              d.groups_y, d.groups_z, /*read_only=*/3});
      }
      rt.upload(buffer_c, nan_c);
      const double ms = bench::time_batches(rt, dispatches, a.iters);
      std::vector<std::byte> c(c_bytes);
      rt.download(buffer_c, c);
      double max_err = 0;
      for (const auto& [b, r] : rows) {
        for (std::int64_t j = 0; j < a.n; ++j) {
          double want = 0;
          for (std::int64_t kk = 0; kk < a.k; ++kk) {
            want += host_a.values[static_cast<std::size_t>((b * a.m + r) * a.k + kk)] *
                    host_b.values[static_cast<std::size_t>((b * a.k + kk) * a.n + j)];
          }
          std::uint32_t bits = 0;
          std::memcpy(&bits, c.data() + static_cast<std::size_t>((b * a.m + r) * a.n + j) * size,
                      size);
          const double err = std::abs(value_of(bits, dtype) - want);
          max_err = err <= max_err ? max_err : std::isnan(err) ? INFINITY : err;
        }
      }
      if (tiled_ms == 0) {
        tiled_ms = ms;
        tiled_err = max_err;
      }
      std::printf("%-40s %-26s %10.3f %9.3f %13.4g %8.2fx\n", what.c_str(), module.c_str(), ms,
                  flop / ms / 1e9, max_err, tiled_ms / ms);
      // Both accumulate in f32 and round once: only the order of the sums differs.
      if (max_err > 2 * tiled_err + 1e-6) {
        std::printf("FAIL: %s's error %g is over twice the tiled kernel's (%g)\n",
                    module.c_str(), max_err, tiled_err);
        failed = true;
      }
    }
    std::printf("(max abs err over %zu sampled rows against float64, the one rounding to %s "
                "included; vs tiled: the tiled kernel's time over this one's)\n",
                rows.size(), std::string(torch_name(dtype)).c_str());
    return failed ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "thunder-bench-spirv-matmul: " << e.what() << "\n";
    return 1;
  }
}
