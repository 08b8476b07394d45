// Fusion: groups the bound symbols an executor can fuse into regions, by dataflow rather
// than by position, and replaces each region by one call "<executor>.fusion<N>(inputs)"
// whose subsymbols are the fused calls, as Thunder prints its nvFusion regions:
//
//   t3 = spirv.fusion0(x, t1)  # t3: "cpu f32[8, 32]"
//     # t2 = prims.mul(x, t1)  # t2: "cpu f32[8, 32]"
//     # t3 = prims.tanh(t2)  # t3: "cpu f32[8, 32]"
//
// Two fusible calls of one executor may share a region wherever they are in the trace,
// unless that would make a cycle through a call outside the region (region -> outside ->
// region), or unless the later one reads a long reduction of the region (over more than
// kFusionRecomputeLimit points per result) at more elements than the reduction has: a
// generated kernel would redo that reduction for each of them (softmax over a row of n
// would cost n^2), so the reader starts a new region. A region's outputs are its values
// used after it or returned by the trace.
#pragma once

#include "thunder/core/trace.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace thunder {

class Executor;

/// Reductions over at most this many points per result may be recomputed by the elementwise
/// calls of their region that read them broadcast (kept in one kernel: cheaper than another
/// launch and a round trip through memory); longer ones end the region before such a call.
inline constexpr std::int64_t kFusionRecomputeLimit = 64;

/// A trace (provenance "Fusion") in which the fusible calls of each executor are grouped
/// into fusion regions. The trace must come from assign_executors with the same executors
/// (each call names one of them). Calls are reordered only as dataflow allows; numbering
/// (per executor, from 0) and order are deterministic. A region that would store a
/// reduction's values beside values that read no reduction (a layer norm's residual sum and
/// its mean) is made as two where its executor's kernel of the reduction alone is
/// cooperative (Executor::reduces_cooperatively) and the first stores nothing the region
/// did not: the values that read none, then the reduction's, which reads from the first
/// what both need; a kernel that stores both loops over each reduction in one thread.
Trace fuse(const Trace& trace, const std::vector<const Executor*>& executors);

/// The members `keep` of a fusion region as a region of their own (same symbol and
/// executor, to be renamed by number_regions), reading what they use and do not define,
/// storing the values named in `stored` that they define: the region's outputs first, in
/// its order, then the rest in member order.
BoundSymbol sub_region(const BoundSymbol& region, const std::vector<bool>& keep,
                       const std::set<std::string>& stored);

/// Names the trace's fusion regions "<executor>.fusion<N>" again, per executor from 0, in
/// order. For passes that split or drop regions.
void number_regions(Trace& trace);

/// A Fusion-namespace symbol of an executor's own call named `name` (its executor's name
/// first: "spirv.fusion0", "cuda.matmul_epilogue"): one per name, alive for the whole
/// process, never called through BoundArgs.
const Symbol& executor_symbol(const std::string& name, Tags tags);

/// The symbol of the fusion region named `name` ("spirv.fusion0"): executor_symbol with no
/// tags. For passes that make or rename regions.
const Symbol& region_symbol(const std::string& name);

/// Whether the bound symbol is a fusion region ("<executor>.fusion<N>", a generated
/// kernel): in the Fusion namespace and not tagged Matmul (matmul_epilogues' folded
/// products are Fusion symbols too: their names say who runs them).
bool is_fusion_region(const BoundSymbol& bsym);

} // namespace thunder
