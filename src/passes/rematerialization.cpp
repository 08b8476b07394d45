#include "thunder/passes/rematerialization.h"

#include "thunder/core/error.h"
#include "thunder/executors/executor.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/fusion.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace thunder {
namespace {

// Prims that compute nothing but an index mapping, a constant or a dtype conversion (one
// instruction on a value the reader loads anyway): free to recompute, and cheaper than
// storing (a converted f16 input would be stored twice its size).
bool recomputable(const BoundSymbol& bsym) {
  using prims::PrimId;
  for (const PrimId id : {PrimId::broadcast_in_dim, PrimId::reshape, PrimId::transpose,
                          PrimId::squeeze, PrimId::slice, PrimId::full, PrimId::iota,
                          PrimId::convert_element_type}) {
    if (bsym.symbol == &prims::symbol(id)) return bsym.output.is_tensor();
  }
  return false;
}

// Elementwise prims of a few instructions (compares, selects, integer arithmetic). Recomputed
// only on values that depend on no tensor of the trace (indices and constants: causal
// masks, position ids), where storing them costs memory and recomputing costs no load.
bool cheap_on_indices(const BoundSymbol& bsym) {
  using prims::PrimId;
  for (const PrimId id :
       {PrimId::add, PrimId::sub, PrimId::mul, PrimId::neg, PrimId::eq, PrimId::ne, PrimId::lt,
        PrimId::le, PrimId::gt, PrimId::ge, PrimId::bitwise_and, PrimId::bitwise_or,
        PrimId::bitwise_xor, PrimId::bitwise_not, PrimId::where, PrimId::maximum,
        PrimId::minimum}) {
    if (bsym.symbol == &prims::symbol(id)) return bsym.output.is_tensor();
  }
  return false;
}

std::vector<std::string> names_read(const BoundSymbol& bsym) {
  std::vector<std::string> names;
  for (const Proxy* p : bsym.input_proxies())
    names.push_back(p->name());
  return names;
}

std::int64_t numel(const Shape& shape) {
  std::int64_t n = 1;
  for (const std::int64_t s : shape)
    n *= s;
  return n;
}

std::int64_t bytes(const TensorProxy& t) {
  return numel(t.shape()) * item_size(t.dtype());
}

// The strides of `shape` over the layout `in` without a copy, or nullopt (as torch's
// computeStride: each run of new dims must cover a run of old dims that is contiguous
// among itself).
std::optional<std::vector<std::int64_t>> reshape_strides(const StridedLayout& in,
                                                         const Shape& shape) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  if (in.shape.empty() || numel(in.shape) == 0) return contiguous_layout(shape).strides;
  std::vector<std::int64_t> strides(shape.size(), 0);
  std::int64_t view_d = rank - 1;
  std::int64_t chunk_base_stride = in.strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (auto tensor_d = static_cast<std::int64_t>(in.shape.size()) - 1; tensor_d >= 0; --tensor_d) {
    const auto d = static_cast<std::size_t>(tensor_d);
    tensor_numel *= in.shape[d];
    if (tensor_d == 0 ||
        (in.shape[d - 1] != 1 && in.strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 &&
             (view_numel < tensor_numel || shape[static_cast<std::size_t>(view_d)] == 1)) {
        strides[static_cast<std::size_t>(view_d)] = view_numel * chunk_base_stride;
        view_numel *= shape[static_cast<std::size_t>(view_d)];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = in.strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

// Strides {batch, row, col} of a matmul operand laid out as `layout`, whose batch dims (all
// but the last two) one stride walks: what the spirv matmul kernel reads.
bool one_batch_stride(const StridedLayout& layout) {
  const std::size_t rank = layout.shape.size();
  if (rank < 2) return false;
  std::optional<std::int64_t> next;
  for (std::size_t d = rank - 2; d-- > 0;) {
    if (layout.shape[d] == 1) continue;
    if (next && layout.strides[d] != *next) return false;
    next = layout.strides[d] * layout.shape[d];
  }
  return true;
}

class Rematerializer {
public:
  Rematerializer(const Trace& trace, const std::vector<const Executor*>& executors)
      : trace_(trace), out_(trace.derive("Rematerialization")), executors_(executors) {
    for (const Value& input : trace.inputs)
      input.for_each_proxy([&](const Proxy& p) { trace_inputs_.insert(p.name()); });
    trace.output.for_each_proxy([&](const Proxy& p) { returned_.insert(p.name()); });
    for (std::size_t i = 0; i < trace.bound_symbols.size(); ++i) {
      const BoundSymbol& bsym = trace.bound_symbols[i];
      for (const std::string& name : names_read(bsym))
        readers_[name].insert(i);
      if (!is_fusion_region(bsym)) continue;
      for (const BoundSymbol& member : bsym.subsymbols) {
        for (const Proxy* p : member.output_proxies()) {
          made_by_[p->name()] = &member;
          made_in_[p->name()] = i;
        }
        for (const std::string& name : names_read(member)) {
          ++member_reads_[name];
          if (is_view_prim(member)) ++member_view_reads_[name];
        }
      }
    }
  }

  Trace run() {
    out_.bound_symbols = trace_.bound_symbols;
    // Each region that reads a value it can recompute takes the prims that make it.
    for (std::size_t i = 0; i < out_.bound_symbols.size(); ++i) {
      BoundSymbol& region = out_.bound_symbols[i];
      if (!is_fusion_region(region)) continue;
      std::vector<BoundSymbol> recomputed;
      std::set<std::string> defined;
      for (const std::string& name : names_read(region)) {
        if (moves(name)) {
          add_chain(name, recomputed, defined);
        } else if (std::optional<std::vector<const BoundSymbol*>> chain = view_chain(name, false)) {
          // A view of a value the region that made it computed: that region stores the
          // value instead (no larger), and this one views it as index arithmetic.
          const TensorProxyPtr& base = chain->front()->args.at(0).as_tensor();
          if (made_in_.count(base->name()) != 0 && trace_inputs_.count(base->name()) == 0 &&
              made_in_.at(base->name()) == made_in_.at(name)) {
            add_output(out_.bound_symbols[made_in_.at(name)], chain->front()->args.at(0));
            stored_bases_.insert(base->name());
          }
          for (const BoundSymbol* member : *chain) {
            if (defined.insert(member->output.proxy()->name()).second) recomputed.push_back(*member);
          }
        }
      }
      if (recomputed.empty()) continue;
      region.subsymbols.insert(region.subsymbols.begin(), recomputed.begin(), recomputed.end());
    }
    // Last of the moves: it inserts calls, so positions of trace_ and out_ differ after it.
    move_views_to_readers();
    // Then every region keeps the members and outputs something still reads.
    for (std::size_t i = 0; i < out_.bound_symbols.size(); ++i) {
      BoundSymbol& bsym = out_.bound_symbols[i];
      if (is_fusion_region(bsym)) refresh_args(bsym);
    }
    // Later regions first: what a region still reads is settled before the regions that
    // made it are pruned (a call reads only what comes before it).
    std::vector<bool> keep(out_.bound_symbols.size(), true);
    for (std::size_t i = out_.bound_symbols.size(); i-- > 0;) {
      if (is_fusion_region(out_.bound_symbols[i])) keep[i] = prune(i);
    }
    std::vector<BoundSymbol> kept;
    for (std::size_t i = 0; i < out_.bound_symbols.size(); ++i) {
      if (keep[i]) kept.push_back(std::move(out_.bound_symbols[i]));
    }
    out_.bound_symbols = std::move(kept);
    return std::move(out_);
  }

private:
  // Whether an unfused call's executor reads its operands' views in place.
  bool reads_views(const BoundSymbol& bsym) const {
    if (is_fusion_region(bsym) || bsym.symbol == nullptr) return false;
    for (const Executor* executor : executors_) {
      if (executor->name() == bsym.executor) return executor->reads_views_in_place(bsym);
    }
    return false;
  }

  // The elements of `base` that readers taking any layout read through views of it (view
  // prims of its region, no broadcast): each distinct view's footprint (its extents whose
  // stride is not 0) counted once.
  std::int64_t viewed_with_any_layout(const TensorProxy& base_proxy) const {
    const std::string& base = base_proxy.name();
    std::set<std::string> seen;
    std::int64_t total = 0;
    for (const auto& [name, readers] : readers_) {
      const auto maker = made_by_.find(name);
      if (maker == made_by_.end() || !is_view_prim(*maker->second) || !read_with_any_layout(name))
        continue;
      std::vector<const BoundSymbol*> chain;
      for (const BoundSymbol* m = maker->second; m != nullptr && is_view_prim(*m);) {
        chain.insert(chain.begin(), m);
        const Value& in = m->args.at(0);
        if (!in.is_proxy() || in.proxy()->name() == base) break;
        const auto up = made_by_.find(in.proxy()->name());
        m = up == made_by_.end() ? nullptr : up->second;
      }
      if (chain.empty() || chain.front()->args.at(0).proxy()->name() != base) continue;
      std::optional<StridedLayout> layout = contiguous_layout(base_proxy.shape());
      for (const BoundSymbol* m : chain) {
        if (layout && m->symbol == &prims::symbol(prims::PrimId::broadcast_in_dim)) layout.reset();
        if (layout) layout = view_layout(*m, *layout);
      }
      if (!layout) continue;
      std::string key = str(layout->offset, ":");
      std::int64_t footprint = 1;
      for (std::size_t d = 0; d < layout->shape.size(); ++d) {
        key += str(layout->shape[d], "/", layout->strides[d], ",");
        if (layout->strides[d] != 0) footprint *= layout->shape[d];
      }
      if (seen.insert(key).second) total += footprint;
    }
    return total;
  }

  // Whether every reader of `name` reads a view of it through any strides and offset.
  bool read_with_any_layout(const std::string& name) const {
    const auto readers = readers_.find(name);
    if (readers == readers_.end()) return false;
    return std::all_of(readers->second.begin(), readers->second.end(), [&](std::size_t r) {
      const BoundSymbol& reader = trace_.bound_symbols[r];
      return std::any_of(executors_.begin(), executors_.end(), [&](const Executor* e) {
        return e->name() == reader.executor && e->reads_any_view_layout(reader);
      });
    });
  }

  // The view chains read by calls that take views: moved out of their regions to run right
  // before their first reader, with its executor.
  void move_views_to_readers() {
    if (executors_.empty()) return;
    std::map<std::size_t, std::vector<BoundSymbol>> before;       // By reader position.
    std::map<std::size_t, std::set<std::string>> dropped;           // Region outputs no more.
    std::map<std::size_t, std::vector<Value>> added;                // Region outputs now.
    std::set<std::string> moved;
    for (std::size_t i = 0; i < trace_.bound_symbols.size(); ++i) {
      const BoundSymbol& reader = trace_.bound_symbols[i];
      if (!reads_views(reader)) continue;
      for (const Value& arg : reader.args) {
        if (!arg.is_proxy() || arg.proxy()->kind() != ProxyKind::Tensor) continue;
        const std::string& name = arg.proxy()->name();
        // A value regions now read as the base of their views stays where it is made.
        if (moved.count(name) != 0 || stored_bases_.count(name) != 0) continue;
        std::optional<std::vector<const BoundSymbol*>> chain = view_chain(name, true);
        if (!chain) continue;
        const std::size_t region = made_in_.at(name);
        const Value& base = chain->front()->args.at(0);
        if (trace_inputs_.count(base.proxy()->name()) == 0 &&
            made_in_.count(base.proxy()->name()) != 0 &&
            made_in_.at(base.proxy()->name()) == region) {
          added[region].push_back(base);
        }
        for (const BoundSymbol* member : *chain) {
          // A view shared by chains (made for an earlier one) is made once.
          if (moved.count(member->output.as_tensor()->name()) != 0) continue;
          BoundSymbol view = *member;
          view.executor = reader.executor;
          before[i].push_back(std::move(view));
          for (const Proxy* p : member->output_proxies()) {
            dropped[region].insert(p->name());
            moved.insert(p->name());
          }
        }
      }
    }
    // A shared view another chain needs as its region-made base stays in its region: the
    // region runs before every reader, and moving it too would define it twice.
    for (const auto& [region, values] : added) {
      for (const Value& v : values) {
        const std::string& name = v.proxy()->name();
        if (moved.erase(name) == 0) continue;
        dropped[region].erase(name);
        for (auto& [position, views] : before) {
          views.erase(std::remove_if(views.begin(), views.end(),
                                     [&](const BoundSymbol& b) {
                                       return b.output.as_tensor()->name() == name;
                                     }),
                      views.end());
        }
      }
    }
    if (before.empty()) return;
    for (auto& [region, values] : added) {
      for (const Value& v : values)
        add_output(out_.bound_symbols[region], v);
    }
    for (auto& [region, names] : dropped) {
      BoundSymbol& bsym = out_.bound_symbols[region];
      std::vector<Value> outputs;
      std::set<std::string> kept;
      bsym.output.map_proxies([&](const Value& v) {
        if (names.count(v.proxy()->name()) == 0 && kept.insert(v.proxy()->name()).second)
          outputs.push_back(v);
        return v;
      });
      for (const Value& v : added[region]) {
        if (kept.insert(v.proxy()->name()).second) outputs.push_back(v);
      }
      added.erase(region);
      if (outputs.size() == 1) {
        bsym.output = outputs.front();
      } else {
        bsym.output = Value(std::move(outputs)); // Empty: prune drops the region.
      }
    }
    std::vector<BoundSymbol> calls;
    for (std::size_t i = 0; i < out_.bound_symbols.size(); ++i) {
      if (const auto it = before.find(i); it != before.end()) {
        for (BoundSymbol& view : it->second)
          calls.push_back(std::move(view));
      }
      calls.push_back(std::move(out_.bound_symbols[i]));
    }
    out_.bound_symbols = std::move(calls);
  }

  // `v` joins the outputs of `region` (once).
  static void add_output(BoundSymbol& region, const Value& v) {
    std::vector<Value> outputs;
    bool found = false;
    region.output.map_proxies([&](const Value& out) {
      found = found || out.proxy()->name() == v.proxy()->name();
      outputs.push_back(out);
      return out;
    });
    if (found) return;
    outputs.push_back(v);
    region.output = outputs.size() == 1 ? outputs.front() : Value(std::move(outputs));
  }

  // The view prims, in order, that make `name` in its region from the value they view, where
  // `name` may be read as a view; nullopt otherwise. For calls that read views in place
  // (`strided`): every reader is one, and the view is one of strides they take. Otherwise
  // every reader is a region, which recomputes the view as index arithmetic, and dtype
  // conversions may be in the chain too (one instruction on the value it loads): llama's
  // rotary cos and sin, broadcast over the heads and upcast to f32, are stored as the
  // bf16 [S, D] they are, not as f32 [B, H, S, D] per layer.
  std::optional<std::vector<const BoundSymbol*>> view_chain(const std::string& name,
                                                            bool strided) const {
    const auto in_chain = [strided](const BoundSymbol& bsym) {
      return is_view_prim(bsym) ||
             (!strided && bsym.symbol == &prims::symbol(prims::PrimId::convert_element_type));
    };
    const auto maker = made_by_.find(name);
    if (maker == made_by_.end() || !in_chain(*maker->second) || returned_.count(name) != 0)
      return std::nullopt;
    const auto readers = readers_.find(name);
    if (readers == readers_.end()) return std::nullopt;
    for (const std::size_t reader : readers->second) {
      const BoundSymbol& bsym = trace_.bound_symbols[reader];
      if (strided ? !reads_views(bsym) : !is_fusion_region(bsym)) return std::nullopt;
    }
    // Back through view prims of the same region whose outputs nothing else reads.
    const bool any_layout = strided && read_with_any_layout(name);
    const std::size_t region = made_in_.at(name);
    std::vector<const BoundSymbol*> chain{maker->second};
    for (;;) {
      const Value& input = chain.front()->args.at(0);
      if (!input.is_proxy()) return std::nullopt;
      const std::string& in = input.proxy()->name();
      const auto it = made_by_.find(in);
      // A view read by other members too stays, unless readers that take any layout get
      // it and every member reading it is a view (q, k and v sliced from one reshape).
      const bool shared_view = any_layout && member_reads_.at(in) > 1 &&
                               member_view_reads_.count(in) != 0 &&
                               member_view_reads_.at(in) == member_reads_.at(in);
      if (it == made_by_.end() || made_in_.at(in) != region || !in_chain(*it->second) ||
          (member_reads_.at(in) != 1 && !shared_view) || readers_.count(in) != 0 ||
          returned_.count(in) != 0 || stored_bases_.count(in) != 0)
        break;
      chain.insert(chain.begin(), it->second);
    }
    // The longest tail that views a contiguous value as strides the reader can take.
    const TensorProxy& out = *made_by_.at(name)->output.as_tensor();
    for (std::size_t k = 0; k < chain.size(); ++k) {
      const TensorProxy& base = *chain[k]->args.at(0).as_tensor();
      const bool input = trace_inputs_.count(base.name()) != 0;
      // A larger value viewed lives as long as its view; copying the view frees it sooner.
      // Unless readers that take any layout view at least half of it (k and v sliced from
      // one qkv product, q scaled in the region): the copies add what they view while the
      // value is still alive, and keeping it adds only its part nothing views, for longer.
      // Not knowing where the peak falls, the smaller of the two costs is taken.
      if (!input && bytes(base) > bytes(out) &&
          !(any_layout && 2 * viewed_with_any_layout(base) >= numel(base.shape())))
        continue;
      // A base that is itself a view a matmul reads in place would be made twice (in the
      // region, for this view, and before that matmul).
      if (strided && made_in_.count(base.name()) != 0 && made_in_.at(base.name()) == region &&
          view_chain(base.name(), true))
        continue;
      if (!strided) {
        return std::vector<const BoundSymbol*>(chain.begin() + static_cast<std::ptrdiff_t>(k),
                                               chain.end());
      }
      std::optional<StridedLayout> layout = contiguous_layout(base.shape());
      for (std::size_t j = k; j < chain.size() && layout; ++j)
        layout = view_layout(*chain[j], *layout);
      if (!layout) continue;
      if (!any_layout) {
        if (!one_batch_stride(*layout) || (!input && layout->offset != 0)) continue;
        if (!std::all_of(executors_.begin(), executors_.end(), [&](const Executor* e) {
              return e->reads_view_layout(layout->shape, layout->strides);
            }))
          continue;
      }
      return std::vector<const BoundSymbol*>(chain.begin() + static_cast<std::ptrdiff_t>(k),
                                             chain.end());
    }
    return std::nullopt;
  }

  // A value made inside a region, from trace inputs through recomputable prims only, not
  // returned, and read (at the top level) only by regions other than the one that made it.
  bool moves(const std::string& name) {
    if (const auto it = moves_.find(name); it != moves_.end()) return it->second;
    bool ok = returned_.count(name) == 0 && chain_ok(name);
    if (ok) {
      for (std::size_t reader : readers_[name]) {
        ok = ok && is_fusion_region(trace_.bound_symbols[reader]);
      }
    }
    moves_[name] = ok;
    return ok;
  }

  // `name` can be recomputed from trace inputs through recomputable members of regions, or
  // from no tensor of the trace at all through cheap ones.
  // Memoized, as index_only: masks share their subexpressions, and the walk would be
  // exponential in their depth.
  bool chain_ok(const std::string& name) const {
    if (const auto it = chain_ok_.find(name); it != chain_ok_.end()) return it->second;
    bool ok = index_only(name);
    if (!ok) {
      const auto it = made_by_.find(name);
      ok = it != made_by_.end() && recomputable(*it->second);
      if (ok) {
        for (const std::string& input : names_read(*it->second))
          ok = ok && (trace_inputs_.count(input) != 0 || chain_ok(input));
      }
    }
    chain_ok_[name] = ok;
    return ok;
  }

  // `name` is made by members of regions from indices and constants only.
  bool index_only(const std::string& name) const {
    if (const auto it = index_only_.find(name); it != index_only_.end()) return it->second;
    const auto it = made_by_.find(name);
    bool ok = it != made_by_.end() && (recomputable(*it->second) || cheap_on_indices(*it->second));
    if (ok) {
      for (const std::string& input : names_read(*it->second))
        ok = ok && index_only(input);
    }
    index_only_[name] = ok;
    return ok;
  }

  // Appends the members that make `name`, inputs first, each once.
  void add_chain(const std::string& name, std::vector<BoundSymbol>& members,
                 std::set<std::string>& defined) const {
    if (trace_inputs_.count(name) != 0 || defined.count(name) != 0) return;
    const BoundSymbol& maker = *made_by_.at(name);
    for (const std::string& input : names_read(maker))
      add_chain(input, members, defined);
    members.push_back(maker);
    defined.insert(name);
  }

  // A region's arguments: what its members read and do not define, in the old order, then
  // the trace inputs the recomputed members brought in.
  static void refresh_args(BoundSymbol& region) {
    std::set<std::string> defined;
    std::vector<Value> reads;
    std::set<std::string> seen;
    for (const BoundSymbol& member : region.subsymbols) {
      for (const Value& arg : member.args) {
        arg.map_proxies([&](const Value& v) {
          if (defined.count(v.proxy()->name()) == 0 && seen.insert(v.proxy()->name()).second)
            reads.push_back(v);
          return v;
        });
      }
      for (const auto& [key, value] : member.kwargs) {
        value.map_proxies([&](const Value& v) {
          if (defined.count(v.proxy()->name()) == 0 && seen.insert(v.proxy()->name()).second)
            reads.push_back(v);
          return v;
        });
      }
      for (const Proxy* p : member.output_proxies())
        defined.insert(p->name());
    }
    std::vector<Value> args;
    std::set<std::string> kept;
    for (const Value& old : region.args) {
      if (old.is_proxy() && seen.count(old.proxy()->name()) != 0) {
        args.push_back(old);
        kept.insert(old.proxy()->name());
      }
    }
    for (const Value& v : reads) {
      if (kept.count(v.proxy()->name()) == 0) args.push_back(v);
    }
    region.args = std::move(args);
  }

  // Drops the outputs of region i that no later call reads and the members nothing needs;
  // false when nothing is left of it.
  bool prune(std::size_t i) {
    BoundSymbol& region = out_.bound_symbols[i];
    std::set<std::string> needed;
    for (std::size_t j = 0; j < out_.bound_symbols.size(); ++j) {
      if (j == i) continue;
      for (const std::string& name : names_read(out_.bound_symbols[j]))
        needed.insert(name);
    }
    std::vector<Value> outputs;
    region.output.map_proxies([&](const Value& v) {
      if (needed.count(v.proxy()->name()) != 0 || returned_.count(v.proxy()->name()) != 0)
        outputs.push_back(v);
      return v;
    });
    std::set<std::string> live;
    for (const Value& v : outputs)
      live.insert(v.proxy()->name());
    std::vector<BoundSymbol> members;
    for (auto it = region.subsymbols.rbegin(); it != region.subsymbols.rend(); ++it) {
      bool used = false;
      for (const Proxy* p : it->output_proxies())
        used = used || live.count(p->name()) != 0;
      if (!used) continue;
      for (const std::string& name : names_read(*it))
        live.insert(name);
      members.insert(members.begin(), *it);
    }
    if (members.empty()) {
      // Nothing is left to run: it reads nothing either (earlier regions are pruned after).
      region.args.clear();
      region.subsymbols.clear();
      return false;
    }
    region.subsymbols = std::move(members);
    if (outputs.size() == 1) {
      region.output = outputs.front();
    } else {
      THUNDER_INTERNAL_ASSERT(!outputs.empty()) << "region " << region.call_string()
                                                << " keeps members but has no output";
      region.output = Value(std::move(outputs));
    }
    refresh_args(region);
    return true;
  }

  const Trace& trace_;
  Trace out_;
  const std::vector<const Executor*>& executors_;
  std::set<std::string> trace_inputs_;
  std::set<std::string> returned_;
  std::map<std::string, std::set<std::size_t>> readers_; // Top-level calls reading a name.
  std::map<std::string, const BoundSymbol*> made_by_;    // Region members, by output name.
  std::map<std::string, std::size_t> made_in_;           // Their regions' positions.
  std::map<std::string, int> member_reads_;              // Reads by region members.
  std::map<std::string, int> member_view_reads_;         // ... that are view prims.
  std::map<std::string, bool> moves_;
  mutable std::map<std::string, bool> chain_ok_;
  mutable std::map<std::string, bool> index_only_;
  std::set<std::string> stored_bases_; // Region outputs now, as what other regions view.
};

} // namespace

Trace rematerialize(const Trace& fused) {
  return Rematerializer(fused, {}).run();
}

Trace rematerialize(const Trace& fused, const std::vector<const Executor*>& executors) {
  return Rematerializer(fused, executors).run();
}

StridedLayout contiguous_layout(const Shape& shape) {
  StridedLayout layout{shape, std::vector<std::int64_t>(shape.size(), 1), 0};
  for (std::size_t d = shape.size(); d-- > 1;)
    layout.strides[d - 1] = layout.strides[d] * std::max<std::int64_t>(shape[d], 1);
  return layout;
}

bool is_view_prim(const BoundSymbol& prim) {
  using prims::PrimId;
  for (const PrimId id : {PrimId::broadcast_in_dim, PrimId::reshape, PrimId::transpose,
                          PrimId::squeeze, PrimId::slice}) {
    if (prim.symbol == &prims::symbol(id)) return prim.output.is_tensor();
  }
  return false;
}

std::optional<StridedLayout> view_layout(const BoundSymbol& prim, const StridedLayout& input) {
  using prims::PrimId;
  if (!is_view_prim(prim)) return std::nullopt;
  const Shape& shape = prim.output.as_tensor()->shape();
  StridedLayout out{shape, std::vector<std::int64_t>(shape.size(), 0), input.offset};
  if (prim.symbol == &prims::symbol(PrimId::transpose)) {
    const std::vector<std::int64_t> perm = prim.args.at(1).as_ints();
    for (std::size_t i = 0; i < perm.size(); ++i)
      out.strides[i] = input.strides.at(static_cast<std::size_t>(perm[i]));
  } else if (prim.symbol == &prims::symbol(PrimId::broadcast_in_dim)) {
    // Input dim k is output dim dims[k]; dims of extent 1 broadcast, new dims too.
    const std::vector<std::int64_t> dims = prim.args.at(2).as_ints();
    for (std::size_t k = 0; k < dims.size(); ++k) {
      if (input.shape.at(k) != 1) out.strides.at(static_cast<std::size_t>(dims[k])) = input.strides[k];
    }
  } else if (prim.symbol == &prims::symbol(PrimId::squeeze)) {
    const std::vector<std::int64_t> dims = prim.args.at(1).as_ints();
    std::size_t next = 0;
    for (std::size_t d = 0; d < input.shape.size(); ++d) {
      if (std::find(dims.begin(), dims.end(), static_cast<std::int64_t>(d)) == dims.end())
        out.strides.at(next++) = input.strides[d];
    }
  } else if (prim.symbol == &prims::symbol(PrimId::reshape)) {
    std::optional<std::vector<std::int64_t>> strides = reshape_strides(input, shape);
    if (!strides) return std::nullopt;
    out.strides = std::move(*strides);
  } else { // slice
    const std::vector<std::int64_t> start = prim.args.at(1).as_ints();
    const std::vector<std::int64_t> step = prim.args.at(3).as_ints();
    for (std::size_t d = 0; d < shape.size(); ++d) {
      out.offset += start.at(d) * input.strides.at(d);
      out.strides[d] = input.strides[d] * step.at(d);
    }
  }
  return out;
}

} // namespace thunder
