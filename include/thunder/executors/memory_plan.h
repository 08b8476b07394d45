// Memory planning: where in one arena each of a run's device buffers lives, given when each
// is needed. A runner that knows its requests (sizes and lifetimes, here recorded from the
// previous run of the same trace) places them once, ahead of the run, instead of asking an
// allocator as they come: a pool whose buffers are made one per request cannot join
// buffers, and on transformers held some 10-15% more than the live bytes. The placement is
// greedy, as TFLite's (Pisarchyk and Lee, "Efficient Memory Management for Deep Neural Net
// Inference", 2020): each request into the smallest gap left by the requests already
// placed whose lifetimes overlap its own, in two orders (largest first; longest-lived
// first), the smaller layout kept. Torch- and device-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace thunder {

/// One buffer a run asks for: `bytes`, needed from event `first` to event `last`
/// (inclusive, on any clock the caller counts). Two requests may share memory when their
/// event ranges do not overlap.
struct BufferLifetime {
  std::size_t bytes = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

/// Each request's offset (a multiple of the alignment), in the order given, and the arena's
/// size: the end of the last buffer.
struct MemoryLayout {
  std::vector<std::size_t> offsets;
  std::size_t arena_bytes = 0;
};

/// Places `requests` in one arena so that no two whose lifetimes overlap share a byte.
/// Offsets are multiples of `alignment` (a power of two; each size is rounded up to it).
/// With `max_arena_bytes` (0: no limit; else at least the largest request), no request
/// crosses a multiple of it, so the arena can be made as several buffers of at most that
/// size (a device binds at most maxStorageBufferRange at once). Deterministic: the same
/// requests give the same layout.
MemoryLayout plan_memory(std::span<const BufferLifetime> requests, std::size_t alignment,
                         std::size_t max_arena_bytes = 0);

/// The most bytes (sizes rounded up to `alignment`) alive at one event: what no layout can
/// go under.
std::size_t peak_live_bytes(std::span<const BufferLifetime> requests, std::size_t alignment);

} // namespace thunder
