#include "thunder/compile.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/frontends/export_reader.h"
#include "thunder/jit/jit_extension.h"
#include "thunder/passes/common_subexpression_elimination.h"
#include "thunder/passes/dead_code_elimination.h"

#include <chrono>
#include <cstdlib>

namespace thunder {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

class ExportedModule final : public CompiledModule {
public:
  ExportedModule(const std::string& path, const Options& options)
      : backend_(select_backend(options.backend)) {
    auto start = std::chrono::steady_clock::now();
    exported_ = load_exported_program(path);
    stats_.load_ms = ms_since(start);

    start = std::chrono::steady_clock::now();
    const Program& program = exported_.program;
    TraceScope scope(program.name);
    std::vector<Value> inputs;
    for (const ProgramInput& input : program.inputs) {
      const TensorInfo& info = program.tensor_info(input.name);
      inputs.emplace_back(
          scope.input_tensor(input.name, info.shape, info.dtype, info.device, info.requires_grad));
      if (input.kind != InputKind::UserInput) state_.push_back(exported_.state.at(input.target));
    }
    JitExtension jit(program, JitOptions{options.strict, !options.reference});
    const Value outputs = interpret(program, inputs, jit);
    traces_.push_back(scope.finish(outputs, "Interpreting " + path));
    stats_.fallbacks = jit.fallbacks();
    stats_.trace_ms = ms_since(start);

    start = std::chrono::steady_clock::now();
    traces_.push_back(dead_code_elimination(traces_.back()));
    traces_.push_back(common_subexpression_elimination(traces_.back()));
    stats_.passes_ms = ms_since(start);
    for (const ProgramInput& input : program.inputs)
      user_inputs_ += input.kind == InputKind::UserInput;
  }

  std::vector<at::Tensor> forward(const std::vector<at::Tensor>& inputs) override {
    if (inputs.size() != user_inputs_) {
      throw ArgumentError(str(traces_.back().function_name, " takes ", user_inputs_,
                              " inputs, got ", inputs.size()));
    }
    // The program's inputs interleave weights and user inputs in its signature order.
    std::vector<c10::IValue> all;
    std::size_t next_state = 0, next_user = 0;
    for (const ProgramInput& input : exported_.program.inputs) {
      all.emplace_back(input.kind == InputKind::UserInput ? inputs[next_user++]
                                                          : state_[next_state++]);
    }
    ++stats_.calls;
    return TorchExecutor().run(traces_.back(), all);
  }

  const std::vector<Trace>& last_traces() const override { return traces_; }
  const CompileStats& stats() const override { return stats_; }
  const std::string& backend() const override { return backend_; }

private:
  std::string backend_;
  ExportedProgram exported_;
  std::vector<at::Tensor> state_;
  std::size_t user_inputs_ = 0;
  std::vector<Trace> traces_;
  CompileStats stats_;
};

} // namespace

std::string select_backend(const std::string& requested) {
  std::string name = requested;
  if (name.empty()) {
    const char* env = std::getenv("THUNDER_BACKEND");
    name = env != nullptr && *env != '\0' ? env : "auto";
  }
  if (name == "torch" || name == "auto") return "torch";
  if (name == "cuda" || name == "spirv") {
    throw BackendError(str("backend '", name, "' is not available: the ", name,
                           " executor is not part of this build yet"));
  }
  throw ArgumentError(
      str("unknown backend '", name, "': valid backends are cuda, spirv, torch, auto"));
}

std::unique_ptr<CompiledModule> compile(const std::string& path, const Options& options) {
  return std::make_unique<ExportedModule>(path, options);
}

} // namespace thunder
