// thunder-run: the main job.
//   thunder-run                      traces a transformer MLP block by hand, prints the trace
//                                    the passes make, runs it on the torch executor at the
//                                    ltorch and prims levels, checks both against float64
//                                    LibTorch eager
//   thunder-run MODEL.pt2 [--inputs IO.json] [--backend B] [--strict] [--print-traces]
//                                    compiles a torch.export archive, runs it, and checks the
//                                    result against torch running the original program (every
//                                    node as its ATen call) and, with --inputs, against the
//                                    outputs eager torch recorded in IO.json
// Exits 1 if a check fails.
#include "thunder/compile.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/opdb/opdb.h"
#include "thunder/thunder.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
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

namespace {

at::Tensor tensor_from_json(const nlohmann::json& j) {
  const std::vector<double> data = j.at("data").get<std::vector<double>>();
  const std::vector<std::int64_t> shape = j.at("shape").get<std::vector<std::int64_t>>();
  const auto dtype = thunder::parse_dtype(j.at("dtype").get<std::string>());
  if (!dtype)
    throw thunder::ArgumentError("unsupported dtype in inputs file: " + j.at("dtype").dump());
  return at::tensor(data, at::kDouble).reshape(shape).to(thunder::to_scalar_type(*dtype));
}

int run_model(const std::vector<std::string>& args) {
  std::string path, inputs_path;
  thunder::Options options;
  bool print_traces = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--inputs" && i + 1 < args.size()) {
      inputs_path = args[++i];
    } else if (a == "--backend" && i + 1 < args.size()) {
      options.backend = args[++i];
    } else if (a == "--strict") {
      options.strict = true;
    } else if (a == "--print-traces") {
      print_traces = true;
    } else if (!a.empty() && a[0] != '-' && path.empty()) {
      path = a;
    } else {
      std::cerr << "usage: thunder-run [MODEL.pt2 [--inputs IO.json] [--backend B] [--strict] "
                   "[--print-traces]]\n";
      return 2;
    }
  }
  const auto module = thunder::compile(path, options);
  thunder::PrintOptions compact;
  compact.subsymbols = false;
  const auto& traces = module->last_traces();
  if (print_traces) {
    for (const thunder::Trace& t : traces)
      std::cout << t.to_string() << "\n";
  } else {
    std::cout << traces.back().to_string(compact) << "\n";
  }
  std::map<std::string, int> executors;
  for (const thunder::BoundSymbol& b : traces.back().bound_symbols) {
    ++executors[b.symbol->ns == thunder::SymbolNamespace::Torch ? "torch (fallback)"
                                                                : "torch (ATen)"];
  }
  std::cout << "backend: " << module->backend() << "\nexecutors:";
  for (const auto& [name, count] : executors)
    std::cout << " " << name << " x" << count;
  std::cout << "\nfallback ops: " << module->stats().fallbacks.size() << "\n";
  for (const std::string& f : module->stats().fallbacks)
    std::cout << "  " << f << "\n";

  std::vector<at::Tensor> inputs, recorded;
  if (!inputs_path.empty()) {
    std::ifstream in(inputs_path);
    if (!in) throw thunder::ArgumentError("cannot open inputs file " + inputs_path);
    const nlohmann::json io = nlohmann::json::parse(in);
    for (const auto& t : io.at("inputs"))
      inputs.push_back(tensor_from_json(t));
    for (const auto& t : io.at("outputs"))
      recorded.push_back(tensor_from_json(t));
  } else {
    throw thunder::ArgumentError("thunder-run MODEL needs --inputs IO.json (inputs of the stored "
                                 "sample are not read from the archive yet)");
  }
  const auto start = std::chrono::steady_clock::now();
  const std::vector<at::Tensor> out = module->forward(inputs);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  thunder::Options reference_options;
  reference_options.backend = "torch";
  reference_options.reference = true;
  const std::vector<at::Tensor> reference =
      thunder::compile(path, reference_options)->forward(inputs);
  // Per element, within the model tolerance of the output's dtype (docs/conformance.md).
  const auto check = [&out](const std::vector<at::Tensor>& expected, const char* what) {
    bool ok = out.size() == expected.size();
    double worst = 0;
    for (std::size_t i = 0; ok && i < out.size(); ++i) {
      const auto dtype = thunder::from_scalar_type(expected[i].scalar_type());
      const thunder::opdb::Comparison c = thunder::opdb::compare(
          out[i], expected[i], expected[i], thunder::opdb::model_tolerance(dtype));
      ok = c.pass;
      worst = std::max(worst, c.max_abs);
    }
    std::printf("max abs error against %s: %.3g  %s\n", what, worst, ok ? "PASS" : "FAIL");
    return ok;
  };
  const bool ok = check(reference, "torch running the program") &
                  check(recorded, "the recorded eager outputs");
  std::printf("time per call: %.3f ms (first call, CPU, torch executor)\n", ms);
  std::cout << (ok ? "thunder-run: PASS" : "thunder-run: FAIL") << std::endl;
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

} // namespace

int main(int argc, char** argv) {
  try {
    if (argc > 1) return run_model(std::vector<std::string>(argv + 1, argv + argc));
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
    const thunder::opdb::Tolerance tolerance = thunder::opdb::model_tolerance(thunder::DType::Float32);
    bool all_ok = true;
    std::printf("\nresult check against float64 LibTorch eager (rtol %g, atol %g, or no farther "
                "than %gx torch eager f32, whose error is %.3g):\n",
                tolerance.rtol, tolerance.atol, thunder::opdb::kTorchErrorFactor,
                max_abs_error(eager_f32, reference));
    for (const auto level :
         {thunder::TorchExecutionLevel::Symbols, thunder::TorchExecutionLevel::Prims}) {
      const std::vector<at::Tensor> out = executor.run(final_trace, inputs, level);
      const thunder::opdb::Comparison c = thunder::opdb::compare(out.at(0), eager_f32, reference, tolerance);
      all_ok = all_ok && c.pass;
      std::printf(
          "  torch executor, %-6s level: output f32%s max abs error %.3g, max rel error %.3g  "
          "%s (%s)\n",
          level == thunder::TorchExecutionLevel::Symbols ? "ltorch" : "prims",
          thunder::shape_to_string({out.at(0).sizes().begin(), out.at(0).sizes().end()}).c_str(),
          c.max_abs, c.max_rel, c.pass ? "PASS" : "FAIL", c.rule.c_str());
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
