// The kernel IR built from regions of prims: inputs and outputs, index arithmetic through
// broadcasts and permutes, reductions as loops, and the exact errors for what it refuses.
#include "thunder/executors/codegen/kernel_ir.h"

#include "codegen_test_util.h"
#include "thunder/core/error.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include <gtest/gtest.h>

namespace thunder::codegen {
namespace {

using thunder::testing::Region;
using thunder::testing::region_of;

template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

int count_kind(const Kernel& kernel, NodeKind kind) {
  int n = 0;
  for (const Node& node : kernel.nodes)
    n += node.kind == kind ? 1 : 0;
  return n;
}

TEST(KernelIr, InputsOutputsAndBroadcastIndex) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto bias = scope.input_tensor("bias", {64}, DType::Float32);
  auto y = ltorch::add(x, bias);
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()});
  // Inputs come in order of first use: ltorch.add broadcasts bias before it adds.
  ASSERT_EQ(kernel.inputs.size(), 2u);
  EXPECT_EQ(kernel.inputs[0].name, "bias");
  EXPECT_EQ(kernel.inputs[0].shape, (Shape{64}));
  EXPECT_EQ(kernel.inputs[1].name, "x");
  EXPECT_EQ(kernel.inputs[1].strides, (Strides{64, 1}));
  ASSERT_EQ(kernel.outputs.size(), 1u);
  EXPECT_EQ(kernel.outputs[0].shape, (Shape{8, 64}));
  EXPECT_EQ(kernel.num_invocations, 512);
  EXPECT_EQ(kernel.loops.size(), 1u); // no reduction
  // x is read at the invocation index itself; bias at (idx % 64).
  std::map<std::int64_t, const Node*> loads;
  for (const Node& n : kernel.nodes) {
    if (n.kind == NodeKind::Load) loads[n.integer] = &n;
  }
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_EQ(kernel.nodes[static_cast<std::size_t>(loads[1]->operands[0])].kind,
            NodeKind::ThreadIndex);
  const Node& bias_offset = kernel.nodes[static_cast<std::size_t>(loads[0]->operands[0])];
  EXPECT_EQ(bias_offset.kind, NodeKind::IndexMod);
  // Operands come before their users.
  for (std::size_t i = 0; i < kernel.nodes.size(); ++i) {
    for (const NodeId op : kernel.nodes[i].operands)
      EXPECT_LT(static_cast<std::size_t>(op), i);
  }
}

TEST(KernelIr, SharedSubexpressionsAreComputedOnce) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {16}, DType::Float32);
  // x * x * x: one load of x.
  auto y = ltorch::mul(ltorch::mul(x, x), x);
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()});
  EXPECT_EQ(count_kind(kernel, NodeKind::Load), 1);
  EXPECT_EQ(count_kind(kernel, NodeKind::Binary), 2);
}

TEST(KernelIr, SoftmaxReductionsAreLoopsOutsideEachOther) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 16}, DType::Float32);
  auto y = ltorch::softmax(x, 1);
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()});
  ASSERT_EQ(kernel.loops.size(), 3u); // the invocation, amax, sum
  int reduces = 0;
  for (const Node& n : kernel.nodes) {
    if (n.kind != NodeKind::Reduce) continue;
    ++reduces;
    // amax does not depend on the sum's loop: both live in the invocation.
    EXPECT_EQ(n.scope, 0);
    EXPECT_EQ(kernel.loops[static_cast<std::size_t>(n.loop)].extent, 16);
  }
  EXPECT_EQ(reduces, 2);
}

TEST(KernelIr, ReductionOverSeveralDimsIsOneLoop) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3, 4}, DType::Float32);
  auto y = ltorch::amin(x, Value::ints({0, 2}));
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()});
  ASSERT_EQ(kernel.loops.size(), 2u);
  EXPECT_EQ(kernel.loops[1].extent, 8);
  EXPECT_EQ(kernel.outputs[0].shape, (Shape{3}));
}

TEST(KernelIr, StridedInputKeepsItsStrides) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 8}, DType::Float32);
  auto y = ltorch::neg(x);
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()}, {{"x", {1, 4}}});
  EXPECT_EQ(kernel.inputs[0].strides, (Strides{1, 4}));
  // The load's offset is computed from coordinates, not the invocation index.
  for (const Node& n : kernel.nodes) {
    if (n.kind == NodeKind::Load) {
      EXPECT_NE(kernel.nodes[static_cast<std::size_t>(n.operands[0])].kind, NodeKind::ThreadIndex);
    }
  }
}

TEST(KernelIr, FlattenToPrimsReplacesComposites) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  const Trace trace = scope.finish(ltorch::gelu(x, "tanh"));
  const auto prims = flatten_to_prims(trace.bound_symbols);
  ASSERT_FALSE(prims.empty());
  for (const BoundSymbol* b : prims)
    EXPECT_TRUE(b->symbol->is_prim());
}

TEST(KernelIrErrors, UnsupportedPrimIsNamed) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  auto b = scope.input_tensor("b", {3, 4}, DType::Float32);
  auto c = prims::matmul(a, b);
  const Region region = region_of(scope.finish(c));
  EXPECT_EQ(error_of([&] { make_kernel("k", region.prims, {c->name()}); }),
            "make_kernel: prims.matmul (t0 = prims.matmul(a, b)) is not supported by generated "
            "kernels, which take elementwise prims, where, convert_element_type, "
            "broadcast_in_dim, reshape, transpose, squeeze, slice, full and the reductions sum, "
            "prod, amax and amin; leave it to another executor");
  try {
    make_kernel("k", region.prims, {c->name()});
  } catch (const UnsupportedError&) {
    SUCCEED();
  }
}

TEST(KernelIrErrors, BadRequests) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 8}, DType::Float32);
  auto y = ltorch::exp(x);
  const Trace trace = scope.finish(y);
  const Region region = region_of(trace);
  EXPECT_EQ(error_of([&] { make_kernel("k", region.prims, {"nope"}); }),
            "make_kernel: output nope is not defined in the region");
  EXPECT_EQ(error_of([&] { make_kernel("k", region.prims, {}); }),
            "make_kernel: kernel k has no outputs; name the proxies the region defines that are "
            "used after it");
  EXPECT_EQ(error_of([&] { make_kernel("1k", region.prims, {y->name()}); }),
            "make_kernel: kernel name '1k' must be an identifier (letters, digits, '_')");
  EXPECT_EQ(error_of([&] {
              make_kernel("k", region.prims, {y->name()}, {{"x", {8}}});
            }),
            "make_kernel: strides [8] of input x must be 2 non-negative element counts for "
            "shape [4, 8]");
  EXPECT_EQ(error_of([&] {
              make_kernel("k", region.prims, {y->name()}, {{"z", {8, 1}}});
            }),
            "make_kernel: strides given for z, which is not an input of the region");
  EXPECT_EQ(error_of([&] { make_kernel("k", {&trace.bound_symbols[0]}, {y->name()}); }),
            "make_kernel: region entry 0 is ltorch.exp, not a prim; flatten composites to their "
            "prims first (flatten_to_prims)");
  EXPECT_EQ(error_of([&] { make_kernel("k", {nullptr}, {y->name()}); }),
            "make_kernel: region entry 0 is null");
}

TEST(KernelIrErrors, SymbolicNumberIsUnsupported) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  auto n = scope.input_number("n", NumberKind::Float);
  auto y = prims::mul(x, n);
  const Region region = region_of(scope.finish(y));
  EXPECT_EQ(error_of([&] { make_kernel("k", region.prims, {y->name()}); }),
            "make_kernel: prims.mul (t0 = prims.mul(x, n)) reads the number n, whose value is "
            "not known; generated kernels take numbers as constants; leave it to another "
            "executor");
}

} // namespace
} // namespace thunder::codegen
