// Rematerialization: after fusion, a region may compute a broadcast, reshape or slice of a
// trace input (a bias broadcast to the activations' shape, a weight transposed) only for
// regions that run later, because it was ready when the first region was open. Storing it
// costs a buffer that lives until its last reader and a round trip through memory; the
// reader can instead recompute it as index arithmetic on the input, for nothing. This pass
// moves such values into the regions that read them (as Thunder's rematerialization does
// for its fusions) and drops them, and what only they needed, from the region that made
// them.
#pragma once

#include "thunder/core/trace.h"

namespace thunder {

/// The trace (provenance "Rematerialization") in which each value that a fusion region
/// computes from trace inputs by shape and creation prims only (broadcast_in_dim, reshape,
/// transpose, squeeze, slice, full, iota), is not returned, and is read only by other
/// fusion regions, is computed by each of those regions instead; the region that made it
/// keeps only what something else still reads, and disappears if that is nothing.
Trace rematerialize(const Trace& fused);

} // namespace thunder
