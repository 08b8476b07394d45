// The C++ entry point: compile a model file into a module that runs on a backend.
//
//   auto module = thunder::compile("model.pt2");
//   std::vector<at::Tensor> out = module->forward({x});
//   std::cout << module->last_traces().back().to_string();
//
// A torch edge. Today: torch.export archives, traced once (their shapes are static),
// run by the torch executor; the GPU backends, TorchScript, guards and the cache come
// with their issues.
#pragma once

#include "thunder/core/trace.h"

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>
#include <vector>

namespace thunder {

struct Options {
  /// cuda | spirv | torch | auto; empty: THUNDER_BACKEND, else auto. An explicit backend
  /// that is unavailable is an error with the reason, never a silent fallback.
  std::string backend;
  /// Ops with no ltorch symbol are errors instead of torch-executor fallbacks.
  bool strict = false;
  /// Keep every node the ATen call it is (no ltorch symbols): torch running the original
  /// program, which is what results are checked against.
  bool reference = false;
};

/// What compiling and calling cost and did.
struct CompileStats {
  int calls = 0;
  double load_ms = 0;   ///< Reading the model file.
  double trace_ms = 0;  ///< Interpreting it into the computation trace.
  double passes_ms = 0; ///< DCE and CSE.
  /// ATen operators run by the torch executor because no ltorch symbol took them.
  std::vector<std::string> fallbacks;
};

/// A compiled model.
class CompiledModule {
public:
  virtual ~CompiledModule() = default;
  /// Runs the model on its user inputs (the module's weights are bound already).
  virtual std::vector<at::Tensor> forward(const std::vector<at::Tensor>& inputs) = 0;
  /// The traces the pipeline made, first (the interpreted program) to last (what runs).
  virtual const std::vector<Trace>& last_traces() const = 0;
  virtual const CompileStats& stats() const = 0;
  /// The backend that runs it.
  virtual const std::string& backend() const = 0;
};

/// Loads and compiles a torch.export archive (.pt2). ModelError for a bad file,
/// BackendError for an unavailable backend, UnsupportedError for what is not supported.
std::unique_ptr<CompiledModule> compile(const std::string& path, const Options& options = {});

/// The backend Options::backend and THUNDER_BACKEND select, after checking it exists
/// and is available here (the option wins over the variable).
std::string select_backend(const std::string& requested);

} // namespace thunder
