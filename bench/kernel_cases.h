// The cases both generated-kernel benchmarks time (thunder-bench-cuda-kernels,
// thunder-bench-spirv-kernels): ltorch functions traced on [rows, 1024] tensors, then
// assigned to the one GPU executor and fused, so each case runs as the regions a model's
// trace gets (softmax as three kernels, as the fusion pass splits it). The figure of merit
// is the bytes an ideal fusion moves (each input read once, each output written once) per
// second, against a hand-written copy on the same device.
#pragma once

#include "thunder/core/trace.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/executor.h"
#include "thunder/ops/ltorch.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/fusion.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace thunder::bench {

inline constexpr std::int64_t kColumns = 1024;

/// --elements N (rounded down to whole rows of kColumns, at least one) and --iters K.
struct BenchArgs {
  std::int64_t elements = std::int64_t{1} << 26; // 64 Mi elements: 256 MiB of f32
  int iters = 20;
};

/// The arguments, or nullopt after printing the usage of `program`.
inline std::optional<BenchArgs> parse_bench_args(int argc, char** argv, const char* program) {
  BenchArgs args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--elements" && i + 1 < argc) {
      args.elements = std::atoll(argv[++i]);
    } else if (a == "--iters" && i + 1 < argc) {
      args.iters = std::atoi(argv[++i]);
    } else {
      std::cerr << "usage: " << program << " [--elements N] [--iters K]\n";
      return std::nullopt;
    }
  }
  args.elements = std::max<std::int64_t>(args.elements / kColumns, 1) * kColumns;
  args.iters = std::max(args.iters, 1);
  return args;
}

struct KernelCase {
  std::string name;
  Trace trace; ///< As traced.
  Trace fused; ///< After assign_executors and fuse with the GPU executor alone.
};

inline std::size_t bytes_of(const Shape& shape, DType dtype) {
  std::size_t n = static_cast<std::size_t>(item_size(dtype));
  for (const std::int64_t e : shape)
    n *= static_cast<std::size_t>(e);
  return n;
}

/// Each trace input read once and each output written once.
inline std::size_t ideal_bytes(const Trace& trace) {
  std::size_t bytes = 0;
  const auto add = [&](const Proxy& p) {
    if (p.kind() != ProxyKind::Tensor) return;
    const auto& t = static_cast<const TensorProxy&>(p);
    bytes += bytes_of(t.shape(), t.dtype());
  };
  for (const Value& input : trace.inputs)
    input.for_each_proxy(add);
  trace.output.for_each_proxy(add);
  return bytes;
}

/// The cases on `elements` elements ([elements / 1024, 1024]), fused for `gpu`.
inline std::vector<KernelCase> kernel_cases(std::int64_t elements, const Executor& gpu) {
  const Shape shape{elements / kColumns, kColumns};
  std::vector<KernelCase> cases;
  const auto add = [&](const std::string& name, DType dtype, auto&& body) {
    TraceScope scope(name);
    auto x = scope.input_tensor("x", shape, dtype);
    auto w = scope.input_tensor("w", {kColumns}, dtype);
    Trace trace = scope.finish(body(x, w));
    Trace fused = fuse(assign_executors(trace, {&gpu}), {&gpu});
    cases.push_back({name, std::move(trace), std::move(fused)});
  };
  add("add_bias_f32", DType::Float32, [](auto x, auto w) { return ltorch::add(x, w); });
  for (const DType dtype : {DType::Float32, DType::BFloat16}) {
    add(str("gelu_tanh_bias_", short_name(dtype)), dtype,
        [](auto x, auto w) { return ltorch::gelu(ltorch::add(x, w), "tanh"); });
  }
  add("softmax_rows_f32", DType::Float32,
      [](auto x, auto w) { return ltorch::softmax(ltorch::mul(x, w), 1); });
  add("layer_norm_f32", DType::Float32,
      [](auto x, auto w) { return ltorch::layer_norm(x, {kColumns}, w, w, 1e-5); });
  add("rms_norm_bf16", DType::BFloat16,
      [](auto x, auto w) { return ltorch::rms_norm(x, {kColumns}, w, 1e-6); });
  return cases;
}

} // namespace thunder::bench
