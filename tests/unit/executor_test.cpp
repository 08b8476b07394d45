// The executor registry (backend names to ordered executors, with exact errors) and the
// assign_executors pass (claims, decomposition, fallback to torch, counted).
#include "fake_executors.h"
#include "golden.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/thunder.h"

#include <gtest/gtest.h>

namespace thunder {

// gtest prints a Fallback by this (found by argument-dependent lookup).
void PrintTo(const Fallback& f, std::ostream* os) {
  *os << "{" << f.op << ": " << f.reason << "}";
}

namespace {

using testing::Claims;
using testing::fake;

std::vector<std::string> names(const std::vector<const Executor*>& executors) {
  std::vector<std::string> out;
  for (const Executor* e : executors)
    out.push_back(e->name());
  return out;
}

template <typename E>
std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

ExecutorRegistry gpu_and_torch(Availability spirv = Availability::yes()) {
  ExecutorRegistry registry;
  registry.add(fake("torch", 100, Claims::Everything));
  registry.add(fake("spirv", 200, Claims::FusiblePrims, std::move(spirv)));
  return registry;
}

TEST(ExecutorRegistry, OrdersByPriorityThenByOrderAdded) {
  ExecutorRegistry registry;
  registry.add(fake("torch", 100, Claims::Everything));
  registry.add(fake("spirv", 200, Claims::FusiblePrims));
  registry.add(fake("cuda", 300, Claims::FusiblePrims));
  registry.add(fake("nothing", 200, Claims::Nothing));
  EXPECT_EQ(names(registry.executors()),
            (std::vector<std::string>{"cuda", "spirv", "nothing", "torch"}));
  ASSERT_NE(registry.find("nothing"), nullptr);
  EXPECT_EQ(registry.find("nothing")->priority(), 200);
  EXPECT_EQ(registry.find("vulkan"), nullptr);
}

TEST(ExecutorRegistry, RefusesTwoExecutorsOfOneName) {
  ExecutorRegistry registry = gpu_and_torch();
  EXPECT_EQ(message_of<ArgumentError>(
                [&] { registry.add(fake("spirv", 1, Claims::Nothing)); }),
            "an executor named 'spirv' is already registered");
}

TEST(ExecutorRegistry, ResolvesNamedBackendsWithTheFallbackLast) {
  const ExecutorRegistry registry = gpu_and_torch();
  EXPECT_EQ(names(registry.resolve("spirv")), (std::vector<std::string>{"spirv", "torch"}));
  EXPECT_EQ(names(registry.resolve("torch")), (std::vector<std::string>{"torch"}));
}

TEST(ExecutorRegistry, AutoIsCudaThenSpirvThenTorchWhicheverIsAvailable) {
  ExecutorRegistry registry = gpu_and_torch();
  registry.add(fake("cuda", 300, Claims::FusiblePrims, Availability::no("no CUDA driver")));
  EXPECT_EQ(names(registry.resolve("auto")), (std::vector<std::string>{"spirv", "torch"}));

  ExecutorRegistry with_cuda = gpu_and_torch();
  with_cuda.add(fake("cuda", 300, Claims::FusiblePrims));
  EXPECT_EQ(names(with_cuda.resolve("auto")), (std::vector<std::string>{"cuda", "torch"}));

  const ExecutorRegistry no_gpu = gpu_and_torch(Availability::no("no Vulkan device"));
  EXPECT_EQ(names(no_gpu.resolve("auto")), (std::vector<std::string>{"torch"}));
}

TEST(ExecutorRegistry, UnknownBackendListsTheValidNames) {
  ExecutorRegistry registry = gpu_and_torch();
  EXPECT_EQ(message_of<ArgumentError>([&] { registry.resolve("vulkan"); }),
            "unknown backend 'vulkan': valid backends are cuda, spirv, torch, auto");
  registry.add(fake("nothing", 50, Claims::Nothing));
  EXPECT_EQ(message_of<ArgumentError>([&] { registry.resolve("SPIRV"); }),
            "unknown backend 'SPIRV': valid backends are cuda, spirv, torch, nothing, auto");
}

TEST(ExecutorRegistry, NamedBackendThatIsUnavailableIsAnErrorWithItsReason) {
  const ExecutorRegistry registry =
      gpu_and_torch(Availability::no("no Vulkan device (vkEnumeratePhysicalDevices found none)"));
  EXPECT_EQ(message_of<BackendError>([&] { registry.resolve("spirv"); }),
            "backend 'spirv' is not available: no Vulkan device (vkEnumeratePhysicalDevices "
            "found none)");
  EXPECT_EQ(message_of<BackendError>([&] { registry.resolve("cuda"); }),
            "backend 'cuda' is not available: the cuda executor is not part of this build");
}

TEST(ExecutorRegistry, AutoWithNothingAvailableNamesEveryReason) {
  ExecutorRegistry registry;
  registry.add(fake("spirv", 200, Claims::FusiblePrims, Availability::no("no Vulkan device")));
  EXPECT_EQ(message_of<BackendError>([&] { registry.resolve("auto"); }),
            "no backend is available; spirv: no Vulkan device; torch: the torch executor is not "
            "part of this build");
}

TEST(AssignExecutors, GivesClaimedPrimsToTheFirstExecutorAndDecomposesTheRest) {
  const ExecutorRegistry registry = gpu_and_torch();
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 8}, DType::Float32);
  const Trace traced = scope.finish(ltorch::gelu(x, "tanh"));
  std::vector<Fallback> fallbacks;
  const Trace trace = assign_executors(traced, registry.resolve("spirv"), &fallbacks);
  EXPECT_EQ(trace.provenance, "Assign Executors");
  EXPECT_TRUE(fallbacks.empty());
  ASSERT_EQ(trace.bound_symbols.size(), traced.bound_symbols[0].subsymbols.size());
  for (const BoundSymbol& bsym : trace.bound_symbols) {
    EXPECT_EQ(bsym.symbol->ns, SymbolNamespace::Prims) << bsym.call_string();
    EXPECT_EQ(bsym.executor, "spirv") << bsym.call_string();
  }
  EXPECT_EQ(trace.output, traced.output);
}

TEST(AssignExecutors, CountsAndReportsPrimsThatFallBackToTorch) {
  const ExecutorRegistry registry = gpu_and_torch();
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 8}, DType::Float32);
  auto w = scope.input_tensor("w", {4, 8}, DType::Float32);
  auto y = ltorch::relu(ltorch::linear(x, w));
  auto ones = prims::full({2, 4}, 1.0, DType::Float32, Device::cpu()); // Creation: not claimed
  const Trace traced = scope.finish(ltorch::add(y, ones));
  std::vector<Fallback> fallbacks;
  const Trace trace = assign_executors(traced, registry.resolve("spirv"), &fallbacks);
  EXPECT_EQ(fallbacks, (std::vector<Fallback>{{"prims.matmul", "not claimed by spirv"},
                                              {"prims.full", "not claimed by spirv"}}));
  int on_torch = 0;
  for (const BoundSymbol& bsym : trace.bound_symbols)
    on_torch += bsym.executor == "torch" ? 1 : 0;
  EXPECT_EQ(on_torch, 2);
}

TEST(AssignExecutors, AnExecutorThatClaimsNothingSendsEveryPrimToTheFallback) {
  ExecutorRegistry registry = gpu_and_torch();
  registry.add(fake("nothing", 300, Claims::Nothing));
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  const Trace traced = scope.finish(ltorch::exp(ltorch::neg(x)));
  std::vector<Fallback> fallbacks;
  const Trace trace = assign_executors(traced, registry.resolve("nothing"), &fallbacks);
  EXPECT_EQ(fallbacks, (std::vector<Fallback>{{"prims.neg", "not claimed by nothing"},
                                              {"prims.exp", "not claimed by nothing"}}));
  for (const BoundSymbol& bsym : trace.bound_symbols)
    EXPECT_EQ(bsym.executor, "torch");
}

TEST(AssignExecutors, TheOnlyExecutorTakesCompositesWhole) {
  const ExecutorRegistry registry = gpu_and_torch();
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  auto w = scope.input_tensor("w", {3, 4}, DType::Float32);
  const Trace traced = scope.finish(ltorch::gelu(ltorch::linear(x, w)));
  std::vector<Fallback> fallbacks;
  const Trace trace = assign_executors(traced, registry.resolve("torch"), &fallbacks);
  EXPECT_TRUE(fallbacks.empty());
  ASSERT_EQ(trace.bound_symbols.size(), 2u);
  EXPECT_EQ(trace.bound_symbols[0].symbol->qualified_name(), "ltorch.linear");
  EXPECT_EQ(trace.bound_symbols[1].executor, "torch");
}

TEST(AssignExecutors, PrintsTheExecutorOfEachCall) {
  const ExecutorRegistry registry = gpu_and_torch();
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3}, DType::Float32);
  auto w = scope.input_tensor("w", {3, 3}, DType::Float32);
  const Trace traced = scope.finish(ltorch::tanh(ltorch::linear(x, w)));
  testing::expect_matches_golden(assign_executors(traced, registry.resolve("spirv")).to_string(),
                                 "assign_executors.txt");
}

} // namespace
} // namespace thunder
