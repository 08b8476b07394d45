// thunder-bench-capture: what capture costs and what a call costs, for one exported model.
//
//   thunder-bench-capture MODEL.pt2 --inputs IO.json [--calls N] [--compiles N]
//
// Prints, in this order:
//   load     peak host memory while reading the archive, against the weights' size (the
//            reader must hold each weight once: the ratio stays under 1.5);
//   capture  load, interpretation (trace) and passes time, median of --compiles runs;
//   call     time per call on a cache hit (median of --calls), against calling the same
//            ATen operators directly: the operators the torch executor dispatched during
//            one call are recorded (a RecordFunction observer on top-level calls) and
//            replayed through the dispatcher with their recorded arguments, with no
//            trace walk, name lookup or argument conversion. The difference is thunder's
//            per-call overhead.
// CPU timings; a GPU figure comes from a GPU backend on a GPU machine, never from here.
#include "thunder/compile.h"
#include "thunder/frontends/export_reader.h"
#include "thunder/frontends/model_io.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/record_function.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// A field of /proc/self/status in kB ("VmRSS", "VmHWM"); 0 where there is none.
long proc_status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return 0;
}

// One operator call as the dispatcher saw it.
struct RecordedCall {
  c10::OperatorHandle op;
  std::vector<c10::IValue> args;
};

// Records the top-level operator calls (not those an operator makes inside itself).
std::vector<RecordedCall>* g_recording = nullptr;
thread_local int g_depth = 0;

std::unique_ptr<at::ObserverContext> on_start(const at::RecordFunction& fn) {
  if (g_depth++ == 0 && g_recording != nullptr) {
    if (const auto name = fn.operator_name()) {
      if (auto op = c10::Dispatcher::singleton().findOp(*name)) {
        const auto inputs = fn.inputs();
        g_recording->push_back({*op, std::vector<c10::IValue>(inputs.begin(), inputs.end())});
      }
    }
  }
  return nullptr;
}

void on_end(const at::RecordFunction&, at::ObserverContext*) { --g_depth; }

std::vector<RecordedCall> record_calls(thunder::CompiledModule& module,
                                       const std::vector<at::Tensor>& inputs) {
  std::vector<RecordedCall> calls;
  // Removes the observer however forward ends, so that it never writes to `calls` after.
  struct Observer {
    at::CallbackHandle handle;
    explicit Observer(std::vector<RecordedCall>* into) {
      g_recording = into;
      handle = at::addGlobalCallback(at::RecordFunctionCallback(&on_start, &on_end)
                                         .needsInputs(true)
                                         .scopes({at::RecordScope::FUNCTION}));
    }
    ~Observer() {
      at::removeCallback(handle);
      g_recording = nullptr;
    }
    Observer(const Observer&) = delete;
    Observer& operator=(const Observer&) = delete;
  };
  {
    const Observer observer(&calls);
    module.forward(inputs);
  }
  return calls;
}

void replay(const std::vector<RecordedCall>& calls) {
  for (const RecordedCall& call : calls) {
    torch::jit::Stack stack(call.args.begin(), call.args.end());
    call.op.callBoxed(stack);
  }
}

template <typename F>
std::vector<double> time_calls(int n, F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const auto start = Clock::now();
    f();
    ms.push_back(ms_since(start));
  }
  return ms;
}

} // namespace

int main(int argc, char** argv) {
  std::string path, inputs_path;
  int calls = 50, compiles = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--inputs" && i + 1 < argc) {
      inputs_path = argv[++i];
    } else if (a == "--calls" && i + 1 < argc) {
      calls = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--compiles" && i + 1 < argc) {
      compiles = std::max(1, std::atoi(argv[++i]));
    } else if (path.empty() && !a.empty() && a[0] != '-') {
      path = a;
    } else {
      std::cerr << "usage: thunder-bench-capture MODEL.pt2 --inputs IO.json [--calls N] "
                   "[--compiles N]\n";
      return 2;
    }
  }
  if (path.empty() || inputs_path.empty()) {
    std::cerr << "thunder-bench-capture: needs MODEL.pt2 and --inputs IO.json\n";
    return 2;
  }
  try {
    at::set_num_threads(1); // Timings comparable across machines with different core counts.

    // Memory first, before anything else has grown the heap; "5" resets the peak (VmHWM)
    // to the current resident size.
    std::ofstream("/proc/self/clear_refs") << "5";
    const long rss_before_kb = proc_status_kb("VmRSS");
    std::size_t weight_bytes = 0, weights = 0;
    {
      const thunder::ExportedProgram loaded = thunder::load_exported_program(path);
      for (const auto& [name, tensor] : loaded.state) {
        weight_bytes += tensor.nbytes();
        ++weights;
      }
    }
    const long peak_kb = proc_status_kb("VmHWM");
    const double load_peak_mb = (peak_kb - rss_before_kb) / 1024.0;
    const double weights_mb = weight_bytes / (1024.0 * 1024.0);

    std::vector<double> load_ms, trace_ms, passes_ms;
    std::size_t bound_symbols = 0;
    for (int i = 0; i < compiles; ++i) {
      const auto module = thunder::compile(path);
      load_ms.push_back(module->stats().load_ms);
      trace_ms.push_back(module->stats().trace_ms);
      passes_ms.push_back(module->stats().passes_ms);
      bound_symbols = module->last_traces().back().bound_symbols.size();
    }

    const std::vector<at::Tensor> inputs = thunder::read_model_io(inputs_path).inputs;

    const auto module = thunder::compile(path);
    module->forward(inputs); // The first call: anything lazy happens here.
    const std::vector<RecordedCall> recorded = record_calls(*module, inputs);
    replay(recorded);
    const double thunder_ms = median(time_calls(calls, [&] { module->forward(inputs); }));
    const double direct_ms = median(time_calls(calls, [&] { replay(recorded); }));

    std::printf("model: %s (%zu bound symbols after passes, %zu weights)\n", path.c_str(),
                bound_symbols, weights);
    std::printf("load: peak host memory %.2f MB while reading %.2f MB of weights (%.2fx)\n",
                load_peak_mb, weights_mb, weights_mb > 0 ? load_peak_mb / weights_mb : 0.0);
    std::printf("capture (median of %d): load %.2f ms, trace %.2f ms, passes %.2f ms, total "
                "%.2f ms\n",
                compiles, median(load_ms), median(trace_ms), median(passes_ms),
                median(load_ms) + median(trace_ms) + median(passes_ms));
    std::printf("call (median of %d, 1 CPU thread): thunder %.3f ms, the same %zu ATen calls "
                "directly %.3f ms, overhead %.1f us per call (%.2f us per ATen call)\n",
                calls, thunder_ms, recorded.size(), direct_ms, (thunder_ms - direct_ms) * 1e3,
                recorded.empty() ? 0.0 : (thunder_ms - direct_ms) * 1e3 / recorded.size());
    return EXIT_SUCCESS;
  } catch (const std::exception& e) {
    std::cerr << "thunder-bench-capture: error: " << e.what() << "\n";
    return EXIT_FAILURE;
  }
}
