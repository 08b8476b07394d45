// thunder-run: the main job. Traces a transformer MLP block (linear -> gelu(tanh) ->
// linear, plus the residual), prints each trace the passes make, runs the final trace on
// the torch executor at the ltorch level and at the prims level, and checks both results
// against a float64 reference computed by LibTorch eager. Exits 1 if a check fails.
//
// Later issues replace the hand-built trace with a model loaded from a file.
#include "thunder/executors/torch_executor.h"
#include "thunder/thunder.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {

struct Sizes {
  std::int64_t batch = 4, tokens = 16, hidden = 64, expanded = 256;
};

// out = x + fc2(gelu(fc1(x), approximate='tanh'))
thunder::Trace trace_mlp_block(const Sizes& s) {
  using thunder::DType;
  thunder::TraceScope scope("mlp_block");
  auto x = scope.input_tensor("x", {s.batch, s.tokens, s.hidden}, DType::Float32);
  auto w1 = scope.input_tensor("fc1_weight", {s.expanded, s.hidden}, DType::Float32);
  auto b1 = scope.input_tensor("fc1_bias", {s.expanded}, DType::Float32);
  auto w2 = scope.input_tensor("fc2_weight", {s.hidden, s.expanded}, DType::Float32);
  auto b2 = scope.input_tensor("fc2_bias", {s.hidden}, DType::Float32);
  auto h = thunder::ltorch::linear(x, w1, b1);
  auto g = thunder::ltorch::gelu(h, "tanh");
  auto y = thunder::ltorch::linear(g, w2, b2);
  return scope.finish(thunder::ltorch::add(x, y));
}

double max_abs_error(const at::Tensor& result, const at::Tensor& reference) {
  return (result.to(at::kDouble) - reference).abs().max().item<double>();
}

} // namespace

int main() {
  try {
    const Sizes sizes;
    const thunder::Trace traced = trace_mlp_block(sizes);
    std::cout << traced.to_string() << "\n";
    // The pipeline so far: each pass makes a new trace; the last one runs.
    const thunder::Trace after_dce = thunder::dead_code_elimination(traced);
    const thunder::Trace final_trace = thunder::common_subexpression_elimination(after_dce);
    std::cout << "passes:\n";
    const thunder::Trace* previous = &traced;
    for (const thunder::Trace* t : {&after_dce, &final_trace}) {
      std::cout << "  " << t->provenance << ": " << previous->bound_symbols.size() << " -> "
                << t->bound_symbols.size() << " bound symbols\n";
      previous = t;
    }
    thunder::PrintOptions compact;
    compact.subsymbols = false;
    std::cout << "\n" << final_trace.to_string(compact) << "\n";

    std::cout << "executors:\n";
    for (const thunder::BoundSymbol& bsym : final_trace.bound_symbols) {
      const bool ok = thunder::TorchExecutor::implements(*bsym.symbol);
      std::cout << "  " << bsym.symbol->qualified_name() << " -> " << (ok ? "torch (ATen)" : "NONE")
                << "\n";
    }

    torch::manual_seed(0);
    const at::Tensor x = torch::randn({sizes.batch, sizes.tokens, sizes.hidden});
    const at::Tensor w1 = torch::randn({sizes.expanded, sizes.hidden}) * 0.1;
    const at::Tensor b1 = torch::randn({sizes.expanded}) * 0.1;
    const at::Tensor w2 = torch::randn({sizes.hidden, sizes.expanded}) * 0.1;
    const at::Tensor b2 = torch::randn({sizes.hidden}) * 0.1;
    const std::vector<c10::IValue> inputs = {x, w1, b1, w2, b2};

    // The reference: the same block in LibTorch eager, in float64.
    const auto d = [](const at::Tensor& t) { return t.to(at::kDouble); };
    const at::Tensor reference =
        d(x) + at::linear(at::gelu(at::linear(d(x), d(w1), d(b1)), "tanh"), d(w2), d(b2));
    const at::Tensor eager_f32 = x + at::linear(at::gelu(at::linear(x, w1, b1), "tanh"), w2, b2);

    const thunder::TorchExecutor executor;
    const double eager_error = max_abs_error(eager_f32, reference);
    // Pass if no farther from float64 than 4x torch's own float32 error, or within 1e-5.
    const double tolerance = std::max(1e-5, 4 * eager_error);
    bool all_ok = true;
    std::cout << "\nresult check against float64 LibTorch eager (tolerance " << tolerance
              << ", torch eager f32 error " << eager_error << "):\n";
    for (const auto level :
         {thunder::TorchExecutionLevel::Symbols, thunder::TorchExecutionLevel::Prims}) {
      const std::vector<at::Tensor> out = executor.run(final_trace, inputs, level);
      const double error = max_abs_error(out.at(0), reference);
      const bool ok = error <= tolerance && out.at(0).sizes() == reference.sizes();
      all_ok = all_ok && ok;
      std::printf(
          "  torch executor, %-6s level: output f32%s max abs error %.3g  %s\n",
          level == thunder::TorchExecutionLevel::Symbols ? "ltorch" : "prims",
          thunder::shape_to_string({out.at(0).sizes().begin(), out.at(0).sizes().end()}).c_str(),
          error, ok ? "PASS" : "FAIL");
    }
    std::cout << (all_ok ? "thunder-run: PASS" : "thunder-run: FAIL") << std::endl;
    return all_ok ? EXIT_SUCCESS : EXIT_FAILURE;
  } catch (const thunder::Error& e) {
    std::cerr << "thunder-run: error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "thunder-run: " << e.what() << "\n";
  }
  return EXIT_FAILURE;
}
