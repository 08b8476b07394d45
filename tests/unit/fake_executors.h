// Executors for tests of the registry and the passes: no kernels, only claims. One takes
// the elementwise, reduction and shape prims and fuses them (what the GPU executors do),
// one takes nothing, one claims everything and fuses nothing (the torch fallback), and any
// of them can be made unavailable with a reason.
#pragma once

#include "thunder/core/bound_symbol.h"
#include "thunder/executors/executor.h"
#include "thunder/ops/prims.h"

#include <memory>
#include <string>

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

private:
  Claims claims_;
  Availability availability_;
};

inline std::unique_ptr<Executor> fake(std::string name, int priority, Claims claims,
                                      Availability availability = Availability::yes()) {
  return std::make_unique<FakeExecutor>(std::move(name), priority, claims,
                                        std::move(availability));
}

} // namespace thunder::testing
