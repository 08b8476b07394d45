#include "thunder/passes/fusion.h"

#include "thunder/core/error.h"
#include "thunder/executors/executor.h"
#include "thunder/ops/prims.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace thunder {

// These symbols live for the whole process, as the prims do: bound symbols point to
// them. One per name ("spirv.fusion0"); none is ever called through BoundArgs.
const Symbol& executor_symbol(const std::string& name, Tags tags) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<const Symbol>> symbols;
  const std::lock_guard<std::mutex> lock(mutex);
  auto& slot = symbols[name];
  if (slot == nullptr) {
    const MetaFn never_called = [name](const BoundArgs&) -> Value {
      THUNDER_INTERNAL_ASSERT(false) << name << " called as a symbol";
      return {};
    };
    slot = std::make_unique<const Symbol>(make_symbol({.name = name,
                                                       .ns = SymbolNamespace::Fusion,
                                                       .params = {},
                                                       .tags = tags,
                                                       .meta = never_called,
                                                       .torch_ops = {}}));
  }
  THUNDER_INTERNAL_ASSERT(slot->tags.has(Tag::Matmul) == tags.has(Tag::Matmul))
      << name << " was made with other tags";
  return *slot;
}

const Symbol& region_symbol(const std::string& name) {
  return executor_symbol(name, {});
}

bool is_fusion_region(const BoundSymbol& bsym) {
  return bsym.symbol != nullptr && bsym.symbol->ns == SymbolNamespace::Fusion &&
         !bsym.symbol->tags.has(Tag::Matmul);
}

namespace {

// The values (proxies, with their metadata) a value holds, in order.
void collect_proxies(const Value& value, std::vector<Value>& out) {
  value.map_proxies([&out](const Value& proxy) {
    out.push_back(proxy);
    return proxy;
  });
}

// The values a call reads (its arguments' proxies, then its keyword arguments'), in order.
std::vector<Value> values_read(const BoundSymbol& call) {
  std::vector<Value> read;
  for (const Value& arg : call.args)
    collect_proxies(arg, read);
  for (const auto& [name, value] : call.kwargs)
    collect_proxies(value, read);
  return read;
}

std::int64_t numel_of(const Value& value) {
  return value.is_tensor() ? value.as_tensor()->numel() : 1;
}

bool is_convolution(const BoundSymbol& bsym) {
  return bsym.symbol == &prims::symbol(prims::PrimId::convolution);
}

// The points a reduction combines for each of its results: a cumsum's up to the length of
// its dim, a convolution's weight elements per output channel, the others' input elements
// per output element.
std::int64_t reduced_points(const BoundSymbol& bsym, std::int64_t output_numel) {
  if (is_convolution(bsym) && bsym.args.size() > 1 && bsym.args[1].is_tensor()) {
    const TensorProxy& w = *bsym.args[1].as_tensor();
    return w.shape().empty() || w.shape()[0] == 0 ? 0 : w.numel() / w.shape()[0];
  }
  if (bsym.symbol == &prims::symbol(prims::PrimId::cumsum) && bsym.args.size() > 1 &&
      bsym.args[0].is_tensor() && bsym.args[1].is_scalar()) {
    const TensorProxy& a = *bsym.args[0].as_tensor();
    std::int64_t dim = bsym.args[1].as_int();
    if (dim < 0) dim += a.ndim();
    return dim >= 0 && dim < a.ndim() ? a.shape()[static_cast<std::size_t>(dim)] : 1;
  }
  return numel_of(bsym.args.front()) / output_numel;
}

struct Node {
  const BoundSymbol* bsym = nullptr;
  const Executor* fusing_executor = nullptr; // Null: not fusible.
  std::vector<std::size_t> producers;        // Distinct, in the trace.
  std::vector<std::size_t> users;            // Distinct.
  std::size_t pending = 0;                   // Producers not yet scheduled.
  std::int64_t numel = 1;                    // Of its (first) output.
  // A reduction over more than kFusionRecomputeLimit points per output: its output's numel.
  std::optional<std::int64_t> long_reduction;
  // While in the open region: the smallest numel of a long reduction of the region it
  // depends on, through members of the region (nullopt: none).
  std::optional<std::int64_t> reduced_numel;
};

class Fuser {
public:
  Fuser(const Trace& trace, const std::vector<const Executor*>& executors) : trace_(trace) {
    std::map<std::string, std::size_t> producer_of;
    nodes_.resize(trace.bound_symbols.size());
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const BoundSymbol& bsym = trace.bound_symbols[i];
      Node& node = nodes_[i];
      node.bsym = &bsym;
      const Executor* executor = nullptr;
      for (const Executor* e : executors) {
        if (e->name() == bsym.executor) executor = e;
      }
      THUNDER_INTERNAL_ASSERT(executor != nullptr)
          << bsym.call_string() << " has executor '" << bsym.executor
          << "', not one of the executors given to fuse (run assign_executors first)";
      if (executor->fusible(bsym)) node.fusing_executor = executor;
      node.numel = numel_of(bsym.output.is_list() && !bsym.output.as_list().empty()
                                ? bsym.output.as_list().front()
                                : bsym.output);
      if (bsym.symbol != nullptr &&
          (bsym.symbol->tags.has(Tag::Reduction) || is_convolution(bsym)) && !bsym.args.empty() &&
          node.numel > 0 && reduced_points(bsym, node.numel) > kFusionRecomputeLimit) {
        node.long_reduction = node.numel;
      }
      std::set<std::size_t> producers;
      for (const Proxy* p : bsym.input_proxies()) {
        const auto it = producer_of.find(p->name());
        if (it != producer_of.end()) producers.insert(it->second);
      }
      node.producers.assign(producers.begin(), producers.end());
      node.pending = producers.size();
      for (std::size_t producer : producers)
        nodes_[producer].users.push_back(i);
      for (const Proxy* p : bsym.output_proxies())
        producer_of[p->name()] = i;
    }
    trace.output.for_each_proxy([this](const Proxy& p) { returned_.insert(p.name()); });
  }

  // A topological order that keeps each executor's fusible calls together: while a region
  // is open it takes every ready fusible call of its executor, and lets through ready
  // calls that do not depend on it (they are placed before it); when neither is left it
  // closes. Outside regions, unfusible calls go first, so regions start with more ready.
  Trace run() {
    Trace out = trace_.derive("Fusion");
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].pending == 0) ready_.insert(i);
    }
    while (!ready_.empty()) {
      if (region_executor_ != nullptr) {
        if (const auto next = ready_fusible(region_executor_)) {
          add_to_region(*next);
          continue;
        }
        if (const auto next = ready_independent_unfusible()) {
          schedule(*next);
          out.bound_symbols.push_back(*nodes_[*next].bsym);
          continue;
        }
        close_region(out);
        continue;
      }
      if (const auto next = ready_independent_unfusible()) {
        schedule(*next);
        out.bound_symbols.push_back(*nodes_[*next].bsym);
        continue;
      }
      // Only fusible calls are ready: the first in the trace opens a region.
      region_executor_ = nodes_[*ready_.begin()].fusing_executor;
    }
    if (region_executor_ != nullptr) close_region(out);
    THUNDER_INTERNAL_ASSERT(scheduled_ == nodes_.size())
        << "the trace's calls do not form a dataflow graph (a name used before it is defined)";
    return out;
  }

private:
  std::optional<std::size_t> ready_fusible(const Executor* executor) const {
    for (std::size_t i : ready_) {
      if (nodes_[i].fusing_executor == executor && !recomputes_reduction(i) &&
          !convolves_region(i)) {
        return i;
      }
    }
    return std::nullopt;
  }

  // The smallest numel of a long reduction in the open region that node i would read
  // through the region, or nullopt.
  std::optional<std::int64_t> region_reduction_below(std::size_t i) const {
    std::optional<std::int64_t> smallest;
    for (std::size_t producer : nodes_[i].producers) {
      if (in_region_.count(producer) == 0) continue;
      const std::optional<std::int64_t> r = nodes_[producer].reduced_numel;
      if (r && (!smallest || *r < *smallest)) smallest = r;
    }
    return smallest;
  }

  // A generated kernel computes a value once per element of what it is stored into, so a
  // call with more elements than a long reduction it reads in the same region (softmax's
  // division by the row sum) would redo the whole reduction for every element: it starts
  // the next region instead, which reads the reduction's result from memory.
  bool recomputes_reduction(std::size_t i) const {
    const std::optional<std::int64_t> below = region_reduction_below(i);
    return below && nodes_[i].numel > *below;
  }

  // A convolution reads each input element once per output channel and kernel offset, so
  // a value of its region it read would be recomputed that many times: it starts the next
  // region instead, which reads its inputs from memory.
  bool convolves_region(std::size_t i) const {
    if (!is_convolution(*nodes_[i].bsym)) return false;
    for (std::size_t producer : nodes_[i].producers) {
      if (in_region_.count(producer) != 0) return true;
    }
    return false;
  }

  // A ready unfusible call that reads nothing of the open region (any, when none is open).
  std::optional<std::size_t> ready_independent_unfusible() const {
    for (std::size_t i : ready_) {
      const Node& node = nodes_[i];
      if (node.fusing_executor != nullptr) continue;
      bool reads_region = false;
      for (std::size_t producer : node.producers)
        reads_region = reads_region || in_region_.count(producer) != 0;
      if (!reads_region) return i;
    }
    return std::nullopt;
  }

  void schedule(std::size_t i) {
    ready_.erase(i);
    ++scheduled_;
    for (std::size_t user : nodes_[i].users) {
      if (--nodes_[user].pending == 0) ready_.insert(user);
    }
  }

  void add_to_region(std::size_t i) {
    Node& node = nodes_[i];
    node.reduced_numel = region_reduction_below(i);
    if (node.long_reduction && (!node.reduced_numel || *node.long_reduction < *node.reduced_numel))
      node.reduced_numel = node.long_reduction;
    region_.push_back(i);
    in_region_.insert(i);
    schedule(i);
  }

  void close_region(Trace& out) {
    THUNDER_INTERNAL_ASSERT(!region_.empty()) << "closing an empty fusion region";
    const std::string executor = region_executor_->name();
    BoundSymbol fused;
    std::set<std::string> defined;
    std::set<std::string> seen_inputs;
    std::vector<Value> inputs;
    std::vector<Value> outputs;
    for (std::size_t i : region_) {
      const BoundSymbol& member = *nodes_[i].bsym;
      for (const Value& v : values_read(member)) {
        const std::string& name = v.proxy()->name();
        if (defined.count(name) == 0 && seen_inputs.insert(name).second) inputs.push_back(v);
      }
      std::vector<Value> written;
      collect_proxies(member.output, written);
      for (const Value& v : written) {
        defined.insert(v.proxy()->name());
        if (used_outside_region(i, v.proxy()->name())) outputs.push_back(v);
      }
      fused.subsymbols.push_back(member);
    }
    int& number = region_counts_[executor];
    fused.symbol = &region_symbol(str(executor, ".fusion", number++));
    fused.args = std::move(inputs);
    if (outputs.size() == 1) {
      fused.output = outputs.front();
    } else if (!outputs.empty()) {
      fused.output = Value(std::move(outputs));
    }
    fused.location = nodes_[region_.front()].bsym->location;
    fused.executor = executor;
    out.bound_symbols.push_back(std::move(fused));
    region_.clear();
    in_region_.clear();
    region_executor_ = nullptr;
  }

  bool used_outside_region(std::size_t definer, const std::string& name) const {
    if (returned_.count(name) != 0) return true;
    for (std::size_t user : nodes_[definer].users) {
      if (in_region_.count(user) != 0) continue;
      for (const Proxy* p : nodes_[user].bsym->input_proxies()) {
        if (p->name() == name) return true;
      }
    }
    return false;
  }

  const Trace& trace_;
  std::vector<Node> nodes_;
  std::set<std::string> returned_;
  std::set<std::size_t> ready_; // Ordered by position in the trace: deterministic.
  std::size_t scheduled_ = 0;
  const Executor* region_executor_ = nullptr;
  std::vector<std::size_t> region_;
  std::set<std::size_t> in_region_;
  std::map<std::string, int> region_counts_;
};

} // namespace

namespace {

// Whether a region member reduces (itself or in its subsymbols), as a cooperative kernel
// may split across a workgroup: not a cumsum's ordered loop.
bool reduces(const BoundSymbol& member) {
  if (member.symbol != nullptr && member.symbol->tags.has(Tag::Reduction) &&
      member.symbol != &prims::symbol(prims::PrimId::cumsum)) {
    return true;
  }
  return std::any_of(member.subsymbols.begin(), member.subsymbols.end(), reduces);
}

} // namespace

BoundSymbol sub_region(const BoundSymbol& region, const std::vector<bool>& keep,
                      const std::set<std::string>& stored) {
  BoundSymbol part;
  part.symbol = region.symbol; // Renamed when the trace's regions are numbered again.
  part.executor = region.executor;
  part.location = region.location;
  std::set<std::string> defined, seen;
  std::vector<Value> inputs, outputs;
  for (std::size_t i = 0; i < region.subsymbols.size(); ++i) {
    if (!keep[i]) continue;
    const BoundSymbol& member = region.subsymbols[i];
    for (const Value& v : values_read(member)) {
      if (defined.count(v.proxy()->name()) == 0 && seen.insert(v.proxy()->name()).second)
        inputs.push_back(v);
    }
    for (const Proxy* p : member.output_proxies())
      defined.insert(p->name());
    part.subsymbols.push_back(member);
  }
  std::vector<Value> region_outputs;
  collect_proxies(region.output, region_outputs);
  std::set<std::string> listed;
  for (const Value& v : region_outputs) {
    if (defined.count(v.proxy()->name()) != 0 && stored.count(v.proxy()->name()) != 0 &&
        listed.insert(v.proxy()->name()).second) {
      outputs.push_back(v);
    }
  }
  for (const BoundSymbol& member : part.subsymbols) {
    std::vector<Value> written;
    collect_proxies(member.output, written);
    for (const Value& v : written) {
      if (stored.count(v.proxy()->name()) != 0 && listed.insert(v.proxy()->name()).second)
        outputs.push_back(v);
    }
  }
  part.args = std::move(inputs);
  if (outputs.size() == 1) {
    part.output = outputs.front();
  } else if (!outputs.empty()) {
    part.output = Value(std::move(outputs));
  }
  return part;
}

namespace {

// A region that stores values of a reduction beside values that read none (a layer norm's
// residual sum and its row mean), as two regions: the first makes the values that read no
// reduction, the second the rest, reading from the first what both need. Only where the
// first part then stores nothing more than the region did, and the executor's kernel of the
// second part is cooperative (Executor::reduces_cooperatively): a kernel runs a reduction
// with a workgroup per result only when every value it stores reads one, and otherwise
// loops over the whole reduction in one thread per result (4096 threads summing 768 points
// each, on a GPU of 132 multiprocessors). Empty when the region stays whole.
std::vector<BoundSymbol> split_mixed_reduction(const BoundSymbol& region, const Executor& executor) {
  const std::size_t n = region.subsymbols.size();
  std::map<std::string, std::size_t> defined_by;
  std::vector<bool> reduced(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const BoundSymbol& member = region.subsymbols[i];
    reduced[i] = reduces(member);
    for (const Proxy* p : member.input_proxies()) {
      if (const auto it = defined_by.find(p->name()); it != defined_by.end())
        reduced[i] = reduced[i] || reduced[it->second];
    }
    for (const Proxy* p : member.output_proxies())
      defined_by[p->name()] = i;
  }
  std::vector<Value> outputs;
  collect_proxies(region.output, outputs);
  std::set<std::string> plain_outputs, reduced_outputs;
  for (const Value& v : outputs) {
    const auto it = defined_by.find(v.proxy()->name());
    if (it == defined_by.end()) continue;
    (reduced[it->second] ? reduced_outputs : plain_outputs).insert(v.proxy()->name());
  }
  if (plain_outputs.empty() || reduced_outputs.empty()) return {};
  // The first part: every member the plain outputs need (none of which reads a reduction).
  std::vector<bool> first(n, false);
  std::vector<std::string> pending(plain_outputs.begin(), plain_outputs.end());
  while (!pending.empty()) {
    const auto it = defined_by.find(pending.back());
    pending.pop_back();
    if (it == defined_by.end() || first[it->second]) continue;
    first[it->second] = true;
    for (const Proxy* p : region.subsymbols[it->second].input_proxies())
      pending.push_back(p->name());
  }
  // The second: what the reduced outputs need, up to values the first part makes, which
  // the second reads; each must be one the first stores anyway (storing another would add
  // a full-size write and read that the whole region does not do).
  std::vector<bool> second(n, false);
  pending.assign(reduced_outputs.begin(), reduced_outputs.end());
  while (!pending.empty()) {
    const std::string name = pending.back();
    pending.pop_back();
    const auto it = defined_by.find(name);
    if (it == defined_by.end() || second[it->second]) continue;
    if (first[it->second]) {
      if (plain_outputs.count(name) == 0) return {};
      continue;
    }
    second[it->second] = true;
    for (const Proxy* p : region.subsymbols[it->second].input_proxies())
      pending.push_back(p->name());
  }
  BoundSymbol reducing = sub_region(region, second, reduced_outputs);
  if (!executor.reduces_cooperatively(reducing)) return {};
  return {sub_region(region, first, plain_outputs), std::move(reducing)};
}

} // namespace

void number_regions(Trace& trace) {
  std::map<std::string, int> counts;
  for (BoundSymbol& bsym : trace.bound_symbols) {
    if (!is_fusion_region(bsym)) continue;
    bsym.symbol = &region_symbol(str(bsym.executor, ".fusion", counts[bsym.executor]++));
  }
}

Trace fuse(const Trace& trace, const std::vector<const Executor*>& executors) {
  Trace fused = Fuser(trace, executors).run();
  std::map<std::string, const Executor*> by_name;
  for (const Executor* e : executors)
    by_name[e->name()] = e;
  std::vector<BoundSymbol> calls;
  bool split = false;
  for (BoundSymbol& bsym : fused.bound_symbols) {
    const auto it = by_name.find(bsym.executor);
    if (is_fusion_region(bsym) && it != by_name.end()) {
      if (std::vector<BoundSymbol> parts = split_mixed_reduction(bsym, *it->second); !parts.empty()) {
        for (BoundSymbol& part : parts)
          calls.push_back(std::move(part));
        split = true;
        continue;
      }
    }
    calls.push_back(std::move(bsym));
  }
  fused.bound_symbols = std::move(calls);
  if (split) number_regions(fused);
  return fused;
}

} // namespace thunder
