// Shared by the codegen tests: a traced region of prims, kept alive with its trace, and the
// golden-file check of generated kernels (tests/golden/kernels/<name>.glsl).
#pragma once

#include "../unit/golden.h"
#include "thunder/core/trace.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/kernel_ir.h"

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

inline void expect_kernel_matches_golden(const std::string& source, const std::string& name) {
  expect_matches_golden(source, "kernels/" + name + ".glsl");
}

} // namespace thunder::testing
