#include "thunder/passes/region_splitting.h"

#include "thunder/core/error.h"
#include "thunder/passes/buffer_lifetimes.h"
#include "thunder/passes/fusion.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace thunder {

namespace {

// The values (proxies, with their metadata) a value holds, in order.
void collect_proxies(const Value& value, std::vector<Value>& out) {
  value.map_proxies([&out](const Value& proxy) {
    out.push_back(proxy);
    return proxy;
  });
}

// The members of a region, grouped into its independent parts: two members are in one
// part when one reads what the other writes (transitively). In member order.
std::vector<std::vector<std::size_t>> independent_parts(const BoundSymbol& region) {
  const std::size_t n = region.subsymbols.size();
  std::vector<std::size_t> parent(n);
  for (std::size_t i = 0; i < n; ++i)
    parent[i] = i;
  const auto find = [&parent](std::size_t i) {
    while (parent[i] != i)
      i = parent[i] = parent[parent[i]];
    return i;
  };
  std::map<std::string, std::size_t> defined_by;
  for (std::size_t i = 0; i < n; ++i) {
    const BoundSymbol& member = region.subsymbols[i];
    for (const Proxy* p : member.input_proxies()) {
      if (const auto it = defined_by.find(p->name()); it != defined_by.end())
        parent[find(i)] = find(it->second);
    }
    for (const Proxy* p : member.output_proxies())
      defined_by[p->name()] = i;
  }
  std::map<std::size_t, std::vector<std::size_t>> parts; // by root
  std::vector<std::size_t> order;                        // roots, first member first
  for (std::size_t i = 0; i < n; ++i) {
    auto [it, fresh] = parts.try_emplace(find(i));
    if (fresh) order.push_back(it->first);
    it->second.push_back(i);
  }
  std::vector<std::vector<std::size_t>> out;
  for (const std::size_t root : order)
    out.push_back(std::move(parts[root]));
  return out;
}

// One part of a region as a region of its own: its outputs are the region's outputs it
// defines (no other part reads them).
BoundSymbol region_part(const BoundSymbol& region, const std::vector<std::size_t>& members) {
  std::vector<bool> keep(region.subsymbols.size(), false);
  for (const std::size_t i : members)
    keep[i] = true;
  std::vector<Value> outputs;
  collect_proxies(region.output, outputs);
  std::set<std::string> stored;
  for (const Value& v : outputs)
    stored.insert(v.proxy()->name());
  return sub_region(region, keep, stored);
}

// The trace with region `index` replaced by `parts` (its independent parts), each moved up
// to just after the last call that makes what it reads (a part that reads only the trace's
// inputs stays where the region was).
Trace split_region(const Trace& trace, std::size_t index, std::vector<BoundSymbol> parts) {
  std::map<std::string, std::size_t> position; // Of each value's producer.
  for (std::size_t i = 0; i < index; ++i) {
    for (const Proxy* p : trace.bound_symbols[i].output_proxies())
      position[p->name()] = i;
  }
  // Parts to insert after each position (index - 1 for "where the region was").
  std::map<std::size_t, std::vector<BoundSymbol>> after;
  for (BoundSymbol& part : parts) {
    std::optional<std::size_t> last;
    for (const Proxy* p : part.input_proxies()) {
      if (const auto it = position.find(p->name()); it != position.end())
        last = std::max(last.value_or(0), it->second);
    }
    after[last.value_or(index - 1)].push_back(std::move(part));
  }
  Trace out = trace;
  out.bound_symbols.clear();
  const auto emit = [&](std::size_t i) {
    if (const auto it = after.find(i); it != after.end()) {
      for (BoundSymbol& part : it->second)
        out.bound_symbols.push_back(std::move(part));
    }
  };
  if (index == 0) emit(static_cast<std::size_t>(-1));
  for (std::size_t i = 0; i < trace.bound_symbols.size(); ++i) {
    if (i != index) out.bound_symbols.push_back(trace.bound_symbols[i]);
    emit(i);
  }
  return out;
}

// How much a trace's memory weighs: its peak, then how many calls reach it (splitting one
// of several identical layers' regions leaves the peak where it is, but at fewer calls).
struct PeakWeight {
  std::int64_t peak = 0;
  std::size_t calls_at_peak = 0;
  bool operator<(const PeakWeight& o) const {
    return peak != o.peak ? peak < o.peak : calls_at_peak < o.calls_at_peak;
  }
};

PeakWeight weigh(const std::vector<std::int64_t>& live) {
  PeakWeight w;
  for (const std::int64_t bytes : live) {
    if (bytes > w.peak) {
      w = {bytes, 1};
    } else if (bytes == w.peak) {
      ++w.calls_at_peak;
    }
  }
  return w;
}

} // namespace

Trace split_regions_for_memory(const Trace& fused) {
  Trace trace = fused.derive("Split Regions For Memory");
  trace.bound_symbols = fused.bound_symbols;
  std::vector<std::int64_t> live = live_bytes_during_calls(trace);
  PeakWeight weight = weigh(live);
  // Regions whose split did not help: splitting elsewhere does not make it help (each try
  // is a copy of the trace and an estimate, so they are not tried again).
  std::set<const Symbol*> tried;
  for (bool improved = true; improved;) {
    improved = false;
    std::optional<Trace> best;
    std::vector<std::int64_t> best_live;
    PeakWeight best_weight = weight;
    for (std::size_t i = 0; i < trace.bound_symbols.size(); ++i) {
      const BoundSymbol& bsym = trace.bound_symbols[i];
      // Only a region where the peak is can lower it.
      if (!is_fusion_region(bsym) || live[i] != weight.peak || tried.count(bsym.symbol) != 0) continue;
      std::vector<BoundSymbol> parts;
      for (const std::vector<std::size_t>& members : independent_parts(bsym))
        parts.push_back(region_part(bsym, members));
      // A part whose values nothing reads would be a kernel with no output: left whole.
      if (parts.size() < 2 || std::any_of(parts.begin(), parts.end(), [](const BoundSymbol& p) {
            return p.output.is_none();
          })) {
        continue;
      }
      Trace candidate = split_region(trace, i, std::move(parts));
      std::vector<std::int64_t> candidate_live = live_bytes_during_calls(candidate);
      const PeakWeight candidate_weight = weigh(candidate_live);
      if (!(candidate_weight < weight)) {
        tried.insert(bsym.symbol);
      } else if (candidate_weight < best_weight) {
        best_weight = candidate_weight;
        best = std::move(candidate);
        best_live = std::move(candidate_live);
      }
    }
    if (best) {
      trace = std::move(*best);
      live = std::move(best_live);
      weight = best_weight;
      improved = true;
    }
  }
  number_regions(trace);
  return trace;
}

} // namespace thunder
