// The exported models (tests/models/export_models.py and export_transformers.py) on the
// cuda executor: every fusion region their traces make is rendered and NVRTC-compiled for
// sm_80 and sm_90 (CI, no GPU); where a GPU is present, thunder::compile with backend
// "cuda" runs them and must give what the torch backend gives, within the model tolerance.
#include "thunder/compile.h"
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
#include <string>
#include <vector>

namespace thunder::cuda {
namespace {

std::string model_path(const std::string& name) {
  const char* dir = std::getenv("THUNDER_TEST_MODELS");
  return dir == nullptr ? std::string() : std::string(dir) + "/" + name + ".pt2";
}

class CudaModels : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaModels, EveryRegionCompilesForSm80AndSm90) {
  const std::string path = model_path(GetParam());
  if (path.empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  const CudaExecutor cuda;
  try {
    cuda.compiler();
  } catch (const BackendError& e) {
    if (std::getenv("THUNDER_EXPECT_NVRTC") != nullptr) FAIL() << e.what();
    GTEST_SKIP() << "NVRTC not available here: " << e.what();
  }
  Options options;
  options.backend = "torch";
  const auto module = compile(path, options);
  const Trace prepared =
      prepare_cuda_trace(module->last_traces().back(), cuda, TorchFallbackExecutor());
  std::size_t regions = 0, prims = 0;
  for (const BoundSymbol& b : prepared.bound_symbols) {
    if (b.executor != "cuda" || !is_fusion_region(b)) continue;
    ++regions;
    prims += codegen::flatten_to_prims(b.subsymbols).size();
    for (const GpuArch arch : {GpuArch{8, 0}, GpuArch{9, 0}}) {
      try {
        EXPECT_FALSE(cuda.compile_for(b, arch)->code->image.empty());
      } catch (const ShaderError& e) {
        ADD_FAILURE() << e.what();
      }
    }
  }
  std::cout << "[cuda] " << GetParam() << ": " << regions << " regions (" << prims
            << " prims) compiled for sm_80 and sm_90\n";
  EXPECT_GT(regions, 0u) << prepared.to_string();
}

// The model's file and a cuda backend to run it on, or the test is skipped with the reason
// (failed where THUNDER_EXPECT_DEVICE says a device is there).
#define THUNDER_CUDA_MODEL_OR_SKIP(path)                                                           \
  do {                                                                                             \
    if ((path).empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";          \
    try {                                                                                          \
      select_backend("cuda");                                                                      \
    } catch (const BackendError& e) {                                                              \
      if (std::getenv("THUNDER_EXPECT_DEVICE") != nullptr) FAIL() << e.what();                     \
      GTEST_SKIP() << e.what();                                                                    \
    }                                                                                              \
  } while (0)

TEST_P(CudaModels, RunsOnTheDeviceLikeTheTorchBackend) {
  const std::string path = model_path(GetParam());
  THUNDER_CUDA_MODEL_OR_SKIP(path);
  Options cuda_options;
  cuda_options.backend = "cuda";
  const auto on_cuda = compile(path, cuda_options);
  Options torch_options;
  torch_options.backend = "torch";
  const auto on_torch = compile(path, torch_options);
  const std::vector<at::Tensor> inputs = load_sample_inputs(path);
  ASSERT_FALSE(inputs.empty());
  const std::vector<at::Tensor> got = on_cuda->forward(inputs);
  const std::vector<at::Tensor> want = on_torch->forward(inputs);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const opdb::Tolerance tol = opdb::model_tolerance(from_scalar_type(want[i].scalar_type()));
    const double max_abs =
        (got[i].to(at::kDouble) - want[i].to(at::kDouble)).abs().max().item<double>();
    std::cout << "[cuda] " << GetParam() << " on " << on_cuda->device() << ", output " << i
              << ": max abs difference from the torch backend " << max_abs << "\n";
    EXPECT_TRUE(at::allclose(got[i], want[i], tol.rtol, tol.atol)) << "max abs " << max_abs;
  }
  // Which executor ran what: generated kernels, and on torch only what cuda does not claim.
  const Trace& last = on_cuda->last_traces().back();
  std::size_t cuda_prims = 0;
  std::map<std::string, std::size_t> on_torch_by_symbol;
  for (const BoundSymbol& b : last.bound_symbols) {
    if (b.symbol == &python_del()) continue;
    if (b.executor == "cuda") { // a region's prims, or a matmul on cuBLASLt
      cuda_prims += b.symbol->ns == SymbolNamespace::Fusion
                        ? codegen::flatten_to_prims(b.subsymbols).size()
                        : 1;
    } else {
      ++on_torch_by_symbol[b.symbol->qualified_name()];
    }
  }
  std::string torch_calls;
  for (const auto& [name, n] : on_torch_by_symbol)
    torch_calls += str(torch_calls.empty() ? "" : ", ", name, " x", n);
  std::cout << "[cuda] " << GetParam() << ": " << cuda_prims << " prims on cuda; on "
            << "torch: " << (torch_calls.empty() ? "nothing" : torch_calls) << "\n";
  EXPECT_GT(cuda_prims, 0u) << last.to_string();
  // The MLP (linear, gelu tanh, slice, add) has nothing for torch but its matmuls.
  if (GetParam() == "mlp") {
    for (const auto& [name, n] : on_torch_by_symbol)
      EXPECT_EQ(name, "prims.matmul") << last.to_string();
  }
}

// Options::cuda_graphs: the first call warms up, the second is captured, the third (with
// other input values) replayed, and each gives what launching kernel by kernel gives.
TEST_P(CudaModels, ReplaysAsACudaGraphLikeKernelByKernel) {
  const std::string path = model_path(GetParam());
  THUNDER_CUDA_MODEL_OR_SKIP(path);
  Options options;
  options.backend = "cuda";
  options.cuda_graphs = 0;
  const auto plain = compile(path, options);
  options.cuda_graphs = 1;
  const auto graphed = compile(path, options);
  const std::vector<at::Tensor> sample = load_sample_inputs(path);
  // Other values of the same layout: floats scaled, token ids and masks reversed.
  std::vector<at::Tensor> other;
  for (const at::Tensor& t : sample)
    other.push_back(t.is_floating_point() ? t * 0.5 + 0.25 : t.flip(-1).contiguous());
  (void)plain->forward(sample);
  EXPECT_EQ(plain->stats().cuda_graph, "");
  // A model with a call on torch (cumprod) runs without a graph and says why.
  std::string on_torch;
  for (const BoundSymbol& b : plain->last_traces().back().bound_symbols) {
    if (b.symbol != &python_del() && b.executor != "cuda" && on_torch.empty())
      on_torch = b.symbol->qualified_name();
  }
  for (const std::string expected : {"warm-up", "captured", "replayed"}) {
    const std::vector<at::Tensor>& inputs = expected == "replayed" ? other : sample;
    const std::vector<at::Tensor> want = plain->forward(inputs);
    const std::vector<at::Tensor> got = graphed->forward(inputs);
    if (on_torch.empty()) {
      EXPECT_EQ(graphed->stats().cuda_graph.substr(0, expected.size()), expected);
    } else {
      EXPECT_EQ(graphed->stats().cuda_graph, "not used: " + on_torch + " runs on torch");
    }
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(at::allclose(got[i], want[i], 1e-5, 1e-6))
          << GetParam() << " output " << i << " (" << expected << "): max abs difference "
          << (got[i].to(at::kDouble) - want[i].to(at::kDouble)).abs().max().item<double>();
    }
  }
}

TEST(CompileDevice, BadDevicesAreErrorsThatSayWhy) {
  const std::string path = model_path("mlp");
  if (path.empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  Options options;
  options.backend = "torch";
  options.device = "vulkan";
  try {
    compile(path, options);
    FAIL() << "a model compiled for a vulkan device";
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("Options::device 'vulkan': thunder runs models on cpu or "
                                         "cuda[:N]"),
              std::string::npos)
        << e.what();
  }
  options.device = "cpu";
  EXPECT_EQ(compile(path, options)->device(), "cpu");
  // auto takes cuda only for a model on a CUDA device: a CPU model stays on torch.
  EXPECT_EQ(select_backend("auto", "cpu"), "torch");
  EXPECT_EQ(select_backend("auto"), "torch");
  if (!at::hasCUDA()) {
    options.device = "cuda";
    try {
      compile(path, options);
      FAIL() << "weights moved to CUDA by a LibTorch without CUDA";
    } catch (const BackendError& e) {
      EXPECT_NE(std::string(e.what()).find("Options::device 'cuda': LibTorch cannot move"),
                std::string::npos)
          << e.what();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, CudaModels,
                         ::testing::Values("mlp", "attention", "cnn", "cumprod", "gpt2", "llama",
                                           "bert"));

} // namespace
} // namespace thunder::cuda
