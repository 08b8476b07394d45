// The kernel IR built from regions of prims: inputs and outputs, index arithmetic through
// broadcasts and permutes, reductions as loops, and the exact errors for what it refuses.
#include "thunder/executors/codegen/kernel_ir.h"

#include "codegen_test_util.h"
#include "thunder/core/error.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

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

TEST(KernelIr, LongUnorderedReductionsMakeACooperativeKernel) {
  // One workgroup per element once an outermost loop is long enough to split among its
  // lanes; never for a loop that may not be split (cumsum's, a convolution's), nor where a
  // stored value reads no reduction.
  const auto kernel_of = [](const Shape& shape, const auto& op) {
    TraceScope scope;
    auto x = scope.input_tensor("x", shape, DType::Float32);
    auto y = op(x);
    const Region region = region_of(scope.finish(y));
    return make_kernel("k", region.prims, {y->name()});
  };
  const auto sum_of_squares = [](const TensorProxyPtr& x) {
    return prims::sum(prims::mul(x, x), {1});
  };
  const Kernel long_sum = kernel_of({4, kCooperativeMinExtent}, sum_of_squares);
  EXPECT_TRUE(long_sum.cooperative);
  EXPECT_EQ(workgroup_count(long_sum), 4);
  const Kernel short_sum = kernel_of({4, kCooperativeMinExtent - 1}, sum_of_squares);
  EXPECT_FALSE(short_sum.cooperative);
  EXPECT_EQ(workgroup_count(short_sum), 1);
  EXPECT_FALSE(
      kernel_of({4, 1000}, [](const TensorProxyPtr& x) { return prims::cumsum(x, 1); })
          .cooperative);
  EXPECT_TRUE(
      kernel_of({4, 1000}, [](const TensorProxyPtr& x) { return prims::argmax(x, 1); })
          .cooperative);
  {
    // A convolution's loop over 64 channels x 3 x 3 taps is not split (its lanes would
    // read channels a plane apart).
    TraceScope scope;
    auto x = scope.input_tensor("x", {1, 64, 8, 8}, DType::Float32);
    auto w = scope.input_tensor("w", {8, 64, 3, 3}, DType::Float32);
    auto y = prims::convolution(x, w, Value(), {1, 1}, {1, 1}, {1, 1}, 1);
    const Region region = region_of(scope.finish(y));
    EXPECT_FALSE(make_kernel("k", region.prims, {y->name()}).cooperative);
  }
  {
    // A full-size output that reads no reduction would be computed by one lane in 256.
    TraceScope scope;
    auto x = scope.input_tensor("x", {4, 1000}, DType::Float32);
    auto total = prims::sum(x, {1});
    auto doubled = prims::mul(x, 2.0);
    const Region region = region_of(scope.finish(Value::List{Value(total), Value(doubled)}));
    EXPECT_FALSE(make_kernel("k", region.prims, {total->name(), doubled->name()}).cooperative);
    EXPECT_TRUE(make_kernel("k", region.prims, {total->name()}).cooperative);
  }
}

TEST(KernelIr, RegionKernelCooperatesAsItsKernelDoes) {
  // What the executors answer fusion with (Executor::reduces_cooperatively): a region's
  // kernel, storing the region's outputs, is cooperative; a region make_kernel refuses is not.
  const auto region = [](std::int64_t row, bool with_plain_output) {
    TraceScope scope;
    auto x = scope.input_tensor("x", {4, row}, DType::Float32);
    auto total = prims::sum(prims::mul(x, x), {1});
    const Trace trace = scope.finish(with_plain_output ? Value(Value::List{Value(total), Value(prims::exp(x))})
                                                       : Value(total));
    BoundSymbol r;
    r.subsymbols = trace.bound_symbols;
    r.output = trace.output;
    return r;
  };
  EXPECT_TRUE(region_kernel_cooperates(region(kCooperativeMinExtent, false)));
  EXPECT_FALSE(region_kernel_cooperates(region(kCooperativeMinExtent - 1, false)));
  EXPECT_FALSE(region_kernel_cooperates(region(kCooperativeMinExtent, true)));
  EXPECT_FALSE(region_kernel_cooperates(BoundSymbol{})); // no prims: make_kernel refuses
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

// A host interpreter of the kernel IR for the index, select and gather nodes (no
// reductions, every value a double), with the status words a runner reads back.
struct HostRun {
  std::vector<std::vector<double>> outputs;
  std::uint32_t status[kStatusWords] = {0, 0, 0, 0};
};

HostRun run_on_host(const Kernel& kernel, const std::vector<std::vector<double>>& inputs) {
  HostRun run;
  for (const Buffer& b : kernel.outputs) {
    std::int64_t n = 1;
    for (const std::int64_t e : b.shape)
      n *= e;
    run.outputs.emplace_back(static_cast<std::size_t>(n), 0.0);
  }
  for (std::int64_t idx = 0; idx < kernel.num_invocations; ++idx) {
    std::vector<double> v(kernel.nodes.size(), 0.0);
    for (std::size_t i = 0; i < kernel.nodes.size(); ++i) {
      const Node& n = kernel.nodes[i];
      const auto op = [&](std::size_t k) { return v[static_cast<std::size_t>(n.operands[k])]; };
      const auto u32 = [](double x) {
        return static_cast<double>(static_cast<std::uint32_t>(static_cast<std::int64_t>(x)));
      };
      switch (n.kind) {
      case NodeKind::ThreadIndex:
        v[i] = static_cast<double>(idx);
        break;
      case NodeKind::IndexConstant:
        v[i] = static_cast<double>(n.integer);
        break;
      case NodeKind::IndexAdd:
        v[i] = u32(op(0) + op(1));
        break;
      case NodeKind::IndexSub:
        v[i] = u32(op(0) - op(1));
        break;
      case NodeKind::IndexMul:
        v[i] = u32(op(0) * op(1));
        break;
      case NodeKind::IndexDiv:
        v[i] = std::floor(op(0) / op(1));
        break;
      case NodeKind::IndexMod:
        v[i] = std::fmod(op(0), op(1));
        break;
      case NodeKind::IndexMin:
        v[i] = std::min(op(0), op(1));
        break;
      case NodeKind::IndexLess:
        v[i] = op(0) < op(1) ? 1 : 0;
        break;
      case NodeKind::IndexValue:
        v[i] = op(0);
        break;
      case NodeKind::CheckedIndex:
        if (op(0) >= 0 && op(0) < static_cast<double>(n.integer)) {
          v[i] = op(0);
        } else {
          if (run.status[0] == 0) {
            run.status[0] = static_cast<std::uint32_t>(n.loop + 1);
            const auto bits = static_cast<std::uint64_t>(static_cast<std::int64_t>(op(0)));
            run.status[1] = static_cast<std::uint32_t>(bits);
            run.status[2] = static_cast<std::uint32_t>(bits >> 32);
          }
          v[i] = 0;
        }
        break;
      case NodeKind::Load: {
        const auto& in = inputs.at(static_cast<std::size_t>(n.integer));
        const auto at = static_cast<std::size_t>(op(0));
        EXPECT_LT(at, in.size()) << "load out of bounds in " << kernel.name;
        v[i] = at < in.size() ? in[at] : 0.0;
        break;
      }
      case NodeKind::Constant:
        v[i] = std::visit([](auto x) { return static_cast<double>(x); }, n.constant);
        break;
      case NodeKind::Where:
        v[i] = op(0) != 0 ? op(1) : op(2);
        break;
      case NodeKind::Binary:
        if (n.prim == prims::PrimId::logical_and) {
          v[i] = op(0) != 0 && op(1) != 0 ? 1 : 0;
        } else if (n.prim == prims::PrimId::add) {
          v[i] = op(0) + op(1);
        } else if (n.prim == prims::PrimId::mul) {
          v[i] = op(0) * op(1);
        } else {
          ADD_FAILURE() << "binary prim " << static_cast<int>(n.prim) << " not interpreted";
        }
        break;
      default:
        ADD_FAILURE() << "node kind " << static_cast<int>(n.kind) << " not interpreted";
      }
    }
    for (const Store& s : kernel.stores) {
      auto& out = run.outputs[static_cast<std::size_t>(s.output)];
      if (static_cast<std::size_t>(idx) < out.size()) {
        out[static_cast<std::size_t>(idx)] = v[static_cast<std::size_t>(s.value)];
      }
    }
  }
  return run;
}

std::vector<double> counting(std::int64_t n, double from = 1) {
  std::vector<double> v;
  for (std::int64_t i = 0; i < n; ++i)
    v.push_back(from + static_cast<double>(i));
  return v;
}

TEST(KernelIr, IotaIsStartPlusIndexTimesStep) {
  TraceScope scope;
  auto y = prims::iota(5, 3, -2, DType::Int64, Device::cpu());
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()});
  EXPECT_TRUE(kernel.inputs.empty());
  EXPECT_EQ(count_kind(kernel, NodeKind::IndexValue), 1);
  EXPECT_EQ(run_on_host(kernel, {}).outputs[0], (std::vector<double>{3, 1, -1, -3, -5}));
}

TEST(KernelIr, PadLowHighInteriorAndCrops) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  // dim 0: one before, two after, one between; dim 1: crop one before, one after, one between.
  auto y = prims::pad(a, Value(-1.0), {{1, 2, 1}, {-1, 1, 1}});
  ASSERT_EQ(y->shape(), (Shape{6, 5}));
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()});
  const HostRun run = run_on_host(kernel, {counting(6)});
  // Rows: pad, a[0], pad, a[1], pad, pad. Columns of a dilated row [x0, p, x1, p, x2]
  // cropped by one in front and padded by one behind: [p, x1, p, x2, p].
  const double p = -1;
  EXPECT_EQ(run.outputs[0], (std::vector<double>{p, p, p, p, p, //
                                                 p, 2, p, 3, p, //
                                                 p, p, p, p, p, //
                                                 p, 5, p, 6, p, //
                                                 p, p, p, p, p, //
                                                 p, p, p, p, p}));
  EXPECT_EQ(run.status[0], 0u);
}

TEST(KernelIr, PadThatOnlyCropsIsASlice) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {4}, DType::Float32);
  auto y = prims::pad(a, Value(0.0), {{-1, -2, 0}});
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()});
  EXPECT_EQ(count_kind(kernel, NodeKind::Where), 0);
  EXPECT_EQ(run_on_host(kernel, {counting(4)}).outputs[0], (std::vector<double>{2}));
}

TEST(KernelIr, CatSelectsTheInputByRange) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 1}, DType::Float32);
  auto b = scope.input_tensor("b", {2, 0}, DType::Float32);
  auto c = scope.input_tensor("c", {2, 3}, DType::Float32);
  auto y = prims::cat({a, b, c}, 1);
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()});
  ASSERT_EQ(kernel.inputs.size(), 3u);
  EXPECT_EQ(count_kind(kernel, NodeKind::Where), 1); // the empty input is never read
  const HostRun run = run_on_host(kernel, {counting(2, 10), {}, counting(6)});
  EXPECT_EQ(run.outputs[0], (std::vector<double>{10, 1, 2, 3, 11, 4, 5, 6}));
}

TEST(KernelIr, IndexSelectGathersAndReportsBadIndices) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {3, 4}, DType::Float32);
  auto index = scope.input_tensor("index", {3}, DType::Int64);
  auto y = prims::index_select(a, 1, index);
  const Region region = region_of(scope.finish(y));
  const Kernel kernel = make_kernel("k", region.prims, {y->name()});
  ASSERT_EQ(kernel.checks.size(), 1u);
  EXPECT_EQ(kernel.checks[0].op, "prims.index_select");
  EXPECT_EQ(kernel.checks[0].extent, 4);
  EXPECT_EQ(count_kind(kernel, NodeKind::CheckedIndex), 1);
  const HostRun good = run_on_host(kernel, {counting(12), {3, 0, 3}});
  EXPECT_EQ(good.outputs[0], (std::vector<double>{4, 1, 4, 8, 5, 8, 12, 9, 12}));
  EXPECT_EQ(index_error_message(kernel, good.status), "");
  // 4 would be the next row's first element, -1 the previous row's last: both refused.
  for (const double bad : {4.0, -1.0}) {
    const HostRun run = run_on_host(kernel, {counting(12), {0, bad, 1}});
    EXPECT_EQ(index_error_message(kernel, run.status),
              str("prims.index_select: index ", static_cast<std::int64_t>(bad),
                  " is out of range for dim 1 of a, which has 4 elements (torch: index out of "
                  "range in self); kernel k"));
  }
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
            "broadcast_in_dim, reshape, transpose, squeeze, slice, pad, cat, index_select, full, "
            "iota, the reductions sum, prod, amax and amin, argmax, argmin, cumsum and "
            "convolution; leave it "
            "to another executor");
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
