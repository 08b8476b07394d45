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
// region). A region's outputs are its values used after it or returned by the trace.
#pragma once

#include "thunder/core/trace.h"

#include <vector>

namespace thunder {

class Executor;

/// A trace (provenance "Fusion") in which the fusible calls of each executor are grouped
/// into fusion regions. The trace must come from assign_executors with the same executors
/// (each call names one of them). Calls are reordered only as dataflow allows; numbering
/// (per executor, from 0) and order are deterministic.
Trace fuse(const Trace& trace, const std::vector<const Executor*>& executors);

} // namespace thunder
