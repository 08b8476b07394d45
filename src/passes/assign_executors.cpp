#include "thunder/passes/assign_executors.h"

#include "thunder/core/error.h"
#include "thunder/executors/executor.h"

#include <algorithm>
#include <span>

namespace thunder {

namespace {

class Assigner {
public:
  Assigner(const std::vector<const Executor*>& executors, std::vector<Fallback>* fallbacks)
      : fallback_(executors.back()), fallbacks_(fallbacks) {
    // The fallback is asked like the others only when it is the one executor: otherwise a
    // composite it would take whole is decomposed first, so the others get its prims.
    primaries_ = executors.size() == 1 ? std::span(executors)
                                       : std::span(executors).first(executors.size() - 1);
    for (const Executor* e : primaries_)
      names_ += str(names_.empty() ? "" : ", ", e->name());
  }

  void assign(const BoundSymbol& bsym, std::vector<BoundSymbol>& out) {
    for (const Executor* e : primaries_) {
      if (e->claims(bsym)) {
        out.push_back(bsym);
        out.back().executor = e->name();
        return;
      }
    }
    if (!bsym.symbol->is_prim()) {
      // No subsymbols: the call returned its input as it is (a no-op cast or reshape),
      // so dropping it leaves every name defined.
      if (bsym.subsymbols.empty()) {
        for (const Proxy* p : bsym.output_proxies()) {
          const std::vector<const Proxy*> inputs = bsym.input_proxies();
          THUNDER_INTERNAL_ASSERT(std::find(inputs.begin(), inputs.end(), p) != inputs.end())
              << bsym.call_string() << " defines " << p->name() << " without subsymbols";
        }
      }
      for (const BoundSymbol& sub : bsym.subsymbols) {
        BoundSymbol flat = sub;
        if (!flat.location) flat.location = bsym.location;
        assign(flat, out);
      }
      return;
    }
    if (fallbacks_ != nullptr) {
      fallbacks_->push_back({bsym.symbol->qualified_name(), str("not claimed by ", names_)});
    }
    out.push_back(bsym);
    out.back().executor = fallback_->name();
  }

private:
  std::span<const Executor* const> primaries_;
  const Executor* fallback_;
  std::vector<Fallback>* fallbacks_;
  std::string names_;
};

} // namespace

Trace assign_executors(const Trace& trace, const std::vector<const Executor*>& executors,
                       std::vector<Fallback>* fallbacks) {
  THUNDER_INTERNAL_ASSERT(!executors.empty()) << "assign_executors needs at least one executor";
  Assigner assigner(executors, fallbacks);
  Trace out = trace.derive("Assign Executors");
  for (const BoundSymbol& bsym : trace.bound_symbols)
    assigner.assign(bsym, out.bound_symbols);
  return out;
}

} // namespace thunder
