// thunder-run: the main job.
//   thunder-run                      traces a transformer MLP block by hand, prints the trace
//                                    the passes make, runs it on the torch executor at the
//                                    ltorch and prims levels, checks both against float64
//                                    LibTorch eager
//   thunder-run MODEL.pt2 [--inputs IO.json | --shapes 4x16,2x3] [--backend B] [--strict]
//               [--print-traces] [--json] [--repeat N] [--device D]
//                                    compiles a torch.export archive, runs it on the sample
//                                    inputs stored in it (or those of IO.json, or random ones
//                                    of the given shapes), checks the result against torch
//                                    running the original program (every node as its ATen
//                                    call) and, with --inputs, against the outputs eager torch
//                                    recorded in IO.json; times N warm calls (default 20).
//                                    --device cuda runs the model with its weights and
//                                    inputs on that device (Options::device); the check
//                                    runs the original program on the CPU.
//                                    --json prints one JSON object instead: model, backend,
//                                    device, max_abs_error, max_rel_error, pass, executors,
//                                    fallback_ops, ms_per_call, cache {hits, misses}
//   thunder-run --list-devices       the Vulkan devices the spirv backend can use, with the
//                                    optional features each offers (8/16-bit storage, f16,
//                                    int8/16/64, f64)
// Exits 1 if a check fails.
#include "thunder/compile.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/frontends/model_io.h"
#include "thunder/frontends/model_loader.h"
#include "thunder/opdb/opdb.h"
#include "thunder/passes/rematerialization.h"
#include "thunder/thunder.h"

#ifdef THUNDER_RUN_SPIRV
#include "thunder/executors/spirv/vulkan_runtime.h"
#endif

#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
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

// A non-negative count given on the command line; ArgumentError for anything else.
std::int64_t parse_count(const std::string& text, const char* option) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > (std::int64_t{1} << 40)) {
    throw thunder::ArgumentError(thunder::str(option, ": '", text, "' is not a count"));
  }
  return value;
}

// "4x16,2x3" -> {{4, 16}, {2, 3}}.
std::vector<std::vector<std::int64_t>> parse_shapes(const std::string& text) {
  std::vector<std::vector<std::int64_t>> shapes;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t comma = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, comma - begin);
    std::vector<std::int64_t> shape;
    std::size_t pos = 0;
    while (pos < item.size()) {
      const std::size_t x = std::min(item.find('x', pos), item.size());
      const std::string extent = item.substr(pos, x - pos);
      if (extent.empty() || extent.find_first_not_of("0123456789") != std::string::npos) {
        throw thunder::ArgumentError("--shapes " + text + ": '" + item +
                                     "' is not a shape like 4x16 (shapes are separated by ',')");
      }
      shape.push_back(parse_count(extent, "--shapes"));
      pos = x + 1;
    }
    shapes.push_back(std::move(shape));
    begin = comma + 1;
  }
  return shapes;
}

// Random inputs of these shapes, of the dtypes the model recorded for its inputs: float
// ones from randn, integer ones in [0, 2) (valid indices of any embedding), bools.
std::vector<at::Tensor> random_inputs(const thunder::CompiledModule& module,
                                      const std::vector<std::vector<std::int64_t>>& shapes) {
  const auto& specs = module.user_inputs();
  if (shapes.size() != specs.size()) {
    throw thunder::ArgumentError("--shapes gives " + std::to_string(shapes.size()) +
                                 " shapes; the model takes " + std::to_string(specs.size()) +
                                 " inputs");
  }
  torch::manual_seed(0);
  std::vector<at::Tensor> inputs;
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    const thunder::DType dtype = specs[i].second ? specs[i].second->dtype : thunder::DType::Float32;
    const c10::ScalarType type = thunder::to_scalar_type(dtype);
    if (thunder::is_floating(dtype)) {
      inputs.push_back(torch::randn(shapes[i]).to(type));
    } else {
      inputs.push_back(torch::randint(0, 2, shapes[i], at::kLong).to(type));
    }
  }
  return inputs;
}

struct RunArgs {
  std::string path, inputs_path, shapes;
  thunder::Options options;
  bool print_traces = false, json = false;
  int repeat = 20;
};

constexpr const char* kUsage =
    "usage: thunder-run [MODEL.pt2 [--inputs IO.json | --shapes 4x16,2x3] [--backend B] "
    "[--strict] [--print-traces] [--json] [--repeat N] [--device D]]\n"
    "       thunder-run --list-devices\n";

// Torch running the original program: a TorchScript module runs itself; a torch.export
// program runs with every node as its ATen call (lookasides off), since LibTorch has no
// interpreter for .pt2 graphs.
std::vector<at::Tensor> run_reference(const std::string& path,
                                      const std::vector<at::Tensor>& inputs) {
  if (thunder::model_format(path) == "TorchScript") {
    // As saved (training or eval): the reader takes the module's attributes as they are.
    torch::jit::Module module = torch::jit::load(path);
    const std::vector<c10::IValue> args(inputs.begin(), inputs.end());
    return thunder::opdb::flatten_tensors(module.forward(args));
  }
  thunder::Options options;
  options.backend = "torch";
  options.reference = true;
  return thunder::compile(path, options)->forward(inputs);
}

int run_model(const RunArgs& a) {
  const auto module = thunder::compile(a.path, a.options);

  std::vector<at::Tensor> inputs, recorded;
  std::string input_source;
  if (!a.inputs_path.empty()) {
    thunder::ModelIO io = thunder::read_model_io(a.inputs_path);
    inputs = std::move(io.inputs);
    recorded = std::move(io.outputs);
    input_source = a.inputs_path;
  } else if (!a.shapes.empty()) {
    inputs = random_inputs(*module, parse_shapes(a.shapes));
    input_source = "random, shapes " + a.shapes;
  } else {
    inputs = thunder::load_sample_inputs(a.path);
    if (inputs.empty()) {
      throw thunder::ArgumentError(a.path + " stores no sample inputs: give them with --inputs "
                                            "IO.json or --shapes 4x16,...");
    }
    input_source = "the sample inputs stored in the archive";
  }

  // --device: the model's inputs go where its weights went; results come back to the CPU
  // for the checks.
  std::vector<at::Tensor> device_inputs = inputs;
  if (!a.options.device.empty()) {
    for (at::Tensor& t : device_inputs)
      t = t.to(c10::Device(a.options.device));
  }
  const auto to_cpu = [](std::vector<at::Tensor> ts) {
    for (at::Tensor& t : ts)
      t = t.cpu();
    return ts;
  };
  // The first call may compile (new shapes); then warm, steady-state calls are timed, up
  // to the moment their last result is on the host (GPU work is asynchronous).
  const std::vector<at::Tensor> out = to_cpu(module->forward(device_inputs));
  const std::uint64_t first_call_peak = module->stats().peak_device_bytes;
  const auto start = std::chrono::steady_clock::now();
  std::vector<at::Tensor> last;
  for (int i = 0; i < a.repeat; ++i)
    last = module->forward(device_inputs);
  to_cpu(std::move(last));
  const double ms_per_call =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
          .count() /
      std::max(a.repeat, 1);

  const std::vector<at::Tensor> reference = run_reference(a.path, inputs);
  // Per element, within the model tolerance of the output's dtype (docs/conformance.md).
  struct Check {
    bool ok = true;
    double max_abs = 0, max_rel = 0;
  };
  const auto check = [&out](const std::vector<at::Tensor>& expected) {
    Check c;
    c.ok = out.size() == expected.size();
    for (std::size_t i = 0; c.ok && i < out.size(); ++i) {
      const auto dtype = thunder::from_scalar_type(expected[i].scalar_type());
      const thunder::opdb::Comparison r = thunder::opdb::compare(
          out[i], expected[i], expected[i], thunder::opdb::model_tolerance(dtype));
      c.ok = r.pass;
      c.max_abs = std::max(c.max_abs, r.max_abs);
      c.max_rel = std::max(c.max_rel, r.max_rel);
    }
    return c;
  };
  const Check against_reference = check(reference);
  const bool has_recorded = !recorded.empty();
  const Check against_recorded = has_recorded ? check(recorded) : Check{};
  const bool ok = against_reference.ok && against_recorded.ok;

  const auto& traces = module->last_traces();
  const thunder::CompileStats& stats = module->stats();
  // Who ran what, from the executor each bound symbol of the final trace was given: a
  // fusion region counts the prims inside it; what no executor was named for ran on torch.
  // Launches: the calls a kernel backend runs as work on its device (a region's kernel,
  // a matrix product, the fused attention); its unfused view prims are strides, no work.
  std::map<std::string, int> executors;
  int launches = 0;
  for (const thunder::BoundSymbol& b : traces.back().bound_symbols) {
    if (b.symbol == &thunder::python_del()) continue;
    const std::string name = b.executor.empty() ? "torch" : b.executor;
    const bool region = b.symbol->ns == thunder::SymbolNamespace::Fusion;
    executors[name] += region ? static_cast<int>(b.subsymbols.size()) : 1;
    if (name != "torch" && !thunder::is_view_prim(b)) ++launches;
  }
  std::vector<std::string> fallback_ops;
  for (const std::string& f : stats.fallbacks) {
    const std::string op = f.substr(0, f.find(": "));
    if (std::find(fallback_ops.begin(), fallback_ops.end(), op) == fallback_ops.end())
      fallback_ops.push_back(op);
  }
  const std::string device = module->device();
  // Where the backend measures its device memory, eager PyTorch's is measured too: the
  // program op by op on the CPU allocator.
  std::int64_t eager_measured = 0;
  std::string eager_not_measured;
  if (stats.peak_device_bytes > 0) {
    try {
      eager_measured = module->measure_eager_peak_bytes(inputs);
    } catch (const thunder::Error& e) {
      eager_not_measured = e.what(); // Weights on a CUDA device: not the CPU allocator's.
    }
  }

  if (a.json) {
    nlohmann::json j;
    j["model"] = a.path;
    j["backend"] = module->backend();
    j["device"] = device;
    j["max_abs_error"] = against_reference.max_abs;
    j["max_rel_error"] = against_reference.max_rel;
    j["pass"] = ok;
    j["executors"] = executors;
    if (module->backend() != "torch") j["launches"] = launches;
    j["fallback_ops"] = fallback_ops;
    j["ms_per_call"] = ms_per_call;
    j["cache"] = {{"hits", stats.cache_hits}, {"misses", stats.cache_misses}};
    if (stats.peak_device_bytes > 0) {
      j["peak_device_bytes"] = stats.peak_device_bytes;
      j["first_call_peak_device_bytes"] = first_call_peak;
      j["eager_peak_bytes_estimate"] = stats.eager_peak_bytes_estimate;
      j["eager_peak_bytes_measured"] = eager_measured;
      j["uploaded_bytes"] = stats.uploaded_bytes;
      j["resident_bytes"] = stats.resident_bytes;
      j["planned_bytes"] = stats.planned_bytes;
      j["check_bytes"] = stats.check_bytes;
    }
    if (!stats.kernels.empty()) j["kernels"] = stats.kernels;
    if (!stats.cuda_graph.empty()) j["cuda_graph"] = stats.cuda_graph;
    std::cout << j.dump() << std::endl;
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
  }

  thunder::PrintOptions compact;
  compact.subsymbols = false;
  if (a.print_traces) {
    std::cout << module->last_prologue_trace().to_string() << "\n";
    for (const thunder::Trace& t : traces)
      std::cout << t.to_string() << "\n";
  } else {
    std::cout << traces.back().to_string(compact) << "\n";
  }
  std::cout << "backend: " << module->backend() << "\ninputs: " << input_source
            << "\nexecutors (bound symbols run; a fusion region counts its prims):";
  for (const auto& [name, count] : executors)
    std::cout << " " << name << " x" << count;
  if (!stats.kernels.empty()) {
    std::cout << "\nhand-written kernels, last call:";
    for (const auto& [kernel, calls] : stats.kernels)
      std::cout << " " << kernel << " x" << calls;
  }
  std::cout << "\nfallback ops: " << stats.fallbacks.size() << "\n";
  for (const std::string& f : stats.fallbacks)
    std::cout << "  " << f << "\n";
  std::printf("max abs error against torch running the program: %.3g (max rel %.3g)  %s\n",
              against_reference.max_abs, against_reference.max_rel,
              against_reference.ok ? "PASS" : "FAIL");
  if (has_recorded) {
    std::printf("max abs error against the recorded eager outputs: %.3g (max rel %.3g)  %s\n",
                against_recorded.max_abs, against_recorded.max_rel,
                against_recorded.ok ? "PASS" : "FAIL");
  }
  std::printf("time per call: %.3f ms (mean of %d warm calls, %s, backend %s)\n", ms_per_call,
              a.repeat, device.c_str(), module->backend().c_str());
  if (stats.peak_device_bytes > 0) {
    if (eager_not_measured.empty()) {
      std::printf("device memory: peak %.1f KiB held by %s; eager PyTorch holds %.1f KiB "
                  "(measured on the CPU allocator; at least %.1f KiB estimated from the trace)\n",
                  static_cast<double>(stats.peak_device_bytes) / 1024, module->backend().c_str(),
                  static_cast<double>(eager_measured) / 1024,
                  static_cast<double>(stats.eager_peak_bytes_estimate) / 1024);
    } else {
      std::printf("device memory: peak %.1f KiB held by %s; eager PyTorch holds at least %.1f "
                  "KiB (estimated from the trace; not measured: %s)\n",
                  static_cast<double>(stats.peak_device_bytes) / 1024, module->backend().c_str(),
                  static_cast<double>(stats.eager_peak_bytes_estimate) / 1024,
                  eager_not_measured.c_str());
    }
    if (stats.planned_bytes > 0) {
      std::printf("  of which %.1f KiB is one arena, planned from a record of the trace's buffers\n",
                  static_cast<double>(stats.planned_bytes) / 1024);
    }
    if (stats.check_bytes > 0) {
      std::printf("  and %llu bytes are index-check status words (eager checks on the host)\n",
                  static_cast<unsigned long long>(stats.check_bytes));
    }
    if (first_call_peak != stats.peak_device_bytes) {
      std::printf("  the first call's peak: %.1f KiB\n", static_cast<double>(first_call_peak) / 1024);
    }
    std::printf("host to device, last call: %.1f KiB copied; %.1f KiB of weights already on "
                "the device\n",
                static_cast<double>(stats.uploaded_bytes) / 1024,
                static_cast<double>(stats.resident_bytes) / 1024);
  }
  if (!stats.cuda_graph.empty()) std::printf("CUDA graph, last call: %s\n", stats.cuda_graph.c_str());
  std::printf("cache: %d hits, %d misses, %d recompiles%s%s\n", stats.cache_hits,
              stats.cache_misses, stats.recompiles, module->cache_dir().empty() ? "" : "; dir ",
              module->cache_dir().c_str());
  std::cout << (ok ? "thunder-run: PASS" : "thunder-run: FAIL") << std::endl;
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

// Parses the arguments of `thunder-run MODEL ...`; nullopt (after printing the usage) if
// they are not valid.
std::optional<RunArgs> parse_run_args(const std::vector<std::string>& args) {
  RunArgs r;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--inputs" && has_value) {
      r.inputs_path = args[++i];
    } else if (a == "--shapes" && has_value) {
      r.shapes = args[++i];
    } else if (a == "--backend" && has_value) {
      r.options.backend = args[++i];
    } else if (a == "--device" && has_value) {
      r.options.device = args[++i];
    } else if (a == "--repeat" && has_value) {
      r.repeat = static_cast<int>(parse_count(args[++i], "--repeat"));
    } else if (a == "--strict") {
      r.options.strict = true;
    } else if (a == "--print-traces") {
      r.print_traces = true;
    } else if (a == "--json") {
      r.json = true;
    } else if (!a.empty() && a[0] != '-' && r.path.empty()) {
      r.path = a;
    } else {
      std::cerr << kUsage;
      return std::nullopt;
    }
  }
  if (r.path.empty() || (!r.inputs_path.empty() && !r.shapes.empty()) || r.repeat < 0) {
    std::cerr << kUsage;
    return std::nullopt;
  }
  return r;
}

} // namespace

int main(int argc, char** argv) {
  bool json_mode = false;
  std::string model;
  // With --json, stdout carries one JSON object, an error one if it fails.
  const auto report_error = [&json_mode, &model](const std::string& message) {
    std::cerr << "thunder-run: error: " << message << "\n";
    if (json_mode) std::cout << nlohmann::json{{"model", model}, {"error", message}}.dump() << "\n";
  };
  try {
    if (argc == 2 && std::string(argv[1]) == "--list-devices") {
#ifdef THUNDER_RUN_SPIRV
      for (const thunder::spirv::DeviceInfo& d : thunder::spirv::VulkanRuntime::list_devices()) {
        std::cout << d.index << ": " << d.name << " (" << d.type << ", " << d.driver
                  << ", Vulkan " << d.api_version << ")\n   features: " << d.features.to_string()
                  << "\n";
        for (std::size_t i = 0; i < d.cooperative_matrix_shapes.size(); ++i) {
          std::cout << (i == 0 ? "   VK_NV_cooperative_matrix shapes: " : ", ")
                    << d.cooperative_matrix_shapes[i]
                    << (i + 1 == d.cooperative_matrix_shapes.size() ? "\n" : "");
        }
      }
      return EXIT_SUCCESS;
#else
      report_error("--list-devices: this build has no spirv backend (no Vulkan stack found)");
      return EXIT_FAILURE;
#endif
    }
    if (argc > 1) {
      // Known before parsing, so that an argument error is reported as JSON too.
      for (int i = 1; i < argc; ++i)
        json_mode = json_mode || std::string(argv[i]) == "--json";
      const std::optional<RunArgs> args =
          parse_run_args(std::vector<std::string>(argv + 1, argv + argc));
      if (!args) return 2;
      json_mode = args->json;
      model = args->path;
      return run_model(*args);
    }
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
    report_error(e.what());
  } catch (const std::exception& e) {
    report_error(e.what());
  }
  return EXIT_FAILURE;
}
