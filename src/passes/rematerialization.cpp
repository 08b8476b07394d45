#include "thunder/passes/rematerialization.h"

#include "thunder/core/error.h"
#include "thunder/ops/prims.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace thunder {
namespace {

bool is_region(const BoundSymbol& bsym) {
  return bsym.symbol != nullptr && bsym.symbol->ns == SymbolNamespace::Fusion;
}

// Prims that compute nothing but an index mapping (or a constant): free to recompute.
bool recomputable(const BoundSymbol& bsym) {
  using prims::PrimId;
  for (const PrimId id : {PrimId::broadcast_in_dim, PrimId::reshape, PrimId::transpose,
                          PrimId::squeeze, PrimId::slice, PrimId::full, PrimId::iota}) {
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

class Rematerializer {
public:
  explicit Rematerializer(const Trace& trace) : trace_(trace), out_(trace.derive("Rematerialization")) {
    for (const Value& input : trace.inputs)
      input.for_each_proxy([&](const Proxy& p) { trace_inputs_.insert(p.name()); });
    trace.output.for_each_proxy([&](const Proxy& p) { returned_.insert(p.name()); });
    for (std::size_t i = 0; i < trace.bound_symbols.size(); ++i) {
      const BoundSymbol& bsym = trace.bound_symbols[i];
      for (const std::string& name : names_read(bsym))
        readers_[name].insert(i);
      if (!is_region(bsym)) continue;
      for (const BoundSymbol& member : bsym.subsymbols) {
        for (const Proxy* p : member.output_proxies())
          made_by_[p->name()] = &member;
      }
    }
  }

  Trace run() {
    out_.bound_symbols = trace_.bound_symbols;
    // Each region that reads a value it can recompute takes the prims that make it.
    for (std::size_t i = 0; i < out_.bound_symbols.size(); ++i) {
      BoundSymbol& region = out_.bound_symbols[i];
      if (!is_region(region)) continue;
      std::vector<BoundSymbol> recomputed;
      std::set<std::string> defined;
      for (const std::string& name : names_read(region)) {
        if (moves(name)) add_chain(name, recomputed, defined);
      }
      if (recomputed.empty()) continue;
      region.subsymbols.insert(region.subsymbols.begin(), recomputed.begin(), recomputed.end());
    }
    // Then every region keeps the members and outputs something still reads.
    for (std::size_t i = 0; i < out_.bound_symbols.size(); ++i) {
      BoundSymbol& bsym = out_.bound_symbols[i];
      if (is_region(bsym)) refresh_args(bsym);
    }
    // Later regions first: what a region still reads is settled before the regions that
    // made it are pruned (a call reads only what comes before it).
    std::vector<bool> keep(out_.bound_symbols.size(), true);
    for (std::size_t i = out_.bound_symbols.size(); i-- > 0;) {
      if (is_region(out_.bound_symbols[i])) keep[i] = prune(i);
    }
    std::vector<BoundSymbol> kept;
    for (std::size_t i = 0; i < out_.bound_symbols.size(); ++i) {
      if (keep[i]) kept.push_back(std::move(out_.bound_symbols[i]));
    }
    out_.bound_symbols = std::move(kept);
    return std::move(out_);
  }

private:
  // A value made inside a region, from trace inputs through recomputable prims only, not
  // returned, and read (at the top level) only by regions other than the one that made it.
  bool moves(const std::string& name) {
    if (const auto it = moves_.find(name); it != moves_.end()) return it->second;
    bool ok = returned_.count(name) == 0 && chain_ok(name);
    if (ok) {
      for (std::size_t reader : readers_[name]) {
        ok = ok && is_region(trace_.bound_symbols[reader]);
      }
    }
    moves_[name] = ok;
    return ok;
  }

  // `name` can be recomputed from trace inputs through recomputable members of regions.
  bool chain_ok(const std::string& name) const {
    const auto it = made_by_.find(name);
    if (it == made_by_.end() || !recomputable(*it->second)) return false;
    for (const std::string& input : names_read(*it->second)) {
      if (trace_inputs_.count(input) == 0 && !chain_ok(input)) return false;
    }
    return true;
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
  std::set<std::string> trace_inputs_;
  std::set<std::string> returned_;
  std::map<std::string, std::set<std::size_t>> readers_; // Top-level calls reading a name.
  std::map<std::string, const BoundSymbol*> made_by_;    // Region members, by output name.
  std::map<std::string, bool> moves_;
};

} // namespace

Trace rematerialize(const Trace& fused) {
  return Rematerializer(fused).run();
}

} // namespace thunder
