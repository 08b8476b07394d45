// The op database on the cuda executor. Every sample of every op and dtype goes through
// assign_executors([cuda, torch]) + fuse, and every cuda region is rendered and compiled by
// NVRTC for sm_80 and sm_90: this runs in CI, where there is no GPU (compile-only mode),
// and a kernel that does not compile fails with its source and NVRTC's log. Where a GPU
// and driver are present, or thunder's CUDA host emulator stands in for them (ctest's
// Emulated.* run of this test, in CI), each sample also runs (run_cuda_trace) and is compared with the
// float64 reference by the database's tolerance rule, and the report must show which
// executor ran each prim. Without NVRTC the test is skipped with the loader's reason,
// unless the build found NVRTC (THUNDER_EXPECT_NVRTC), where a missing one is a failure.
#include "thunder/core/error.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/cuda/cuda_torch.h"
#include "thunder/opdb/opdb.h"
#include "thunder/passes/fusion.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace thunder::cuda {
namespace {

using namespace thunder::opdb;

const CudaExecutor& executor() {
  static const CudaExecutor cuda;
  return cuda;
}

// NVRTC, or a skip (a failure where the build found it) with the loader's reason.
#define REQUIRE_NVRTC()                                                                            \
  do {                                                                                             \
    try {                                                                                          \
      executor().compiler();                                                                       \
    } catch (const BackendError& e) {                                                              \
      if (std::getenv("THUNDER_EXPECT_NVRTC") != nullptr) FAIL() << e.what();                      \
      GTEST_SKIP() << "NVRTC not available here: " << e.what();                                    \
    }                                                                                              \
  } while (0)

// The device samples run on ("NVIDIA H100 ...", or the host emulator), or empty: none.
const std::string& device() {
  static const std::string description = [] {
    const Availability a = executor().availability();
    if (!a.available) {
      std::cout << "[cuda] no GPU run, compile-only: " << a.reason << "\n";
      return std::string();
    }
    return executor().runtime().description();
  }();
  return description;
}

// Kernels compiled across the whole suite (distinct sources), printed at the end.
std::map<std::string, std::size_t>& totals() {
  static std::map<std::string, std::size_t> t;
  return t;
}

// A small tensor's values, for failure messages.
std::string small_text(const at::Tensor& t) {
  if (t.numel() > 64) return str(t.sizes(), " (", t.numel(), " elements)");
  std::ostringstream os;
  os << t.flatten().to(at::kDouble);
  return os.str();
}

std::string inputs_text(const TracedSample& traced) {
  std::string out;
  for (const c10::IValue& v : traced.inputs)
    out += v.isTensor() ? small_text(v.toTensor()) + "; " : str(v.tagKind(), "; ");
  return out;
}

class CudaOpDatabase : public ::testing::TestWithParam<const OpInfo*> {};

TEST_P(CudaOpDatabase, EveryRegionCompilesAndMatchesTheReference) {
  REQUIRE_NVRTC();
  // ctest's Emulated.* run (and a GPU machine's script) must run the samples, not skip them.
  if (std::getenv("THUNDER_EXPECT_DEVICE") != nullptr && device().empty()) {
    FAIL() << "THUNDER_EXPECT_DEVICE is set, but the cuda executor has no device: "
           << executor().availability().reason;
  }
  const OpInfo& op = *GetParam();
  const TorchFallbackExecutor torch;
  const std::vector<GpuArch> archs{{8, 0}, {9, 0}};
  std::size_t regions = 0;
  for (const DType dtype : op.dtypes) {
    for (const Sample& sample : generate_samples(op, dtype)) {
      SCOPED_TRACE(str(sample.describe(op.name()), " [", torch_name(dtype), "]"));
      TracedSample traced;
      try {
        traced = trace_sample(op, sample);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "tracing threw: " << e.what();
        continue;
      }
      const Trace prepared = prepare_cuda_trace(traced.trace, executor(), torch);
      for (const BoundSymbol& b : prepared.bound_symbols) {
        if (b.executor == "cuda" && is_attention(b)) {
          // The fused attention kernel: compiled like a region, counted as one.
          ++regions;
          for (const GpuArch arch : archs) {
            try {
              ASSERT_FALSE(executor().compile_attention_for(b, arch)->code->image.empty());
            } catch (const ShaderError& e) {
              ADD_FAILURE() << e.what();
            }
          }
          continue;
        }
        if (b.executor != "cuda" || !is_fusion_region(b)) continue;
        ++regions;
        for (const GpuArch arch : archs) {
          try {
            const auto compiled = executor().compile_for(b, arch);
            ASSERT_FALSE(compiled->code->image.empty());
          } catch (const ShaderError& e) {
            ADD_FAILURE() << e.what();
          }
        }
      }
      if (device().empty()) continue;

      ExecutionReport report;
      std::vector<at::Tensor> results;
      try {
        results = run_cuda_trace(executor(), prepared, traced.inputs, &report, /*strict=*/true);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "cuda run threw: " << e.what() << "\n" << prepared.to_string();
        continue;
      }
      const std::vector<at::Tensor> torch_results =
          flatten_tensors(op.reference(RefArgs(sample, /*float64=*/false)));
      const std::vector<at::Tensor> references =
          flatten_tensors(op.reference(RefArgs(sample, /*float64=*/true)));
      ASSERT_EQ(results.size(), references.size());
      for (std::size_t i = 0; i < results.size(); ++i) {
        const DType result_dtype = from_scalar_type(torch_results[i].scalar_type());
        const Tolerance tolerance = is_floating(dtype) || !is_floating(result_dtype)
                                        ? op.tolerance(dtype)
                                        : default_tolerance(result_dtype);
        const Comparison c = compare(results[i], torch_results[i], references[i], tolerance);
        EXPECT_TRUE(c.pass) << "output " << i << ": " << c.rule << " (max abs error "
                            << c.max_abs << "); ran: " << report.to_string() << "\n"
                            << prepared.to_string() << "\ninputs: " << inputs_text(traced)
                            << "\ncuda: " << small_text(results[i])
                            << "\ntorch: " << small_text(torch_results[i]);
      }
      // What a region claimed ran in generated kernels, nothing of it on torch.
      if (report.regions > 0) {
        EXPECT_GT(report.prims["cuda"], 0u) << report.to_string();
      }
      EXPECT_TRUE(report.fallbacks.empty()) << report.to_string();
      totals()["samples run on " + device()] += 1;
      totals()["prims in cuda kernels"] += report.prims["cuda"];
      totals()["prims on torch"] += report.prims["torch"];
    }
  }
  totals()["regions compiled"] += regions;
  // Every op has elementwise, shape or reduction work the cuda executor takes, but these,
  // which are matrix products or aliases only (they run on torch).
  static const std::set<std::string> torch_only{"ltorch.alias", "ltorch.bmm", "ltorch.contiguous",
                                                "ltorch.dropout", "ltorch.mm"};
  if (torch_only.count(op.name()) == 0) {
    EXPECT_GT(regions, 0u) << op.name() << ": no sample made a cuda region (claims() said no?)";
  } else {
    EXPECT_EQ(regions, 0u) << op.name() << " now makes cuda regions: update the torch_only list";
  }
  std::cout << "[cuda] " << op.name() << ": " << regions << " regions compiled for sm_80 and "
            << "sm_90" << (device().empty() ? "" : ", run and checked on " + device()) << "\n";
}

std::string op_test_name(const ::testing::TestParamInfo<const OpInfo*>& info) {
  std::string name = info.param->name();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::vector<const OpInfo*> all_ops() {
  std::vector<const OpInfo*> ops;
  for (const OpInfo& op : op_database())
    ops.push_back(&op);
  return ops;
}

INSTANTIATE_TEST_SUITE_P(Ops, CudaOpDatabase, ::testing::ValuesIn(all_ops()), op_test_name);

class PrintTotals : public ::testing::Environment {
public:
  void TearDown() override {
    for (const auto& [what, n] : totals())
      std::cout << "[cuda] total " << what << ": " << n << "\n";
    try {
      const NvrtcCompiler& c = executor().compiler();
      std::cout << "[cuda] NVRTC " << c.version() << " at " << c.library_path() << ": "
                << c.compiles() << " compiles, " << c.memory_hits() << " memory hits, "
                << c.disk_hits() << " disk hits\n";
    } catch (const BackendError&) {
    }
  }
};
const auto* const print_totals = ::testing::AddGlobalTestEnvironment(new PrintTotals);

} // namespace
} // namespace thunder::cuda
