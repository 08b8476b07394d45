#include "thunder/passes/buffer_lifetimes.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace thunder {

namespace {

// For each call of the trace (del statements skipped), the intermediate tensors that die
// after it, in the order it reads them, then its own unread outputs.
std::vector<std::vector<Value>> deaths_after_each_call(const Trace& trace) {
  // Returned values and the caller's inputs never die here.
  std::set<std::string> kept;
  trace.output.for_each_proxy([&kept](const Proxy& p) { kept.insert(p.name()); });
  for (const Value& input : trace.inputs)
    input.for_each_proxy([&kept](const Proxy& p) { kept.insert(p.name()); });

  const std::size_t n = trace.bound_symbols.size();
  std::map<std::string, std::size_t> last_use;
  for (std::size_t i = 0; i < n; ++i) {
    if (trace.bound_symbols[i].symbol == &python_del()) continue;
    for (const Proxy* p : trace.bound_symbols[i].input_proxies())
      last_use[p->name()] = i;
  }
  std::vector<std::vector<Value>> deaths(n);
  std::set<std::string> listed;
  const auto die_at = [&](std::size_t i, const Value& v) {
    if (!v.is_tensor() || kept.count(v.proxy()->name()) != 0) return;
    if (listed.insert(v.proxy()->name()).second) deaths[i].push_back(v);
  };
  std::set<std::string> defined;
  for (std::size_t i = 0; i < n; ++i) {
    const BoundSymbol& bsym = trace.bound_symbols[i];
    if (bsym.symbol == &python_del()) continue;
    const auto visit_inputs = [&](const Value& value) {
      value.map_proxies([&](const Value& v) {
        if (defined.count(v.proxy()->name()) != 0 && last_use.at(v.proxy()->name()) == i)
          die_at(i, v);
        return v;
      });
    };
    for (const Value& arg : bsym.args)
      visit_inputs(arg);
    for (const auto& [name, value] : bsym.kwargs)
      visit_inputs(value);
    bsym.output.map_proxies([&](const Value& v) {
      defined.insert(v.proxy()->name());
      const auto it = last_use.find(v.proxy()->name());
      if (it == last_use.end() || it->second < i) die_at(i, v);
      return v;
    });
  }
  return deaths;
}

std::int64_t bytes_of(const Value& v) {
  const TensorProxy& t = *v.as_tensor();
  return t.numel() * item_size(t.dtype());
}

} // namespace

Trace delete_last_used(const Trace& trace) {
  const std::vector<std::vector<Value>> deaths = deaths_after_each_call(trace);
  Trace out = trace.derive("Delete Last Used");
  for (std::size_t i = 0; i < trace.bound_symbols.size(); ++i) {
    const BoundSymbol& bsym = trace.bound_symbols[i];
    if (bsym.symbol == &python_del()) continue; // Recomputed: an earlier run's are stale.
    out.bound_symbols.push_back(bsym);
    if (deaths[i].empty()) continue;
    BoundSymbol del;
    del.symbol = &python_del();
    del.args = deaths[i];
    out.bound_symbols.push_back(std::move(del));
  }
  return out;
}

std::int64_t estimate_peak_bytes(const Trace& trace) {
  const std::vector<std::vector<Value>> deaths = deaths_after_each_call(trace);
  std::int64_t live = 0;
  std::set<std::string> counted;
  for (const Value& input : trace.inputs) {
    if (input.is_tensor() && counted.insert(input.proxy()->name()).second)
      live += bytes_of(input);
  }
  std::int64_t peak = live;
  for (std::size_t i = 0; i < trace.bound_symbols.size(); ++i) {
    trace.bound_symbols[i].output.map_proxies([&](const Value& v) {
      // A call may return its input as it is: that buffer is already counted.
      if (v.is_tensor() && counted.insert(v.proxy()->name()).second) live += bytes_of(v);
      return v;
    });
    peak = std::max(peak, live);
    for (const Value& v : deaths[i])
      live -= bytes_of(v);
  }
  return peak;
}

} // namespace thunder
