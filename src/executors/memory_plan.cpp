#include "thunder/executors/memory_plan.h"

#include "thunder/core/error.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>

namespace thunder {

namespace {

std::size_t aligned(std::size_t bytes, std::size_t alignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

bool overlap(const BufferLifetime& a, const BufferLifetime& b) {
  return a.first <= b.last && b.first <= a.last;
}

void check(std::span<const BufferLifetime> requests, std::size_t alignment) {
  THUNDER_INTERNAL_ASSERT(alignment > 0 && (alignment & (alignment - 1)) == 0)
      << "memory plan alignment " << alignment << " is not a power of two";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    THUNDER_INTERNAL_ASSERT(requests[i].first <= requests[i].last)
        << "memory plan request " << i << " ends (" << requests[i].last << ") before it starts ("
        << requests[i].first << ")";
  }
}

// The greedy placement of `requests` in `order`: each into the smallest gap left by the
// requests placed before it whose lifetimes overlap its own, else after them.
MemoryLayout place(std::span<const BufferLifetime> requests, std::span<const std::size_t> order,
                   std::size_t alignment, std::size_t cap) {
  // The first place at or after `at` where `bytes` do not cross an arena's end.
  const auto within_an_arena = [cap](std::size_t at, std::size_t bytes) {
    if (cap == 0 || at / cap == (at + bytes - 1) / cap) return at;
    return (at / cap + 1) * cap;
  };
  constexpr std::size_t kUnplaced = std::numeric_limits<std::size_t>::max();
  MemoryLayout layout;
  layout.offsets.assign(requests.size(), kUnplaced);
  std::vector<std::size_t> placed; // Indices of requests placed so far.
  for (const std::size_t r : order) {
    const std::size_t bytes = aligned(requests[r].bytes, alignment);
    // The placed requests alive at the same time, by offset: the gaps between them are free.
    std::vector<std::pair<std::size_t, std::size_t>> taken; // offset, end
    for (const std::size_t p : placed) {
      if (overlap(requests[p], requests[r])) {
        taken.emplace_back(layout.offsets[p],
                           layout.offsets[p] + aligned(requests[p].bytes, alignment));
      }
    }
    std::sort(taken.begin(), taken.end());
    std::size_t best = kUnplaced;
    std::size_t best_gap = kUnplaced;
    std::size_t end = 0; // Where the taken ranges seen so far end.
    for (const auto& [offset, stop] : taken) {
      if (offset > end) {
        const std::size_t gap = offset - end;
        const std::size_t at = within_an_arena(end, bytes);
        if (at + bytes <= offset && gap < best_gap) {
          best = at;
          best_gap = gap;
        }
      }
      end = std::max(end, stop);
    }
    layout.offsets[r] = best != kUnplaced ? best : within_an_arena(end, bytes);
    layout.arena_bytes = std::max(layout.arena_bytes, layout.offsets[r] + bytes);
    placed.push_back(r);
  }
  return layout;
}

} // namespace

MemoryLayout plan_memory(std::span<const BufferLifetime> requests, std::size_t alignment,
                         std::size_t max_arena_bytes) {
  check(requests, alignment);
  // Arenas of a whole number of alignments, so offsets stay aligned.
  const std::size_t cap = max_arena_bytes / alignment * alignment;
  for (std::size_t i = 0; i < requests.size() && max_arena_bytes != 0; ++i) {
    THUNDER_INTERNAL_ASSERT(aligned(requests[i].bytes, alignment) <= cap)
        << "memory plan request " << i << " of " << requests[i].bytes
        << " bytes is larger than an arena (" << cap << " bytes)";
  }
  const auto size = [&](std::size_t r) { return aligned(requests[r].bytes, alignment); };
  const auto span = [&](std::size_t r) { return requests[r].last - requests[r].first; };
  // Two orders, the smaller layout kept (the first on a tie): largest first, and longest-
  // lived first (then largest). Neither is always best: by size, attention's two score
  // buffers end up beside each other and one of them past the live peak, while placing
  // the buffers that span the call first packs the short ones into the gaps left.
  // Ties by start, then by position, so the layout is deterministic.
  std::vector<std::size_t> by_size(requests.size());
  std::iota(by_size.begin(), by_size.end(), 0);
  std::vector<std::size_t> by_span = by_size;
  std::stable_sort(by_size.begin(), by_size.end(), [&](std::size_t a, std::size_t b) {
    if (size(a) != size(b)) return size(a) > size(b);
    return requests[a].first < requests[b].first;
  });
  std::stable_sort(by_span.begin(), by_span.end(), [&](std::size_t a, std::size_t b) {
    if (span(a) != span(b)) return span(a) > span(b);
    if (size(a) != size(b)) return size(a) > size(b);
    return requests[a].first < requests[b].first;
  });
  MemoryLayout layout = place(requests, by_size, alignment, cap);
  MemoryLayout other = place(requests, by_span, alignment, cap);
  return other.arena_bytes < layout.arena_bytes ? other : layout;
}

std::size_t peak_live_bytes(std::span<const BufferLifetime> requests, std::size_t alignment) {
  check(requests, alignment);
  // +bytes at first, -bytes after last; at one event, starts count before ends.
  std::map<std::uint64_t, std::pair<std::size_t, std::size_t>> events; // starts, ends
  for (const BufferLifetime& r : requests) {
    events[r.first].first += aligned(r.bytes, alignment);
    events[r.last].second += aligned(r.bytes, alignment);
  }
  std::size_t live = 0, peak = 0;
  for (const auto& [at, change] : events) {
    live += change.first;
    peak = std::max(peak, live);
    live -= change.second;
  }
  return peak;
}

} // namespace thunder
