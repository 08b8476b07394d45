#include "thunder/passes/matmul_epilogues.h"

#include "thunder/core/error.h"
#include "thunder/executors/executor.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/fusion.h"
#include "thunder/passes/rematerialization.h"

#include <algorithm>
#include <map>
#include <set>

namespace thunder {

const Symbol& matmul_epilogue_symbol(const std::string& executor) {
  return executor_symbol(executor + ".matmul_epilogue", Tag::Matmul);
}

std::optional<MatmulEpilogue> matmul_epilogue_of(const BoundSymbol& bsym) {
  if (bsym.symbol == nullptr || bsym.symbol->ns != SymbolNamespace::Fusion ||
      !bsym.symbol->tags.has(Tag::Matmul)) {
    return std::nullopt;
  }
  MatmulEpilogue epilogue;
  epilogue.dtype = bsym.output.as_tensor()->dtype();
  epilogue.bias = bsym.args.size() > 2 && bsym.args[2].is_tensor();
  for (const auto& [key, value] : bsym.kwargs) {
    if (key == "activation" && value.as_string() == "relu")
      epilogue.activation = MatmulActivation::Relu;
  }
  return epilogue;
}

namespace {

bool is(const BoundSymbol& bsym, prims::PrimId id) {
  return bsym.symbol == &prims::symbol(id);
}

bool low_precision(DType dtype) {
  return dtype == DType::Float16 || dtype == DType::BFloat16;
}

// What was found after one matmul: the calls to replace (in trace order, the matmul first)
// and what the folded call computes.
struct Match {
  std::vector<std::size_t> replaced;
  TensorProxyPtr bias;           ///< The bias as the folded call reads it (none: no bias).
  MatmulEpilogue epilogue;
  TensorProxyPtr output;         ///< The last replaced call's output.
  bool peel = false;             ///< Operands are read before their f32 conversion.
};

class Folder {
public:
  Folder(const Trace& trace, const std::vector<const Executor*>& executors)
      : trace_(trace), executors_(executors) {
    const auto& bsyms = trace.bound_symbols;
    for (std::size_t i = 0; i < bsyms.size(); ++i) {
      for (const Proxy* p : bsyms[i].output_proxies())
        made_by_[p->name()] = i;
      std::set<std::string> read;
      for (const Proxy* p : bsyms[i].input_proxies())
        if (read.insert(p->name()).second) readers_[p->name()].push_back(i);
    }
    trace.output.for_each_proxy([this](const Proxy& p) { returned_.insert(p.name()); });
  }

  Trace run() {
    const auto& bsyms = trace_.bound_symbols;
    std::map<std::size_t, std::vector<BoundSymbol>> emit_at; // last replaced index -> calls
    std::set<std::size_t> removed;
    for (std::size_t i = 0; i < bsyms.size(); ++i) {
      if (!is(bsyms[i], prims::PrimId::matmul) || removed.count(i) != 0) continue;
      const Executor* executor = executor_named(bsyms[i].executor);
      if (executor == nullptr) continue;
      std::optional<Match> match = find(i, *executor);
      if (!match) continue;
      std::vector<BoundSymbol>& calls = emit_at[match->replaced.back()];
      BoundSymbol folded;
      folded.symbol = &matmul_epilogue_symbol(executor->name());
      folded.executor = executor->name();
      folded.location = bsyms[i].location;
      const BoundSymbol& matmul = bsyms[i];
      for (std::size_t operand = 0; operand < 2; ++operand) {
        const TensorProxyPtr& x = matmul.args[operand].as_tensor();
        folded.args.push_back(match->peel ? unconverted(x, calls) : Value(x));
      }
      folded.args.push_back(match->bias ? Value(match->bias) : Value());
      folded.kwargs.emplace_back("activation", activation_name(match->epilogue.activation));
      folded.output = Value(match->output);
      removed.insert(match->replaced.begin(), match->replaced.end()); // subsymbols: below
      // What only the replaced calls read may now be unread: the f32 conversions and
      // views of the operands, the bias's broadcast and conversion.
      replaced_[match->output->name()] = match->replaced;
      std::vector<std::size_t>& feeders = feeders_[match->output->name()];
      for (const std::size_t r : match->replaced)
        for (const Proxy* p : bsyms[r].input_proxies())
          note_feeders(p->name(), feeders);
      calls.push_back(std::move(folded));
    }
    Trace out = trace_.derive("Matmul Epilogues");
    for (std::size_t i = 0; i < bsyms.size(); ++i) {
      if (removed.count(i) == 0) out.bound_symbols.push_back(bsyms[i]);
      if (const auto it = emit_at.find(i); it != emit_at.end()) {
        for (BoundSymbol& b : it->second)
          out.bound_symbols.push_back(std::move(b));
      }
    }
    const std::set<std::size_t> dropped = drop_unread(out);
    // A dropped conversion or broadcast is done by the folded call that read it (cuBLASLt
    // converts f16 operands to its f32 accumulator, and adds the bias per column): it
    // goes in that call's subsymbols, so the printout and the prim counts still show it.
    // A dropped view that was replayed on the unconverted tensor is not: the replay is it.
    for (BoundSymbol& b : out.bound_symbols) {
      if (!matmul_epilogue_of(b)) continue;
      const auto it = feeders_.find(b.output.as_tensor()->name());
      if (it == feeders_.end()) continue;
      std::vector<std::size_t> members = replaced_.at(it->first);
      for (const std::size_t i : it->second)
        if (dropped.count(i) != 0 && replayed_.count(i) == 0) members.push_back(i);
      std::sort(members.begin(), members.end()); // in trace order
      b.subsymbols.clear();
      for (const std::size_t i : members)
        b.subsymbols.push_back(bsyms[i]);
    }
    return out;
  }

  // Marks the conversions, views and broadcasts that make `name` (transitively) as ones
  // to drop where nothing reads them any more.
  void note_feeders(const std::string& name, std::vector<std::size_t>& feeders) {
    const auto it = made_by_.find(name);
    if (it == made_by_.end()) return;
    const BoundSymbol& m = trace_.bound_symbols[it->second];
    if (!is(m, prims::PrimId::convert_element_type) && !is(m, prims::PrimId::broadcast_in_dim) &&
        !is_view_prim(m)) {
      return;
    }
    if (!droppable_.insert(it->second).second) return;
    feeders.push_back(it->second);
    for (const Proxy* p : m.input_proxies())
      note_feeders(p->name(), feeders);
  }

private:
  const Executor* executor_named(const std::string& name) const {
    for (const Executor* e : executors_)
      if (e->name() == name) return e;
    return nullptr;
  }

  // The one call that reads `name`, where nothing else reads it and it is not returned.
  const BoundSymbol* only_reader(const std::string& name, std::size_t* index) const {
    if (returned_.count(name) != 0) return nullptr;
    const auto it = readers_.find(name);
    if (it == readers_.end() || it->second.size() != 1) return nullptr;
    *index = it->second.front();
    return &trace_.bound_symbols[*index];
  }

  const BoundSymbol* maker(const TensorProxy& t) const {
    const auto it = made_by_.find(t.name());
    return it == made_by_.end() ? nullptr : &trace_.bound_symbols[it->second];
  }

  // The tensor an operand was upcast from (through view prims only): a f16/bf16 tensor
  // converted to f32, or nullptr.
  const TensorProxy* upcast_source(const TensorProxyPtr& operand) const {
    const TensorProxy* t = operand.get();
    for (;;) {
      const BoundSymbol* m = maker(*t);
      if (m == nullptr) return nullptr;
      if (is(*m, prims::PrimId::convert_element_type)) {
        const TensorProxy& source = *m->args.at(0).as_tensor();
        return low_precision(source.dtype()) && t->dtype() == DType::Float32 ? &source : nullptr;
      }
      if (!is_view_prim(*m) || !m->args.at(0).is_tensor()) return nullptr;
      t = m->args.at(0).as_tensor().get();
    }
  }

  // The bias vector [N] an add's other operand broadcasts along the last of `shape`'s dims.
  TensorProxyPtr bias_of(const Value& operand, const Shape& shape) const {
    if (!operand.is_tensor() || shape.empty()) return nullptr;
    const BoundSymbol* m = maker(*operand.as_tensor());
    if (m == nullptr || !is(*m, prims::PrimId::broadcast_in_dim)) return nullptr;
    const TensorProxyPtr& vector = m->args.at(0).as_tensor();
    const std::vector<std::int64_t> dims = m->args.at(2).as_ints();
    if (vector->ndim() != 1 || vector->shape()[0] != shape.back() || dims.size() != 1 ||
        dims[0] != static_cast<std::int64_t>(shape.size()) - 1) {
      return nullptr;
    }
    return vector;
  }

  // prims.maximum(x, 0) of `x` (what ltorch.relu decomposes into), by the matmul's executor.
  static bool is_relu(const BoundSymbol* reader, const TensorProxyPtr& x, const BoundSymbol& matmul) {
    if (reader == nullptr || !is(*reader, prims::PrimId::maximum) ||
        reader->executor != matmul.executor)
      return false;
    const Value& lhs = reader->args.at(0);
    const Value& rhs = reader->args.at(1);
    return lhs.is_tensor() && lhs.as_tensor()->name() == x->name() &&
           (rhs.kind() == ValueKind::Int || rhs.kind() == ValueKind::Float) && rhs.as_float() == 0.0;
  }

  std::optional<Match> find(std::size_t at, const Executor& executor) const {
    const BoundSymbol& matmul = trace_.bound_symbols[at];
    const TensorProxyPtr& a = matmul.args.at(0).as_tensor();
    const TensorProxyPtr& c = matmul.output.as_tensor();
    // An empty sum gives zeros (plus the bias) and an empty result nothing: left alone.
    if (a->shape().back() == 0 || c->numel() == 0) return std::nullopt;
    Match match;
    match.replaced.push_back(at);
    match.output = c;
    match.epilogue.dtype = c->dtype();
    TensorProxyPtr current = c;
    std::size_t next = 0;
    const BoundSymbol* reader = only_reader(current->name(), &next);
    if (reader != nullptr && is(*reader, prims::PrimId::reshape) && reader->executor == matmul.executor &&
        reader->output.as_tensor()->ndim() > 0 &&
        reader->output.as_tensor()->shape().back() == c->shape().back()) {
      // The product written in the reshaped shape (the same bytes): a linear of a 3-D input
      // whose reshape back, alone, would be a copy kernel (GPT-2's logits: 412 MB at 8 x
      // 512 in bf16).
      std::size_t after = 0;
      const TensorProxyPtr& reshaped = reader->output.as_tensor();
      match.replaced.push_back(next);
      current = reshaped;
      reader = only_reader(reshaped->name(), &after);
      next = after;
    }
    // The bias add: either operand order.
    if (reader != nullptr && is(*reader, prims::PrimId::add) && reader->executor == matmul.executor) {
      const Value& other = reader->args.at(0).is_tensor() &&
                                   reader->args.at(0).as_tensor()->name() == current->name()
                               ? reader->args.at(1)
                               : reader->args.at(0);
      const TensorProxyPtr bias = bias_of(other, current->shape());
      if (bias != nullptr && bias->dtype() == current->dtype() &&
          reader->output.as_tensor()->dtype() == current->dtype()) {
        match.replaced.push_back(next);
        match.bias = bias;
        match.epilogue.bias = true;
        current = reader->output.as_tensor();
        reader = only_reader(current->name(), &next);
      }
    }
    if (is_relu(reader, current, matmul)) {
      match.replaced.push_back(next);
      match.epilogue.activation = MatmulActivation::Relu;
      current = reader->output.as_tensor();
      reader = only_reader(current->name(), &next);
    }
    // The rounding back to f16/bf16 of a product of upcast operands: the folded call takes
    // the operands (and bias) before their conversion and rounds once, as the trace does.
    if (reader != nullptr && is(*reader, prims::PrimId::convert_element_type) &&
        reader->executor == matmul.executor && current->dtype() == DType::Float32) {
      const DType low = reader->output.as_tensor()->dtype();
      const TensorProxy* a_source = upcast_source(matmul.args.at(0).as_tensor());
      const TensorProxy* b_source = upcast_source(matmul.args.at(1).as_tensor());
      // The bias must be a conversion of a `low` vector itself (not of a view of one).
      const BoundSymbol* bias_upcast = match.bias ? maker(*match.bias) : nullptr;
      const bool bias_ok =
          !match.bias || (bias_upcast != nullptr &&
                          is(*bias_upcast, prims::PrimId::convert_element_type) &&
                          bias_upcast->args.at(0).as_tensor()->dtype() == low);
      if (low_precision(low) && a_source != nullptr && b_source != nullptr &&
          a_source->dtype() == low && b_source->dtype() == low && bias_ok) {
        match.replaced.push_back(next);
        match.peel = true;
        match.epilogue.dtype = low;
        if (match.bias) match.bias = bias_upcast->args.at(0).as_tensor();
        current = reader->output.as_tensor();
        reader = only_reader(current->name(), &next);
        // relu after the rounding (f16 linear, then relu): the same as before it.
        if (match.epilogue.activation == MatmulActivation::None && is_relu(reader, current, matmul)) {
          match.replaced.push_back(next);
          match.epilogue.activation = MatmulActivation::Relu;
          current = reader->output.as_tensor();
        }
      }
    }
    if (!match.epilogue.bias && match.epilogue.activation == MatmulActivation::None && !match.peel &&
        match.replaced.size() == 1)
      return std::nullopt; // a plain matmul
    // An f16/bf16 product the trace rounds before its bias add: folded, the sum would be
    // rounded once, which is not what the trace computes (ltorch's decompositions upcast).
    if (match.epilogue.bias && !match.peel && low_precision(match.epilogue.dtype))
      return std::nullopt;
    // Only the output of the last replaced call may be read by anything else.
    if (match.replaced.back() != made_by_.at(current->name())) return std::nullopt;
    if (!executor.runs_matmul_epilogue(match.epilogue)) return std::nullopt;
    match.output = current;
    return match;
  }

  // The operand as the f16/bf16 tensor it was upcast from, through the same view prims,
  // replayed (as new calls appended to `calls`) on that tensor.
  Value unconverted(const TensorProxyPtr& operand, std::vector<BoundSymbol>& calls) {
    std::vector<const BoundSymbol*> views;
    const BoundSymbol* m = maker(*operand);
    while (!is(*m, prims::PrimId::convert_element_type)) {
      replayed_.insert(made_by_.at(m->output.as_tensor()->name()));
      views.insert(views.begin(), m);
      m = maker(*m->args.at(0).as_tensor());
    }
    TensorProxyPtr current = m->args.at(0).as_tensor();
    for (const BoundSymbol* view : views) {
      const TensorProxy& old = *view->output.as_tensor();
      TensorProxyPtr made = TensorProxy::create(trace_.names->next("t"), old.shape(),
                                                current->dtype(), old.device(),
                                                old.requires_grad());
      BoundSymbol replay = view->substitute_inputs({{view->args.at(0).as_tensor()->name(), Value(current)}});
      replay.output = Value(made);
      replay.subsymbols.clear();
      calls.push_back(std::move(replay));
      current = made;
    }
    return Value(current);
  }

  // Drops the calls note_feeders marked that nothing reads any more (the f32 copies the
  // folded calls no longer need); every other call stays. Returns the dropped ones'
  // indices in trace_.
  std::set<std::size_t> drop_unread(Trace& out) const {
    std::set<std::string> droppable_outputs;
    for (const std::size_t i : droppable_)
      for (const Proxy* p : trace_.bound_symbols[i].output_proxies())
        droppable_outputs.insert(p->name());
    std::set<std::string> needed, dropped_names;
    out.output.for_each_proxy([&needed](const Proxy& p) { needed.insert(p.name()); });
    std::vector<BoundSymbol> kept;
    for (auto it = out.bound_symbols.rbegin(); it != out.bound_symbols.rend(); ++it) {
      const std::vector<const Proxy*> outputs = it->output_proxies();
      const bool droppable =
          !outputs.empty() && droppable_outputs.count(outputs.front()->name()) != 0;
      bool read = false;
      for (const Proxy* p : it->output_proxies())
        read = read || needed.count(p->name()) != 0;
      if (droppable && !read) {
        dropped_names.insert(outputs.front()->name());
        continue;
      }
      for (const Proxy* p : it->input_proxies())
        needed.insert(p->name());
      kept.push_back(std::move(*it));
    }
    out.bound_symbols.assign(std::make_move_iterator(kept.rbegin()),
                             std::make_move_iterator(kept.rend()));
    std::set<std::size_t> dropped;
    for (const std::size_t i : droppable_)
      if (dropped_names.count(trace_.bound_symbols[i].output_proxies().front()->name()) != 0)
        dropped.insert(i);
    return dropped;
  }

  const Trace& trace_;
  const std::vector<const Executor*>& executors_;
  std::map<std::string, std::size_t> made_by_;
  std::map<std::string, std::vector<std::size_t>> readers_;
  std::set<std::string> returned_;
  std::set<std::size_t> droppable_; ///< Indices in trace_ (note_feeders).
  /// Views of upcast operands that unconverted() replayed on the f16/bf16 tensor.
  std::set<std::size_t> replayed_;
  /// Per folded call (by output name): the droppable calls it was first to read.
  std::map<std::string, std::vector<std::size_t>> feeders_;
  std::map<std::string, std::vector<std::size_t>> replaced_; ///< Match::replaced, by output.
};

} // namespace

Trace fuse_matmul_epilogues(const Trace& assigned, const std::vector<const Executor*>& executors) {
  return Folder(assigned, executors).run();
}

} // namespace thunder
