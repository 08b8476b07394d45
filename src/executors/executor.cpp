#include "thunder/executors/executor.h"

#include "thunder/core/error.h"

#include <algorithm>
#include <array>

namespace thunder {

namespace {

// The backends DESIGN.md names, in the order "auto" tries them. A name here that is not
// registered is a backend this build lacks, not an unknown one.
constexpr std::array<std::string_view, 3> kKnownBackends = {"cuda", "spirv", "torch"};

bool is_known(std::string_view name) {
  return std::find(kKnownBackends.begin(), kKnownBackends.end(), name) != kKnownBackends.end();
}

} // namespace

Executor::Executor(std::string name, int priority) : name_(std::move(name)), priority_(priority) {
  THUNDER_INTERNAL_ASSERT(!name_.empty() && name_ != "auto")
      << "an executor needs a name other than 'auto'";
}

bool Executor::fusible(const BoundSymbol& /*bsym*/) const {
  return false;
}

bool Executor::reads_views_in_place(const BoundSymbol& /*bsym*/) const {
  return false;
}

bool Executor::reads_any_view_layout(const BoundSymbol& /*reader*/) const {
  return false;
}

bool Executor::reduces_cooperatively(const BoundSymbol& /*region*/) const {
  return false;
}

bool Executor::runs_matmul_epilogue(const MatmulEpilogue& /*epilogue*/) const {
  return false;
}

const char* activation_name(MatmulActivation activation) {
  switch (activation) {
  case MatmulActivation::None: return "none";
  case MatmulActivation::Relu: return "relu";
  }
  return "none";
}

bool Executor::reads_view_layout(const std::vector<std::int64_t>& /*shape*/,
                                 const std::vector<std::int64_t>& /*strides*/) const {
  return true;
}

const Executor& ExecutorRegistry::add(std::unique_ptr<Executor> executor) {
  THUNDER_INTERNAL_ASSERT(executor != nullptr) << "registering a null executor";
  if (find(executor->name()) != nullptr) {
    throw ArgumentError(
        str("an executor named '", executor->name(), "' is already registered"));
  }
  // Stable: among equal priorities, the one added first stays first.
  const auto position =
      std::upper_bound(executors_.begin(), executors_.end(), executor->priority(),
                       [](int priority, const std::unique_ptr<Executor>& e) {
                         return priority > e->priority();
                       });
  return **executors_.insert(position, std::move(executor));
}

const Executor* ExecutorRegistry::find(std::string_view name) const {
  for (const auto& e : executors_) {
    if (e->name() == name) return e.get();
  }
  return nullptr;
}

std::vector<const Executor*> ExecutorRegistry::executors() const {
  std::vector<const Executor*> out;
  out.reserve(executors_.size());
  for (const auto& e : executors_)
    out.push_back(e.get());
  return out;
}

std::string ExecutorRegistry::valid_backend_names() const {
  std::string out;
  for (std::string_view name : kKnownBackends)
    out += str(name, ", ");
  for (const auto& e : executors_) {
    if (!is_known(e->name())) out += e->name() + ", ";
  }
  return out + "auto";
}

std::vector<const Executor*> ExecutorRegistry::resolve(std::string_view backend) const {
  const Executor* fallback = find(kFallbackExecutor);
  const bool fallback_usable = fallback != nullptr && fallback->availability().available;
  const auto with_fallback = [&](const Executor* first) {
    std::vector<const Executor*> out{first};
    if (fallback_usable && first != fallback) out.push_back(fallback);
    return out;
  };

  if (backend == "auto") {
    std::string reasons;
    for (const auto& e : executors_) {
      if (e.get() == fallback) continue;
      const Availability availability = e->availability();
      if (availability.available) return with_fallback(e.get());
      reasons += str("; ", e->name(), ": ", availability.reason);
    }
    if (fallback_usable) return {fallback};
    const std::string fallback_reason =
        fallback == nullptr ? str("the ", kFallbackExecutor, " executor is not part of this build")
                            : fallback->availability().reason;
    throw BackendError(str("no backend is available", reasons, "; ", kFallbackExecutor, ": ",
                           fallback_reason));
  }

  const Executor* named = find(backend);
  if (named == nullptr) {
    if (is_known(backend)) {
      throw BackendError(str("backend '", backend, "' is not available: the ", backend,
                             " executor is not part of this build"));
    }
    throw ArgumentError(
        str("unknown backend '", backend, "': valid backends are ", valid_backend_names()));
  }
  const Availability availability = named->availability();
  if (!availability.available) {
    throw BackendError(
        str("backend '", backend, "' is not available: ", availability.reason));
  }
  return with_fallback(named);
}

} // namespace thunder
