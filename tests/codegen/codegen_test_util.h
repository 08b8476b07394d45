// Shared by the codegen tests: a traced region of prims, kept alive with its trace, and the
// golden-file check of generated kernels (tests/golden/kernels/<name>.glsl).
#pragma once

#include "../unit/golden.h"
#include "thunder/core/trace.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include <string>
#include <vector>

namespace thunder::testing {

/// A finished trace and its prims, flattened in execution order.
struct Region {
  Trace trace;
  std::vector<const BoundSymbol*> prims;
};

inline Region region_of(Trace trace) {
  Region region{std::move(trace), {}};
  region.prims = codegen::flatten_to_prims(region.trace.bound_symbols);
  return region;
}

/// The prims [begin, end) of a region.
inline std::vector<const BoundSymbol*> slice_prims(const Region& region, std::size_t begin,
                                                   std::size_t end) {
  return {region.prims.begin() + static_cast<std::ptrdiff_t>(begin),
          region.prims.begin() + static_cast<std::ptrdiff_t>(end)};
}

/// Regions both emitters print as goldens.
/// A grouped, strided, padded, dilated f16 convolution with bias, then relu.
inline Region conv2d_relu_region() {
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 4, 7, 6}, DType::Float16);
  auto w = scope.input_tensor("w", {6, 2, 3, 3}, DType::Float16);
  auto b = scope.input_tensor("b", {6}, DType::Float16);
  return region_of(scope.finish(ltorch::relu(prims::convolution(x, w, b, {2, 1}, {1, 1}, {1, 2}, 2))));
}

/// Three reductions over rows of 1000 f16 values (sum of squares in f32, amax, argmin): a
/// cooperative kernel.
inline codegen::Kernel row_stats_kernel() {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 1000}, DType::Float16);
  auto wide = ltorch::to(x, DType::Float32);
  auto squares = prims::sum(prims::mul(wide, wide), {1});
  auto peak = prims::amax(x, {1});
  auto where = prims::argmin(x, 1);
  const Region region =
      region_of(scope.finish(Value::List{Value(squares), Value(peak), Value(where)}));
  return codegen::make_kernel("row_stats", region.prims,
                              {squares->name(), peak->name(), where->name()});
}

inline void expect_kernel_matches_golden(const std::string& source, const std::string& name) {
  expect_matches_golden(source, "kernels/" + name + ".glsl");
}

} // namespace thunder::testing
