// thunder-bench-spirv-attention: ltorch.scaled_dot_product_attention on the spirv backend two
// ways, the fused attention kernel (shaders/attention.comp) and the decomposition it replaces
// (two products on the matmul kernel and the softmax as generated regions:
// RuntimeOptions::fused_attention = 0), on the same random inputs, through the torch edge as a
// model runs it (prepare_spirv_trace, run_spirv_trace: q, k and v uploaded, the output
// downloaded, each call: both ways copy the same bytes, so the difference in time is the
// kernels'). For each way: milliseconds per call (median of --iters warm calls), the peak
// device memory of a call, the largest error against torch in float64, and what ran (prims
// by executor, and generated regions: the fused way has none).
//
//   thunder-bench-spirv-attention [--shape B,H,L,E] [--dtype f32|f16|bf16] [--causal 0|1]
//                                 [--iters N]
//
// Default: GPT-2 small's heads at length 256, [1, 12, 256, 64], f32, causal, 5 calls. The
// device is whichever THUNDER_VK_DEVICE picks; on a CPU implementation (lavapipe) the figures
// are not GPU figures, and it says so.
#include "spirv_timing.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/spirv/spirv_torch.h"
#include "thunder/ops/ltorch.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace thunder;
using Clock = std::chrono::steady_clock;

struct Args {
  std::vector<std::int64_t> shape{1, 12, 256, 64};
  at::ScalarType dtype = at::kFloat;
  bool causal = true;
  int iters = 5;
};

std::optional<Args> parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "thunder-bench-spirv-attention: " << flag << " needs a value\n";
      return std::nullopt;
    }
    const std::string value = argv[++i];
    if (flag == "--shape") {
      a.shape.clear();
      std::stringstream in(value);
      for (std::string part; std::getline(in, part, ',');)
        a.shape.push_back(std::stoll(part));
      if (a.shape.size() != 4) {
        std::cerr << "thunder-bench-spirv-attention: --shape takes B,H,L,E, not " << value << "\n";
        return std::nullopt;
      }
    } else if (flag == "--dtype") {
      if (value == "f32") {
        a.dtype = at::kFloat;
      } else if (value == "f16") {
        a.dtype = at::kHalf;
      } else if (value == "bf16") {
        a.dtype = at::kBFloat16;
      } else {
        std::cerr << "thunder-bench-spirv-attention: --dtype takes f32, f16 or bf16\n";
        return std::nullopt;
      }
    } else if (flag == "--causal") {
      a.causal = value != "0";
    } else if (flag == "--iters") {
      a.iters = std::max(1, std::atoi(value.c_str()));
    } else {
      std::cerr << "usage: thunder-bench-spirv-attention [--shape B,H,L,E] [--dtype f32|f16|bf16] "
                   "[--causal 0|1] [--iters N]\n";
      return std::nullopt;
    }
  }
  return a;
}

struct Way {
  double ms = 0;
  std::uint64_t peak = 0;
  double max_abs = 0;
  std::string executors;
};

Way measure(const spirv::SpirvExecutor& executor, const Trace& trace,
            const std::vector<c10::IValue>& inputs, const at::Tensor& reference, int iters) {
  const Trace prepared =
      spirv::prepare_spirv_trace(trace, executor, spirv::TorchFallbackExecutor());
  Way w;
  ExecutionReport report; // of the last call: a run adds to the report it is given
  at::Tensor out = spirv::run_spirv_trace(executor, prepared, inputs, &report, true).at(0);
  std::vector<double> times;
  for (int i = 0; i < iters; ++i) {
    report = ExecutionReport();
    const auto start = Clock::now();
    out = spirv::run_spirv_trace(executor, prepared, inputs, &report, true).at(0);
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  w.ms = times[times.size() / 2];
  w.peak = report.peak_device_bytes;
  w.max_abs = (out.to(at::kDouble) - reference).abs().max().item<double>();
  for (const auto& [name, count] : report.prims)
    w.executors += str(w.executors.empty() ? "" : ", ", name, " ", count);
  w.executors += str(" prims, ", report.regions, " regions");
  return w;
}

} // namespace

int main(int argc, char** argv) {
  const std::optional<Args> args = parse(argc, argv);
  if (!args) return 1;
  try {
    const spirv::SpirvExecutor fused;
    if (!bench::print_device(fused)) return 2;
    const spirv::SpirvExecutor decomposed(spirv::RuntimeOptions{.fused_attention = 0});

    const Shape shape(args->shape.begin(), args->shape.end());
    TraceScope scope("attention");
    const DType dtype = from_scalar_type(args->dtype);
    const auto q = scope.input_tensor("q", shape, dtype);
    const auto k = scope.input_tensor("k", shape, dtype);
    const auto v = scope.input_tensor("v", shape, dtype);
    const Trace trace = scope.finish(Value(ltorch::scaled_dot_product_attention(
        q, k, v, Value(), 0.0, args->causal, Value(), /*enable_gqa=*/false)));
    at::manual_seed(7);
    std::vector<at::Tensor> host;
    for (int i = 0; i < 3; ++i)
      host.push_back(at::randn(args->shape, at::kFloat).to(args->dtype));
    const std::vector<c10::IValue> inputs(host.begin(), host.end());
    const at::Tensor reference = at::scaled_dot_product_attention(
        host[0].to(at::kDouble), host[1].to(at::kDouble), host[2].to(at::kDouble), {}, 0.0,
        args->causal);

    std::printf("sdpa %s [%lld, %lld, %lld, %lld]%s, %d warm calls each (median)\n",
                c10::toString(args->dtype), static_cast<long long>(shape[0]),
                static_cast<long long>(shape[1]), static_cast<long long>(shape[2]),
                static_cast<long long>(shape[3]), args->causal ? " causal" : "", args->iters);
    std::printf("%-28s %10s %14s %12s  %s\n", "way", "ms/call", "peak KiB", "max abs err",
                "what ran");
    const Way f = measure(fused, trace, inputs, reference, args->iters);
    const Way d = measure(decomposed, trace, inputs, reference, args->iters);
    for (const auto& [name, w] : {std::pair<const char*, const Way&>{"fused (attention.comp)", f},
                                  {"decomposed (matmul + softmax)", d}}) {
      std::printf("%-28s %10.3f %14.1f %12.3g  %s\n", name, w.ms,
                  static_cast<double>(w.peak) / 1024, w.max_abs, w.executors.c_str());
    }
    std::printf("fused / decomposed: %.2fx the time, %.2fx the peak memory\n", f.ms / d.ms,
                static_cast<double>(f.peak) / static_cast<double>(d.peak));
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "thunder-bench-spirv-attention: " << e.what() << "\n";
    return 1;
  }
}
