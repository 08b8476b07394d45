#include "thunder/passes/buffer_lifetimes.h"

#include <algorithm>
#include <map>
#include <optional>
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

namespace {

// The strides eager PyTorch gives a tensor: what decides whether reshape, flatten and
// contiguous return a view or copy. Sizes of 1 carry any stride.
using Strides = std::vector<std::int64_t>;

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * std::max<std::int64_t>(shape[d], 1);
  return strides;
}

bool is_contiguous(const Shape& shape, const Strides& strides) {
  std::int64_t expected = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    if (shape[d] == 1) continue;
    if (strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

// The strides of `shape` viewing storage laid out as `sizes`/`strides`, or nullopt where
// no view can (torch's view rule: each group of old dims that is contiguous in memory is
// split into new dims of the same element count).
std::optional<Strides> view_strides(const Shape& sizes, const Strides& strides, const Shape& shape) {
  std::int64_t numel = 1;
  for (const std::int64_t s : sizes)
    numel *= s;
  if (numel == 0 || sizes.empty()) return contiguous_strides(shape);
  Strides out(shape.size(), 1);
  auto new_d = static_cast<std::ptrdiff_t>(shape.size()) - 1;
  std::int64_t base_stride = strides.back();
  std::int64_t group = 1;
  std::int64_t viewed = 1;
  for (auto d = static_cast<std::ptrdiff_t>(sizes.size()) - 1; d >= 0; --d) {
    group *= sizes[static_cast<std::size_t>(d)];
    const bool group_ends =
        d == 0 || (sizes[static_cast<std::size_t>(d - 1)] != 1 &&
                   strides[static_cast<std::size_t>(d - 1)] != group * base_stride);
    if (!group_ends) continue;
    while (new_d >= 0 && (viewed < group || shape[static_cast<std::size_t>(new_d)] == 1)) {
      out[static_cast<std::size_t>(new_d)] = viewed * base_stride;
      viewed *= shape[static_cast<std::size_t>(new_d)];
      --new_d;
    }
    if (viewed != group) return std::nullopt;
    if (d > 0) {
      base_stride = strides[static_cast<std::size_t>(d - 1)];
      group = 1;
      viewed = 1;
    }
  }
  if (new_d != -1) return std::nullopt;
  return out;
}

std::int64_t normalized_dim(const Value& dim, std::size_t rank) {
  const std::int64_t d = dim.as_int();
  return d < 0 ? d + static_cast<std::int64_t>(rank) : d;
}

// How eager PyTorch lays out the output of `bsym` whose first tensor input has `strides`:
// the output's strides when the call returns a view of that input (every output for
// split/chunk), or nullopt when it makes a tensor of its own. Calls that are not views
// (everything but the shape ops below) return nullopt.
std::optional<Strides> eager_view(const BoundSymbol& bsym, const TensorProxy& in,
                                  const Strides& strides, const TensorProxy& out) {
  if (bsym.symbol == nullptr) return std::nullopt;
  const std::string name = bsym.symbol->qualified_name();
  const Shape& sizes = in.shape();
  const Shape& shape = out.shape();
  const auto& args = bsym.args;
  // Size-1 dims inserted or removed: the other dims keep their strides in order.
  const auto keep_non_unit = [&] {
    Strides result(shape.size(), 1);
    std::size_t i = 0;
    for (std::size_t o = 0; o < shape.size(); ++o) {
      while (i < sizes.size() && sizes[i] == 1 && shape[o] != 1) ++i;
      if (shape[o] != 1 && i < sizes.size()) result[o] = strides[i++];
      else if (i < sizes.size() && sizes[i] == 1 && shape[o] == 1) ++i;
    }
    return result;
  };
  if (name == "ltorch.alias" || (name == "ltorch.expand" && sizes == shape)) return strides;
  if (name == "ltorch.unsqueeze" || name == "ltorch.squeeze" || name == "prims.squeeze")
    return keep_non_unit();
  if (name == "ltorch.transpose" || name == "ltorch.permute" || name == "prims.transpose") {
    std::vector<std::int64_t> order(sizes.size());
    for (std::size_t d = 0; d < order.size(); ++d)
      order[d] = static_cast<std::int64_t>(d);
    if (name == "ltorch.transpose") {
      if (sizes.size() < 2) return strides;
      std::swap(order[static_cast<std::size_t>(normalized_dim(args.at(1), sizes.size()))],
                order[static_cast<std::size_t>(normalized_dim(args.at(2), sizes.size()))]);
    } else {
      order = args.at(1).as_ints();
      for (std::int64_t& d : order)
        if (d < 0) d += static_cast<std::int64_t>(sizes.size());
    }
    Strides result(order.size());
    for (std::size_t d = 0; d < order.size(); ++d)
      result[d] = strides.at(static_cast<std::size_t>(order[d]));
    return result;
  }
  if (name == "ltorch.expand" || name == "prims.broadcast_in_dim") {
    // Input dim i lands on output dim dims[i] (aligned right for expand); the rest, and
    // the size-1 dims that grow, read one element: stride 0.
    std::vector<std::int64_t> dims;
    if (name == "prims.broadcast_in_dim") {
      dims = args.at(2).as_ints();
    } else {
      for (std::size_t i = 0; i < sizes.size(); ++i)
        dims.push_back(static_cast<std::int64_t>(shape.size() - sizes.size() + i));
    }
    Strides result(shape.size(), 0);
    for (std::size_t i = 0; i < dims.size() && i < sizes.size(); ++i) {
      const auto o = static_cast<std::size_t>(dims[i]);
      result[o] = sizes[i] == shape[o] ? strides[i] : 0;
    }
    return result;
  }
  if (name == "ltorch.slice" || name == "ltorch.narrow" || name == "ltorch.split" ||
      name == "ltorch.chunk" || name == "prims.slice") {
    Strides result = strides;
    if (name == "ltorch.slice" && args.size() > 4 && args[4].is_number()) {
      result[static_cast<std::size_t>(normalized_dim(args[1], sizes.size()))] *= args[4].as_int();
    } else if (name == "prims.slice" && args.size() > 3 && args[3].is_list()) {
      const std::vector<std::int64_t> steps = args[3].as_ints();
      for (std::size_t d = 0; d < steps.size() && d < result.size(); ++d)
        result[d] *= steps[d];
    }
    return result;
  }
  if (name == "ltorch.select") {
    Strides result = strides;
    result.erase(result.begin() + normalized_dim(args.at(1), sizes.size()));
    return result;
  }
  if (name == "ltorch.view" || name == "ltorch.reshape" || name == "ltorch.flatten" ||
      name == "ltorch.unflatten" || name == "prims.reshape") {
    // view always views (eager refused the call otherwise); reshape views where it can.
    return view_strides(sizes, strides, shape);
  }
  if (name == "ltorch.contiguous") {
    if (is_contiguous(sizes, strides)) return strides;
  }
  return std::nullopt;
}

} // namespace

std::vector<std::int64_t> live_bytes_during_calls(const Trace& trace) {
  const std::vector<std::vector<Value>> deaths = deaths_after_each_call(trace);
  // Each view's storage: the tensor it (transitively) views, found by following eager's
  // strides (reshape of a transposed tensor copies, of a split one views).
  std::map<std::string, std::string> base;
  std::map<std::string, Strides> strides_of;
  const auto storage_of = [&base](const std::string& name) {
    const auto it = base.find(name);
    return it == base.end() ? name : it->second;
  };
  const auto layout = [&strides_of](const TensorProxy& t) {
    const auto it = strides_of.find(t.name());
    return it != strides_of.end() ? it->second : contiguous_strides(t.shape());
  };
  for (const BoundSymbol& bsym : trace.bound_symbols) {
    if (bsym.symbol == &python_del()) continue;
    const std::vector<const Proxy*> inputs = bsym.input_proxies();
    const auto first = std::find_if(inputs.begin(), inputs.end(), [](const Proxy* p) {
      return p->kind() == ProxyKind::Tensor;
    });
    for (const Proxy* out : bsym.output_proxies()) {
      if (out->kind() != ProxyKind::Tensor) continue;
      const auto& o = static_cast<const TensorProxy&>(*out);
      std::optional<Strides> view;
      if (first != inputs.end() && (*first)->name() != o.name()) {
        const auto& in = static_cast<const TensorProxy&>(**first);
        view = eager_view(bsym, in, layout(in), o);
      }
      if (view) {
        base[o.name()] = storage_of((*first)->name());
        strides_of[o.name()] = *view;
      }
    }
  }
  // A storage is freed after the call where its last view (or itself) dies; never where one
  // of them is an input or returned (those are in no death list).
  std::map<std::string, std::size_t> died_at;
  for (std::size_t i = 0; i < deaths.size(); ++i) {
    for (const Value& v : deaths[i])
      died_at[v.proxy()->name()] = i;
  }
  constexpr std::size_t kNever = static_cast<std::size_t>(-1);
  std::map<std::string, std::size_t> freed_after;
  const auto note = [&](const std::string& name) {
    const auto it = died_at.find(name);
    const std::size_t at = it == died_at.end() ? kNever : it->second;
    auto [slot, fresh] = freed_after.emplace(storage_of(name), at);
    if (!fresh && slot->second != kNever) slot->second = at == kNever ? kNever : std::max(slot->second, at);
  };
  std::map<std::string, std::int64_t> storage_bytes;
  std::int64_t live = 0;
  for (const Value& input : trace.inputs) {
    input.for_each_proxy([&](const Proxy& p) {
      if (p.kind() != ProxyKind::Tensor) return;
      note(p.name());
      freed_after[storage_of(p.name())] = kNever;
      const auto& t = static_cast<const TensorProxy&>(p);
      if (storage_bytes.emplace(p.name(), t.numel() * item_size(t.dtype())).second)
        live += storage_bytes[p.name()];
    });
  }
  for (const BoundSymbol& bsym : trace.bound_symbols) {
    for (const Proxy* p : bsym.output_proxies())
      if (p->kind() == ProxyKind::Tensor) note(p->name());
  }
  std::vector<std::vector<std::string>> frees(trace.bound_symbols.size());
  for (const auto& [storage, at] : freed_after) {
    if (at != kNever) frees[at].push_back(storage);
  }
  std::vector<std::int64_t> during(trace.bound_symbols.size(), live);
  for (std::size_t i = 0; i < trace.bound_symbols.size(); ++i) {
    trace.bound_symbols[i].output.map_proxies([&](const Value& v) {
      // A view adds nothing; a call may also return its input as it is (already counted).
      if (v.is_tensor() && base.count(v.proxy()->name()) == 0 &&
          storage_bytes.emplace(v.proxy()->name(), bytes_of(v)).second) {
        live += bytes_of(v);
      }
      return v;
    });
    during[i] = live;
    for (const std::string& storage : frees[i])
      live -= storage_bytes.at(storage);
  }
  return during;
}

std::int64_t estimate_peak_bytes(const Trace& trace) {
  std::int64_t inputs = 0;
  for (const Value& input : trace.inputs) {
    input.for_each_proxy([&](const Proxy& p) {
      if (p.kind() == ProxyKind::Tensor) {
        const auto& t = static_cast<const TensorProxy&>(p);
        inputs += t.numel() * item_size(t.dtype());
      }
    });
  }
  const std::vector<std::int64_t> during = live_bytes_during_calls(trace);
  return during.empty() ? inputs : *std::max_element(during.begin(), during.end());
}

} // namespace thunder
