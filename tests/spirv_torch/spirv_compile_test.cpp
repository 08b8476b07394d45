// thunder::compile with backend "spirv": exported models (tests/models/export_models.py,
// ctest fixture exported_models) run with their elementwise and reduction work in spirv
// kernels and their matmuls on torch, and give what the torch backend gives. The last trace
// is the fusion trace, whose regions name the executor that runs them.
#include "thunder/compile.h"

#include "thunder/core/error.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/opdb/opdb.h"

#include "spirv_torch_test_util.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

namespace {

using thunder::spirv::testing::compile_for;

class SpirvCompile : public ::testing::TestWithParam<std::string> {};

TEST_P(SpirvCompile, ExportedModelMatchesTheTorchBackend) {
  THUNDER_SPIRV_MODEL_OR_SKIP(path, GetParam());
  const auto spirv = compile_for(path, "spirv");
  const auto torch = compile_for(path, "torch");
  EXPECT_EQ(spirv->backend(), "spirv");

  const std::vector<at::Tensor> inputs = thunder::load_sample_inputs(path);
  ASSERT_FALSE(inputs.empty());
  const std::vector<at::Tensor> got = spirv->forward(inputs);
  const std::vector<at::Tensor> want = torch->forward(inputs);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const thunder::opdb::Tolerance tol = thunder::opdb::model_tolerance(thunder::DType::Float32);
    const double max_abs = (got[i] - want[i]).abs().max().item<double>();
    std::cout << "[spirv] " << GetParam() << " output " << i << ": max abs difference from "
              << "the torch backend " << max_abs << "\n";
    EXPECT_TRUE(at::allclose(got[i], want[i], tol.rtol, tol.atol)) << "max abs " << max_abs;
  }

  // The last trace is the fused one (rematerialized, regions split where that lowers the
  // peak) with `del` after each intermediate's last use.
  const thunder::Trace& last = spirv->last_traces().back();
  EXPECT_EQ(last.provenance, "Delete Last Used");
  EXPECT_EQ(spirv->last_traces().end()[-2].provenance, "Split Regions For Memory");
  EXPECT_EQ(spirv->last_traces().end()[-3].provenance, "Rematerialization");
  EXPECT_EQ(spirv->last_traces().end()[-4].provenance, "Fusion");
  std::size_t spirv_prims = 0, torch_prims = 0, torch_non_matmul = 0;
  for (const thunder::BoundSymbol& b : last.bound_symbols) {
    if (b.symbol == &thunder::python_del()) continue;
    if (b.executor == "spirv") {
      spirv_prims += thunder::codegen::flatten_to_prims(b.subsymbols).size();
    } else {
      ++torch_prims;
      if (b.symbol->qualified_name() != "prims.matmul") ++torch_non_matmul;
    }
  }
  std::cout << "[spirv] " << GetParam() << ": " << spirv_prims << " prims in spirv regions, "
            << torch_prims << " calls on torch (" << torch_non_matmul << " not matmuls)\n";
  EXPECT_GT(spirv_prims, 0u) << last.to_string();
  // The MLP (linear, gelu tanh, slice, add) has nothing for torch but its matmuls.
  if (GetParam() == "mlp") {
    EXPECT_EQ(torch_non_matmul, 0u) << last.to_string();
  }
}

INSTANTIATE_TEST_SUITE_P(Models, SpirvCompile,
                         ::testing::Values("mlp", "attention", "cnn", "cumprod", "gpt2", "llama",
                                           "bert"));

TEST(SpirvCompileBackend, SpirvIsSelectableWhereTheDeviceIs) {
  try {
    EXPECT_EQ(thunder::select_backend("spirv"), "spirv");
  } catch (const thunder::BackendError& e) {
    // No device: the runtime's reason, never a silent torch.
    EXPECT_NE(std::string(e.what()).find("backend 'spirv' is not available: "), std::string::npos)
        << e.what();
  }
  // "auto" still means torch: spirv is chosen only by name for now.
  EXPECT_EQ(thunder::select_backend("auto"), "torch");
}

} // namespace
