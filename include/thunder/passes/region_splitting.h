// Region splitting for memory: fusion joins independent chains of one executor into one
// region (the bias adds of q, k and v after their three matmuls become one kernel), which
// saves launches but holds all the chains' inputs and outputs at once, where separate
// kernels would let each chain's input die before the next chain's matmul runs. This pass
// splits such regions where that lowers the trace's peak memory, and only there.
#pragma once

#include "thunder/core/trace.h"

namespace thunder {

/// A trace (provenance "Split Regions For Memory") in which a fusion region made of parts
/// with no dataflow between them is split into one region per part, each moved up to just
/// after the calls that make what it reads, where the region is at the trace's peak
/// (estimate_peak_bytes) and the split lowers the peak or, with several identical layers,
/// the number of calls at it; each step makes the best such split. Regions are then
/// numbered again, per executor from 0, in order. Run it after fuse and rematerialize
/// (whose views it must see).
Trace split_regions_for_memory(const Trace& fused);

} // namespace thunder
