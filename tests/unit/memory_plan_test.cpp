// plan_memory: no two buffers alive together share a byte, dead buffers' memory is reused,
// and the arena stays near the live peak.
#include "thunder/executors/memory_plan.h"

#include "thunder/core/error.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace {

using thunder::BufferLifetime;
using thunder::MemoryLayout;

// Every pair alive at once is disjoint, offsets are aligned, and the arena holds them all.
void expect_valid(const std::vector<BufferLifetime>& requests, const MemoryLayout& layout,
                  std::size_t alignment) {
  ASSERT_EQ(layout.offsets.size(), requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(layout.offsets[i] % alignment, 0u) << "request " << i;
    EXPECT_LE(layout.offsets[i] + requests[i].bytes, layout.arena_bytes) << "request " << i;
    for (std::size_t j = i + 1; j < requests.size(); ++j) {
      const bool together =
          requests[i].first <= requests[j].last && requests[j].first <= requests[i].last;
      const bool share = layout.offsets[i] < layout.offsets[j] + requests[j].bytes &&
                         layout.offsets[j] < layout.offsets[i] + requests[i].bytes;
      EXPECT_FALSE(together && share && requests[i].bytes > 0 && requests[j].bytes > 0)
          << "requests " << i << " and " << j << " are alive together and overlap";
    }
  }
}

TEST(MemoryPlan, ReusesTheMemoryOfBuffersThatDied) {
  // a [0,1] and b [2,3] never live together: one slot; c lives with both.
  const std::vector<BufferLifetime> requests{{64, 0, 1}, {64, 2, 3}, {32, 0, 3}};
  const MemoryLayout layout = thunder::plan_memory(requests, 16);
  expect_valid(requests, layout, 16);
  EXPECT_EQ(layout.offsets[0], layout.offsets[1]);
  EXPECT_EQ(layout.arena_bytes, 96u);
  EXPECT_EQ(thunder::peak_live_bytes(requests, 16), 96u);
}

TEST(MemoryPlan, LifetimesThatTouchAtOneEventOverlap) {
  // b starts at the event a ends: both are alive then (a kernel reads a and writes b).
  const std::vector<BufferLifetime> requests{{64, 0, 2}, {64, 2, 4}};
  const MemoryLayout layout = thunder::plan_memory(requests, 16);
  expect_valid(requests, layout, 16);
  EXPECT_EQ(layout.arena_bytes, 128u);
}

TEST(MemoryPlan, PutsASmallBufferInTheSmallestGapItFits) {
  // Long-lived buffers with two holes once the short ones die: 256 bytes (left by the third
  // request) and 128 (left by the fifth). 100 bytes go into the 128 hole: best fit, where
  // first fit would have split the 256 one.
  const std::vector<BufferLifetime> requests{{256, 0, 9}, {256, 0, 9}, {256, 0, 1}, {256, 0, 9},
                                             {128, 0, 1}, {128, 0, 9}, {100, 5, 6}};
  const MemoryLayout layout = thunder::plan_memory(requests, 4);
  expect_valid(requests, layout, 4);
  EXPECT_EQ(layout.offsets[2], 512u);
  EXPECT_EQ(layout.offsets[4], 1024u);
  EXPECT_EQ(layout.offsets[6], 1024u);
  EXPECT_EQ(layout.arena_bytes, 1280u);
}

TEST(MemoryPlan, RoundsSizesUpToTheAlignment) {
  const std::vector<BufferLifetime> requests{{10, 0, 1}, {10, 0, 1}, {1, 0, 1}};
  const MemoryLayout layout = thunder::plan_memory(requests, 64);
  expect_valid(requests, layout, 64);
  EXPECT_EQ(layout.arena_bytes, 3 * 64u);
  EXPECT_EQ(thunder::peak_live_bytes(requests, 64), 3 * 64u);
}

TEST(MemoryPlan, IsDeterministic) {
  std::mt19937 rng(7);
  std::vector<BufferLifetime> requests;
  for (int i = 0; i < 200; ++i) {
    const std::uint64_t first = rng() % 400;
    requests.push_back({(rng() % 64 + 1) * 48, first, first + rng() % 40});
  }
  const MemoryLayout a = thunder::plan_memory(requests, 64);
  const MemoryLayout b = thunder::plan_memory(requests, 64);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.arena_bytes, b.arena_bytes);
}

// Random request sets shaped like a network's (a chain of values of mixed sizes, each read
// by the next few calls): the layout is valid, and within 15% of the live peak, which a
// pool of per-request buffers did not reach on transformers.
TEST(MemoryPlan, StaysNearTheLivePeakOnRandomChains) {
  std::mt19937 rng(2026);
  for (int round = 0; round < 50; ++round) {
    std::vector<BufferLifetime> requests;
    const std::size_t sizes[] = {768, 3072, 4096, 12288, 256, 1024};
    std::uint64_t clock = 0;
    for (int i = 0; i < 120; ++i) {
      const std::uint64_t first = clock;
      clock += 2;
      requests.push_back({sizes[rng() % 6], first, first + 1 + rng() % 12});
    }
    const MemoryLayout layout = thunder::plan_memory(requests, 64);
    expect_valid(requests, layout, 64);
    const std::size_t live = thunder::peak_live_bytes(requests, 64);
    EXPECT_GE(layout.arena_bytes, live);
    EXPECT_LE(layout.arena_bytes, live + live * 15 / 100) << "round " << round;
  }
}

// With an arena limit no buffer crosses a multiple of it, so the layout cuts into arenas
// of at most that size, still valid and still near the live peak.
TEST(MemoryPlan, NoBufferCrossesAnArenaLimit) {
  std::mt19937 rng(5);
  std::vector<BufferLifetime> requests;
  for (int i = 0; i < 150; ++i) {
    const std::uint64_t first = static_cast<std::uint64_t>(i) * 2;
    requests.push_back({(rng() % 40 + 1) * 100, first, first + 1 + rng() % 10});
  }
  constexpr std::size_t kArena = 8192;
  const MemoryLayout layout = thunder::plan_memory(requests, 64, kArena);
  expect_valid(requests, layout, 64);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::size_t first = layout.offsets[i], last = first + requests[i].bytes - 1;
    EXPECT_EQ(first / kArena, last / kArena) << "request " << i << " crosses an arena's end";
  }
  EXPECT_GT(layout.arena_bytes, kArena) << "the requests need several arenas";
  EXPECT_LE(layout.arena_bytes, thunder::peak_live_bytes(requests, 64) * 3 / 2);
  const std::vector<BufferLifetime> too_big{{kArena + 1, 0, 1}};
  EXPECT_THROW((void)thunder::plan_memory(too_big, 64, kArena), thunder::InternalError);
}

// The requests of the attention model's call on spirv, weights resident, with k and v read
// as views of the qkv projection (an experiment, docs/benchmarks.md): the input x for the
// whole call, the projection, two [2, 4, 6, 6] score buffers, the heads. Largest-first put
// the second score buffer past the live peak; the longest-lived-first order
// packs them into exactly the peak.
TEST(MemoryPlan, KeepsTheBetterOfTwoOrdersAndReachesTheLivePeakOfAttention) {
  const std::vector<BufferLifetime> requests{
      {1536, 0, 20}, {1536, 2, 4},  {4608, 3, 12},  {1536, 5, 7},   {1152, 6, 9},
      {1152, 8, 11}, {1536, 10, 14}, {1536, 13, 16}, {1536, 15, 18}, {1536, 17, 19}};
  const MemoryLayout layout = thunder::plan_memory(requests, 16);
  expect_valid(requests, layout, 16);
  EXPECT_EQ(thunder::peak_live_bytes(requests, 16), 8832u);
  EXPECT_EQ(layout.arena_bytes, 8832u);
}

TEST(MemoryPlan, RejectsALifetimeThatEndsBeforeItStarts) {
  const std::vector<BufferLifetime> requests{{16, 5, 4}};
  EXPECT_THROW((void)thunder::plan_memory(requests, 16), thunder::InternalError);
}

} // namespace
