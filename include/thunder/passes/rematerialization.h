// Rematerialization: after fusion, a region may compute a broadcast, reshape or slice of a
// trace input (a bias broadcast to the activations' shape, a weight transposed) only for
// regions that run later, because it was ready when the first region was open. Storing it
// costs a buffer that lives until its last reader and a round trip through memory; the
// reader can instead recompute it as index arithmetic on the input, for nothing. This pass
// moves such values into the regions that read them (as Thunder's rematerialization does
// for its fusions) and drops them, and what only they needed, from the region that made
// them. A broadcast of a value the region computed (rotary cos/sin expanded to every head)
// is stored as that value, and the readers broadcast it.
//
// A matmul run by an executor that reads its operands through strides
// (Executor::reads_views_in_place) takes views too: a transpose, broadcast, squeeze, reshape
// or slice chain that a region computes only for such matmuls leaves the region and runs
// right before the first of them as unfused view prims of that executor, which computes
// them as strides over the buffer of what they view (a trace input or a value some call
// made), so the transposed weight of a linear is never stored. view_layout, the strides a
// view prim gives, lives here because the pass decides with it and the executor's runner
// computes with it.
#pragma once

#include "thunder/core/trace.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace thunder {

class Executor;

/// The trace (provenance "Rematerialization") in which each value that a fusion region
/// computes from trace inputs by shape and creation prims only (broadcast_in_dim, reshape,
/// transpose, squeeze, slice, full, iota), is not returned, and is read only by other
/// fusion regions, is computed by each of those regions instead; the region that made it
/// keeps only what something else still reads, and disappears if that is nothing. The same
/// for a view (view prims only) of a value the region computed, where that value is no
/// larger than the view: the region stores the value, and its readers view it.
Trace rematerialize(const Trace& fused);

/// As above, and each tensor operand of an unfused call whose executor (among `executors`,
/// by name) reads views in place, that a region makes from a trace input or from another
/// value by view prims only (transpose, broadcast_in_dim, squeeze, reshape, slice), that is
/// not returned and that only such calls read, is made by those prims, unfused, with the
/// reader's executor, right before its first reader; the region keeps only what something
/// else still reads (plus the value viewed, where the region made it). Taken only where the
/// view of a contiguous value is one view_layout expresses, with one stride over the batch
/// dims of a matmul operand, and an offset only into a trace input (read on the host), and
/// where the value viewed is a trace input or no larger than the view.
Trace rematerialize(const Trace& fused, const std::vector<const Executor*>& executors);

/// Sizes, strides and offset in elements of a tensor over a buffer.
struct StridedLayout {
  Shape shape;
  std::vector<std::int64_t> strides;
  std::int64_t offset = 0;
};

/// The row-major layout of `shape`.
StridedLayout contiguous_layout(const Shape& shape);

/// The layout of the output of `prim` (prims.transpose, broadcast_in_dim, squeeze, reshape
/// or slice) when its tensor input is laid out as `input`; nullopt for other bound symbols
/// and for a reshape strides cannot express (where torch's reshape copies).
std::optional<StridedLayout> view_layout(const BoundSymbol& prim, const StridedLayout& input);

/// Whether `prim` is one of the view prims view_layout knows, with a tensor output.
bool is_view_prim(const BoundSymbol& prim);

} // namespace thunder
