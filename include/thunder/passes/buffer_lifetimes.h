// Buffer lifetimes: marks where each intermediate tensor dies, and estimates the memory a
// trace needs. After the last call that reads an intermediate (or right after the call
// that defines it, when nothing reads it) comes `del t3`, as Thunder's del_last_used
// writes it; an executor frees or reuses the buffer there.
#pragma once

#include "thunder/core/trace.h"

#include <cstdint>
#include <vector>

namespace thunder {

/// The trace with `del` statements (python_del) after the last use of each intermediate
/// tensor: a tensor a top-level call defines that the trace does not return. Inputs are
/// the caller's and never deleted. Provenance "Delete Last Used". Run it last: other
/// passes do not expect del statements.
Trace delete_last_used(const Trace& trace);

/// The most bytes of tensors alive at once while the trace runs, from the proxies' shapes
/// and dtypes: inputs live throughout, a call's outputs from that call on until their last
/// use (the trace's outputs to the end), and during a call its inputs and outputs together.
/// Only what the top level materializes counts: a fusion region's intermediates, and the
/// temporaries inside calls an executor runs whole, are not seen. The outputs of view calls
/// (view, reshape, transpose, expand, slice, split, ... and their prims) share their
/// input's storage, as in eager, which stays until the last of its views dies. So on the
/// interpreted trace this is a lower bound of what eager PyTorch holds.
std::int64_t estimate_peak_bytes(const Trace& trace);

/// The bytes estimate_peak_bytes counts alive during each call of the trace (by position in
/// trace.bound_symbols; a `del` statement's is the bytes after the call before it): its
/// maximum is the estimate. For passes that weigh where the peak is.
std::vector<std::int64_t> live_bytes_during_calls(const Trace& trace);

} // namespace thunder
