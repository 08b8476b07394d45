// Assign executors: gives each bound symbol of a trace to the executor that will run it.
// Executors are asked in order; the last one is the fallback (the torch executor). A call
// no other executor claims is decomposed into its subsymbols, recursively; a prim nobody
// else claims goes to the fallback and is recorded, so users and tests see what fell back.
#pragma once

#include "thunder/core/trace.h"

#include <string>
#include <vector>

namespace thunder {

class Executor;

/// A prim that went to the fallback executor, and why.
struct Fallback {
  std::string op;     ///< "prims.cumsum", "torch.aten::_foo".
  std::string reason; ///< "not claimed by spirv".
  friend bool operator==(const Fallback&, const Fallback&) = default;
};

/// A trace whose bound symbols each name their executor (BoundSymbol::executor), with
/// provenance "Assign Executors". `executors` is in priority order, the fallback last (as
/// ExecutorRegistry::resolve gives it); with one executor, it is also the fallback. Every
/// prim that reaches the fallback because no executor before it claims it is appended to
/// `fallbacks` where given, in trace order. Throws InternalError for an empty list.
Trace assign_executors(const Trace& trace, const std::vector<const Executor*>& executors,
                       std::vector<Fallback>* fallbacks = nullptr);

} // namespace thunder
