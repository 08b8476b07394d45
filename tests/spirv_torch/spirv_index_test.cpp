// Index-driven prims on the spirv executor (lavapipe in CI): iota, pad and cat are selects
// on index ranges, index_select a load at an index read from memory. Each runs in a spirv
// kernel (no fallback) and matches torch eager; an index out of range raises the error
// torch raises (IndexError there, thunder's ArgumentError here) instead of a wrong answer.
#include "thunder/executors/spirv/spirv_torch.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include "spirv_torch_test_util.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

using thunder::DType;
using thunder::Trace;
using thunder::Value;
using thunder::spirv::ExecutionReport;
using thunder::spirv::SpirvExecutor;
using thunder::spirv::TorchFallbackExecutor;
namespace lt = thunder::ltorch;
namespace prims = thunder::prims;

using thunder::spirv::testing::spirv;

struct SpirvRun {
  std::vector<at::Tensor> outputs;
  ExecutionReport report;
  Trace prepared;
};

SpirvRun run(const Trace& trace, const std::vector<at::Tensor>& inputs) {
  SpirvRun r;
  TorchFallbackExecutor torch;
  r.prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch);
  spirv().runtime().clear_validation_messages();
  try {
    r.outputs = thunder::spirv::run_spirv_trace(
        spirv(), r.prepared, std::vector<c10::IValue>(inputs.begin(), inputs.end()), &r.report);
  } catch (const thunder::Error&) {
    EXPECT_EQ(spirv().runtime().validation_messages(), std::vector<std::string>{});
    throw;
  }
  if (spirv().runtime().validation_enabled()) {
    EXPECT_EQ(spirv().runtime().validation_messages(), std::vector<std::string>{});
  }
  return r;
}

// Every prim of the trace ran in a spirv kernel.
void expect_all_on_spirv(const Trace& trace, const SpirvRun& r) {
  const std::size_t prims = thunder::codegen::flatten_to_prims(trace.bound_symbols).size();
  const auto it = r.report.prims.find("spirv");
  EXPECT_EQ(it == r.report.prims.end() ? 0u : it->second, prims) << r.prepared.to_string();
  EXPECT_TRUE(r.report.fallbacks.empty()) << r.report.to_string();
}

TEST(SpirvIndexOps, PadCatAndIotaRunInSpirv) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("pad_cat_iota");
  auto x = scope.input_tensor("x", {3, 4}, DType::Float32);
  auto y = scope.input_tensor("y", {3, 2}, DType::Float32);
  // Rows: one padded before, one cropped after; columns: two before, one after, one inside.
  auto padded = prims::pad(x, Value(-2.0), {{1, -1, 0}, {2, 1, 1}});
  auto positions = prims::iota(3, 5, 2, DType::Float32, thunder::Device::cpu());
  auto shifted = lt::add(y, lt::unsqueeze(positions, 1));
  const Trace trace = scope.finish(prims::cat({padded, shifted}, 1));

  const at::Tensor xt = at::arange(12, at::kFloat).reshape({3, 4});
  const at::Tensor yt = at::arange(6, at::kFloat).reshape({3, 2}) * -1;
  const SpirvRun r = run(trace, {xt, yt});
  // The same on torch: interior padding by hand (a zero-stuffed copy), then the edges.
  at::Tensor dilated = at::full({3, 7}, -2.0, at::kFloat);
  dilated.slice(1, 0, 7, 2).copy_(xt);
  const at::Tensor edges = at::constant_pad_nd(dilated, {2, 1, 1, -1}, -2.0);
  const at::Tensor expected =
      at::cat({edges, yt + at::arange(5, 11, 2, at::kFloat).unsqueeze(1)}, 1);
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_TRUE(at::equal(r.outputs[0], expected)) << r.outputs[0] << "\n" << expected;
  expect_all_on_spirv(trace, r);
}

Trace gather_trace(DType index_dtype) {
  thunder::TraceScope scope("gather_rows");
  auto table = scope.input_tensor("table", {5, 3}, DType::Float32);
  auto ids = scope.input_tensor("ids", {4}, index_dtype);
  return scope.finish(lt::mul(prims::index_select(table, 0, ids), 2.0));
}

TEST(SpirvIndexOps, IndexSelectRunsInSpirv) {
  THUNDER_SPIRV_OR_SKIP();
  const Trace trace = gather_trace(DType::Int32);
  const at::Tensor table = at::randn({5, 3}, at::kFloat);
  const at::Tensor ids = at::tensor({4, 0, 4, 2}, at::kInt);
  const SpirvRun r = run(trace, {table, ids});
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_TRUE(at::equal(r.outputs[0], at::index_select(table, 0, ids) * 2.0));
  expect_all_on_spirv(trace, r);
}

TEST(SpirvIndexOps, IndexOutOfRangeRaisesInsteadOfAWrongAnswer) {
  THUNDER_SPIRV_OR_SKIP();
  const Trace trace = gather_trace(DType::Int32);
  const at::Tensor table = at::randn({5, 3}, at::kFloat);
  for (const int bad : {5, -1, 1000000}) {
    const at::Tensor ids = at::tensor({0, bad, 1, 2}, at::kInt);
    EXPECT_THROW((void)at::index_select(table, 0, ids), c10::Error); // torch refuses it too
    try {
      (void)run(trace, {table, ids});
      ADD_FAILURE() << "index " << bad << " ran";
    } catch (const thunder::ArgumentError& e) {
      EXPECT_EQ(std::string(e.what()),
                "spirv executor: prims.index_select: index " + std::to_string(bad) +
                    " is out of range for dim 0 of table, which has 5 elements (torch: index "
                    "out of range in self); kernel spirv_fusion0");
    }
  }
}

// A first call planned by a dry run makes its arena before it runs; when the call fails (an
// index out of range), the arena goes again: nothing stays held, and the plan stays for the
// next call, which runs from a new arena.
TEST(SpirvIndexOps, AFailedPlannedFirstCallHoldsNoMemoryAfter) {
  THUNDER_SPIRV_OR_SKIP();
  TorchFallbackExecutor torch;
  const Trace prepared =
      thunder::spirv::prepare_spirv_trace(gather_trace(DType::Int32), spirv(), torch);
  const at::Tensor table = at::randn({5, 3}, at::kFloat);
  const std::uint64_t held = spirv().runtime().memory_stats().in_use;
  thunder::spirv::PlannedMemory plan;
  const auto call = [&](const at::Tensor& ids, ExecutionReport* report) {
    return thunder::spirv::run_spirv_trace(spirv(), prepared, {table, ids}, report,
                                           /*strict=*/true, nullptr, &plan);
  };
  EXPECT_THROW(call(at::tensor({0, 7, 1, 2}, at::kInt), nullptr), thunder::ArgumentError);
  EXPECT_TRUE(plan.planned()) << "the dry run planned the call";
  EXPECT_EQ(spirv().runtime().memory_stats().in_use, held) << "the arena went with the failed call";
  ExecutionReport report;
  const at::Tensor ids = at::tensor({4, 0, 4, 2}, at::kInt);
  const std::vector<at::Tensor> out = call(ids, &report);
  EXPECT_EQ(report.planned_bytes, plan.arena_bytes());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(at::equal(out[0], at::index_select(table, 0, ids) * 2.0));
  plan.clear();
  EXPECT_EQ(spirv().runtime().memory_stats().in_use, held);
}

TEST(SpirvIndexOps, GatherMatchesTorch) {
  // ltorch.gather maps positions out of range to one past the end, which index_select
  // refuses. (An int32 index is widened to int64 first; lavapipe (LLVM 15) gets int64
  // comparisons of a widened int32 wrong, see tests/conformance/expectations.txt.)
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("gather");
  auto a = scope.input_tensor("a", {3, 4}, DType::Float32);
  auto index = scope.input_tensor("index", {3, 2}, DType::Int64);
  const Trace trace = scope.finish(lt::gather(a, 1, index));
  const at::Tensor at_a = at::arange(12, at::kFloat).reshape({3, 4});
  const at::Tensor at_index = at::tensor({1, 0, 2, 3, 3, 0}, at::kLong).reshape({3, 2});
  const SpirvRun r = run(trace, {at_a, at_index});
  ASSERT_EQ(r.outputs.size(), 1u);
  EXPECT_TRUE(at::equal(r.outputs[0], at::gather(at_a, 1, at_index)))
      << r.outputs[0] << "\n" << r.prepared.to_string();
}

} // namespace
