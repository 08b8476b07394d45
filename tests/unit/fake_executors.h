// Executors for tests of the registry and the passes: no kernels, only claims. One takes
// the elementwise, reduction and shape prims and fuses them (what the GPU executors do),
// one takes nothing, one claims everything and fuses nothing (the torch fallback), and any
// of them can be made unavailable with a reason. FusingExecutors: a fixture with the torch
// fallback and a fusing "spirv", for tests of the passes after assign_executors.
#pragma once

#include "thunder/core/bound_symbol.h"
#include "thunder/core/trace.h"
#include "thunder/executors/executor.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/fusion.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace thunder::testing {

enum class Claims { FusiblePrims, Nothing, Everything };

class FakeExecutor final : public Executor {
public:
  FakeExecutor(std::string name, int priority, Claims claims,
               Availability availability = Availability::yes())
      : Executor(std::move(name), priority), claims_(claims),
        availability_(std::move(availability)) {}

  Availability availability() const override { return availability_; }
  bool claims(const BoundSymbol& bsym) const override {
    switch (claims_) {
    case Claims::FusiblePrims:
      // What generated kernels take, as the real executors' claims do.
      return bsym.symbol->ns == SymbolNamespace::Prims &&
             (bsym.symbol->tags.has(Tag::Elementwise) || bsym.symbol->tags.has(Tag::Reduction) ||
              bsym.symbol->tags.has(Tag::Shape) ||
              bsym.symbol == &prims::symbol(prims::PrimId::convolution));
    case Claims::Nothing:
      return false;
    case Claims::Everything:
      return true;
    }
    return false;
  }
  bool fusible(const BoundSymbol& bsym) const override {
    return claims_ == Claims::FusiblePrims && claims(bsym);
  }
  bool reduces_cooperatively(const BoundSymbol& /*region*/) const override { return cooperative_; }
  /// What reduces_cooperatively() says of every region (false, as the default Executor).
  void set_reduces_cooperatively(bool cooperative) { cooperative_ = cooperative; }

private:
  Claims claims_;
  bool cooperative_ = false;
  Availability availability_;
};

inline std::unique_ptr<Executor> fake(std::string name, int priority, Claims claims,
                                      Availability availability = Availability::yes()) {
  return std::make_unique<FakeExecutor>(std::move(name), priority, claims,
                                        std::move(availability));
}

// The torch fallback and a "spirv" that fuses what generated kernels take.
class FusingExecutors : public ::testing::Test {
protected:
  FusingExecutors() {
    registry_.add(fake("torch", 100, Claims::Everything));
    registry_.add(fake("spirv", 200, Claims::FusiblePrims));
    executors_ = registry_.resolve("spirv");
  }
  Trace fused(const Trace& trace) { return fuse(assign_executors(trace, executors_), executors_); }
  ExecutorRegistry registry_;
  std::vector<const Executor*> executors_;
};

// "spirv.fusion0" or "prims.matmul" for each top-level call.
inline std::vector<std::string> calls(const Trace& trace) {
  std::vector<std::string> out;
  for (const BoundSymbol& b : trace.bound_symbols)
    out.push_back(b.symbol->qualified_name());
  return out;
}

} // namespace thunder::testing
