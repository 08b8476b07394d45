// thunder-conformance: the op database (every op, sample and dtype) and, optionally, a
// directory of exported models, run on each backend (torch, spirv, cuda) and judged by the
// tolerance rule of docs/conformance.md against float64 torch eager. Each result names the
// executors that actually ran its prims; a sample whose kernel region fell back to torch is
// "fallback", never "pass"; a backend that is absent is listed with its reason and its
// results are "skip". --compare A,B judges A's outputs against B's, op by op. Reports: a
// summary table (stdout), JUnit XML, JSON and a self-contained HTML heatmap; an
// expectations file turns known failures into xfail (and reports xpass). Exit status 0
// only when every result is pass or xfail; 1 otherwise; 2 for a bad command line.
// See docs/conformance.md, "thunder-conformance".
#include "thunder/compile.h"
#include "thunder/core/error.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/opdb/opdb.h"
#include "thunder/passes/fusion.h"
#include "thunder/thunder.h"

#ifdef THUNDER_CONFORMANCE_SPIRV
#include "thunder/executors/spirv/spirv_torch.h"
#include "thunder/executors/spirv/vulkan_runtime.h"
#endif
#ifdef THUNDER_CONFORMANCE_CUDA
#include "thunder/executors/cuda/cuda_runtime.h"
#include "thunder/executors/cuda/cuda_torch.h"
#include "thunder/executors/cuda/nvrtc_compiler.h"
#endif

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace thunder;
using opdb::Comparison;
using opdb::OpInfo;
using opdb::Sample;
using opdb::Tolerance;

const std::vector<std::string> kVerdicts = {"pass", "fail", "fallback", "skip", "xfail", "xpass"};

// ---------------------------------------------------------------------------------------
// Command line.

struct Config {
  std::vector<std::string> backends; ///< In the order given.
  bool available_only = false;       ///< --backends available
  std::vector<DType> dtypes;         ///< Empty: every dtype of each op.
  std::vector<std::string> ops;      ///< Patterns; empty: all.
  std::string models_dir;
  std::optional<std::pair<std::string, std::string>> compare;
  std::string junit, json, html, expectations;
  bool compile_only = false;
  bool quiet = false;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, sep)) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

const char* const kUsage =
    "usage: thunder-conformance [--backends LIST|available] [--dtypes f32,f16,...] "
    "[--devices spirv:DEV,cuda:N] [--ops PATTERN[,PATTERN]] [--models DIR] [--compare A,B] "
    "[--compile-only] [--junit FILE] "
    "[--json FILE] [--html FILE] [--expectations FILE] [--quiet]\n"
    "  backends: torch, spirv, cuda (default: available). --compile-only: cuda regions are "
    "NVRTC-compiled for sm_80 and sm_90, not run.\n";

// "spirv" of "spirv:1"; a backend names one device after the colon (--devices).
std::string kind_of(const std::string& backend) {
  return backend.substr(0, backend.find(':'));
}

Config parse_args(int argc, char** argv) {
  Config c;
  const std::set<std::string> kinds = {"torch", "spirv", "cuda"};
  const auto known = [&](const std::string& b) {
    return kinds.contains(kind_of(b)) &&
           (b.find(':') == std::string::npos || kind_of(b) != "torch");
  };
  std::vector<std::string> devices;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ArgumentError(str(a, " needs a value"));
      return argv[++i];
    };
    if (a == "--backends") {
      const std::string v = value();
      if (v == "available") {
        c.available_only = true;
        c.backends = {"torch", "spirv", "cuda"};
      } else {
        for (const std::string& b : split(v, ',')) {
          if (!known(b))
            throw ArgumentError(
                str("--backends: unknown backend '", b, "' (torch, spirv, cuda or 'available')"));
          if (std::find(c.backends.begin(), c.backends.end(), b) == c.backends.end())
            c.backends.push_back(b);
        }
      }
    } else if (a == "--dtypes") {
      for (const std::string& d : split(value(), ',')) {
        const std::optional<DType> dtype = parse_dtype(d);
        if (!dtype)
          throw ArgumentError(
              str("--dtypes: unknown dtype '", d, "' (f32, f16, bf16, f64, i64, i32, ...)"));
        c.dtypes.push_back(*dtype);
      }
    } else if (a == "--ops") {
      c.ops = split(value(), ',');
    } else if (a == "--models") {
      c.models_dir = value();
      if (!std::filesystem::is_directory(c.models_dir))
        throw ArgumentError(str("--models: '", c.models_dir, "' is not a directory"));
    } else if (a == "--compare") {
      const std::vector<std::string> pair = split(value(), ',');
      if (pair.size() != 2 || pair[0] == pair[1] || !known(pair[0]) || !known(pair[1]))
        throw ArgumentError("--compare: give two different backends, e.g. --compare cuda,spirv");
      c.compare = std::make_pair(pair[0], pair[1]);
    } else if (a == "--devices") {
      for (const std::string& d : split(value(), ',')) {
        if (d.find(':') == std::string::npos || !known(d) || d.size() == kind_of(d).size() + 1)
          throw ArgumentError(str("--devices: '", d,
                                  "' is not spirv:DEVICE (a Vulkan device index or part of its "
                                  "name) or cuda:ORDINAL"));
        devices.push_back(d);
      }
    } else if (a == "--junit") {
      c.junit = value();
    } else if (a == "--json") {
      c.json = value();
    } else if (a == "--html") {
      c.html = value();
    } else if (a == "--expectations") {
      c.expectations = value();
    } else if (a == "--compile-only") {
      c.compile_only = true;
    } else if (a == "--quiet") {
      c.quiet = true;
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else {
      throw ArgumentError(str("unknown argument '", a, "'"));
    }
  }
  if (c.backends.empty()) {
    c.available_only = true;
    c.backends = {"torch", "spirv", "cuda"};
  }
  // Each device replaces its backend's default device.
  for (const std::string& d : devices) {
    std::erase(c.backends, kind_of(d));
    if (std::find(c.backends.begin(), c.backends.end(), d) == c.backends.end())
      c.backends.push_back(d);
  }
  if (c.compare) {
    for (const std::string& b : {c.compare->first, c.compare->second}) {
      if (std::find(c.backends.begin(), c.backends.end(), b) == c.backends.end())
        c.backends.push_back(b);
    }
  }
  return c;
}

bool is_glob(const std::string& p) {
  return p.find_first_of("*?") != std::string::npos;
}

// '*' (any run) and '?' (any one character); everything else literal, so that sample
// descriptions ("add(f32[3, 1], f32[5, 1])") can be matched as they print.
bool glob_match(const std::string& pattern, const std::string& text) {
  std::size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

// An op pattern: a glob matched against "ltorch.add" and "add", or a substring of the name.
bool op_selected(const Config& c, const std::string& name) {
  if (c.ops.empty()) return true;
  const std::string short_op = name.substr(name.find('.') + 1);
  for (const std::string& p : c.ops) {
    if (is_glob(p) ? glob_match(p, name) || glob_match(p, short_op)
                   : name.find(p) != std::string::npos)
      return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// Results.

struct Result {
  std::string op, sample, dtype, backend, device;
  std::map<std::string, std::size_t> executors;
  std::optional<double> max_abs, max_rel;
  std::optional<Tolerance> tolerance;
  std::string rule;
  std::string verdict;
  std::string reason;
};

// What one backend made of one sample.
struct Outcome {
  bool ran = false; ///< Outputs are valid.
  std::vector<at::Tensor> outputs;
  std::map<std::string, std::size_t> executors;
  std::string verdict; ///< Set when decided without comparing (skip, fail, fallback).
  std::string reason;
  std::string note; ///< For a pass: prims the backend does not claim, run on torch.
};

std::size_t count_prims(const std::vector<BoundSymbol>& bsyms) {
  std::size_t n = 0;
  for (const BoundSymbol& b : bsyms) {
    // A fusion region has no decomposition either, but counts the prims inside it.
    if (b.symbol->is_prim() && b.symbol->ns != SymbolNamespace::Fusion) {
      ++n;
    } else {
      n += count_prims(b.subsymbols);
    }
  }
  return n;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

std::string fallbacks_text(const std::vector<Fallback>& fallbacks) {
  std::string out;
  std::set<std::string> seen;
  for (const Fallback& f : fallbacks) {
    const std::string item = f.op + ": " + first_line(f.reason);
    if (!seen.insert(item).second) continue;
    out += (out.empty() ? "" : "; ") + item;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Backends.

class Backend {
public:
  virtual ~Backend() = default;
  std::string name; ///< "spirv", or "spirv:1" for one device of several.
  std::string kind; ///< The executor: torch, spirv, cuda.
  std::string device;
  bool available = false;
  std::string reason; ///< Why it is absent (or what mode it runs in).
  /// Runs a traced sample.
  virtual Outcome run(const Trace& trace, const std::vector<c10::IValue>& inputs) = 0;
  /// Whether outputs are produced (false for compile-only).
  virtual bool produces_outputs() const { return true; }
  /// Runs a model: the backend name thunder::compile takes.
  virtual std::string compile_backend() const { return kind; }
};

class TorchBackend final : public Backend {
public:
  TorchBackend() {
    name = kind = "torch";
    device = "cpu (ATen, prims level)";
    available = true;
  }
  // The prims level: every composite as its decomposition, which is what every kernel
  // backend relies on (the ltorch level is torch's own result, compared with itself).
  Outcome run(const Trace& trace, const std::vector<c10::IValue>& inputs) override {
    Outcome o;
    o.outputs = TorchExecutor().run(trace, inputs, TorchExecutionLevel::Prims);
    o.executors["torch"] = count_prims(trace.bound_symbols);
    o.ran = true;
    return o;
  }
};

// The verdict of a kernel backend's run before comparing: a region that fell back to torch
// is "fallback"; a sample of which the backend claimed no prim is "skip" (unsupported);
// a trace with no prims at all has nothing to run.
[[maybe_unused]] void judge_kernel_run(Outcome& o, const std::string& backend,
                                       std::size_t total_prims,
                                       const std::vector<Fallback>& region_fallbacks,
                                       const std::vector<Fallback>& assigned_to_torch) {
  const auto it = o.executors.find(backend);
  const std::size_t on_backend = it == o.executors.end() ? 0 : it->second;
  if (!region_fallbacks.empty()) {
    o.verdict = "fallback";
    o.reason = str("region ran on torch: ", fallbacks_text(region_fallbacks));
  } else if (total_prims == 0) {
    o.verdict = "skip";
    o.reason = "nothing to run: the sample's trace has no prims";
  } else if (on_backend == 0) {
    o.verdict = "skip";
    o.reason = str("unsupported: ", backend, " claims no prim of this sample (",
                   fallbacks_text(assigned_to_torch), ")");
  } else if (!assigned_to_torch.empty()) {
    // Not a verdict: the comparison decides, and the reason says what torch ran.
    o.note =
        str("prims not claimed by ", backend, " ran on torch: ", fallbacks_text(assigned_to_torch));
  }
}

#ifdef THUNDER_CONFORMANCE_SPIRV
class SpirvBackend final : public Backend {
public:
  explicit SpirvBackend(const std::string& spec)
      : executor_(std::make_unique<spirv::SpirvExecutor>(options(spec))) {
    name = spec;
    kind = "spirv";
    const Availability a = executor_->availability();
    available = a.available;
    reason = a.reason;
    if (available) {
      const spirv::DeviceInfo& d = executor_->runtime().device();
      device = str(d.name, " (", d.type, ", Vulkan ", d.api_version, ")");
    } else {
      device = "none";
    }
  }
  Outcome run(const Trace& trace, const std::vector<c10::IValue>& inputs) override {
    Outcome o;
    std::vector<Fallback> assigned;
    const Trace prepared = spirv::prepare_spirv_trace(trace, *executor_, torch_, &assigned);
    ExecutionReport report;
    o.outputs = spirv::run_spirv_trace(*executor_, prepared, inputs, &report, /*strict=*/false);
    o.executors = report.prims;
    o.ran = true;
    judge_kernel_run(o, kind, count_prims(trace.bound_symbols), report.fallbacks, assigned);
    return o;
  }

private:
  static spirv::RuntimeOptions options(const std::string& spec) {
    spirv::RuntimeOptions o;
    if (spec.find(':') != std::string::npos) o.device = spec.substr(spec.find(':') + 1);
    return o;
  }
  std::unique_ptr<spirv::SpirvExecutor> executor_;
  TorchFallbackExecutor torch_;
};
#endif

#ifdef THUNDER_CONFORMANCE_CUDA
class CudaBackend final : public Backend {
public:
  CudaBackend(const std::string& spec, bool compile_only)
      : compile_only_(compile_only), executor_(options(spec)) {
    name = spec;
    kind = "cuda";
    if (compile_only) {
      try {
        const cuda::NvrtcCompiler& c = executor_.compiler();
        available = true;
        device = str("compile-only: NVRTC ", c.version(), ", sm_80 and sm_90");
        reason = "compile-only: verdicts are NVRTC compilation, nothing runs";
      } catch (const BackendError& e) {
        available = false;
        reason = first_line(e.what());
        device = "none";
      }
      return;
    }
    const Availability a = executor_.availability();
    available = a.available;
    reason = a.reason;
    device = available ? executor_.runtime().device_name() : "none";
  }
  bool produces_outputs() const override { return !compile_only_; }

  Outcome run(const Trace& trace, const std::vector<c10::IValue>& inputs) override {
    Outcome o;
    std::vector<Fallback> assigned;
    const Trace prepared = cuda::prepare_cuda_trace(trace, executor_, torch_, &assigned);
    if (compile_only_) return compile(trace, prepared, assigned);
    ExecutionReport report;
    o.outputs = cuda::run_cuda_trace(executor_, prepared, inputs, &report, /*strict=*/false);
    for (at::Tensor& t : o.outputs)
      t = t.cpu();
    o.executors = report.prims;
    o.ran = true;
    judge_kernel_run(o, kind, count_prims(trace.bound_symbols), report.fallbacks, assigned);
    return o;
  }

private:
  // Every region NVRTC-compiled for sm_80 and sm_90: pass when all compile.
  Outcome compile(const Trace& trace, const Trace& prepared,
                  const std::vector<Fallback>& assigned) {
    Outcome o;
    std::size_t regions = 0;
    for (const BoundSymbol& b : prepared.bound_symbols) {
      if (b.executor == "cuda" && cuda::is_attention(b)) {
        // The fused attention kernel: compiled like a region.
        ++regions;
        o.executors["cuda"] += count_prims({b});
        for (const cuda::GpuArch arch : {cuda::GpuArch{8, 0}, cuda::GpuArch{9, 0}}) {
          try {
            executor_.compile_attention_for(b, arch);
          } catch (const Error& e) {
            if (o.verdict.empty()) {
              o.verdict = "fail";
              o.reason = str("compile-only: the fused attention for ", arch.name(),
                             " does not compile: ", first_line(e.what()));
            }
          }
        }
      } else if (b.executor == "cuda" && !is_fusion_region(b)) {
        o.executors["cuda"] += count_prims({b}); // a matmul: cuBLASLt, nothing to compile
      } else if (b.executor == "cuda") {
        ++regions;
        o.executors["cuda"] += count_prims(b.subsymbols);
        for (const cuda::GpuArch arch : {cuda::GpuArch{8, 0}, cuda::GpuArch{9, 0}}) {
          try {
            executor_.compile_for(b, arch);
          } catch (const Error& e) {
            if (o.verdict.empty()) {
              o.verdict = "fail";
              o.reason = str("compile-only: ", b.symbol->name, " for ", arch.name(),
                             " does not compile: ", first_line(e.what()));
            }
          }
        }
      } else if (b.symbol != &python_del()) {
        const std::size_t n = count_prims({b});
        if (n > 0) o.executors["torch"] += n;
      }
    }
    if (o.verdict.empty()) {
      if (regions == 0) {
        judge_kernel_run(o, kind, count_prims(trace.bound_symbols), {}, assigned);
      } else {
        o.verdict = "pass";
        o.reason = str("compile-only: ", regions, " region(s) compiled for sm_80 and sm_90");
      }
    }
    return o;
  }

  static cuda::CudaExecutorOptions options(const std::string& spec) {
    cuda::CudaExecutorOptions o;
    if (spec.find(':') != std::string::npos) {
      const std::string ordinal = spec.substr(spec.find(':') + 1);
      if (ordinal.find_first_not_of("0123456789") != std::string::npos || ordinal.size() > 4)
        throw ArgumentError(str("--devices: '", spec, "': a cuda device is an ordinal (cuda:0)"));
      o.runtime.device = std::stoi(ordinal);
    }
    return o;
  }
  bool compile_only_;
  cuda::CudaExecutor executor_;
  TorchFallbackExecutor torch_;
};
#endif

std::unique_ptr<Backend> make_backend(const std::string& name, bool compile_only) {
  if (name == "torch") return std::make_unique<TorchBackend>();
  if (kind_of(name) == "spirv") {
#ifdef THUNDER_CONFORMANCE_SPIRV
    return std::make_unique<SpirvBackend>(name);
#endif
  }
  if (kind_of(name) == "cuda") {
#ifdef THUNDER_CONFORMANCE_CUDA
    return std::make_unique<CudaBackend>(name, compile_only);
#endif
  }
  // Not built: a backend that cannot run, with the reason.
  class Absent final : public Backend {
  public:
    Outcome run(const Trace&, const std::vector<c10::IValue>&) override { return {}; }
  };
  auto absent = std::make_unique<Absent>();
  absent->name = name;
  absent->kind = kind_of(name);
  absent->device = "none";
  absent->reason = str("this build has no ", absent->kind, " executor (",
                       absent->kind == "spirv" ? "the Vulkan stack" : "CUDA/NVRTC",
                       " was not found at configure time)");
  (void)compile_only;
  return absent;
}

// ---------------------------------------------------------------------------------------
// Expectations: "BACKEND DTYPE OP VERDICT [SAMPLE] : REASON", globs allowed in every field;
// BACKEND is a comma-separated list of backends, each with an optional "@DEVICE" glob
// (spirv@NVIDIA*: spirv on an NVIDIA device).

struct Expectation {
  std::string backend, dtype, op, verdict, sample, reason;
  std::string where; ///< file:line
  std::size_t used = 0;
};

std::vector<Expectation> read_expectations(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ArgumentError(str("--expectations: cannot read '", path, "'"));
  std::vector<Expectation> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string where = str(path, ":", number);
    const std::size_t hash = line.find('#');
    const std::string body = line.substr(0, hash == 0 ? 0 : line.npos);
    if (body.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::size_t colon = body.find(" : ");
    if (colon == std::string::npos)
      throw ArgumentError(
          str(where, ": no reason: write 'BACKEND DTYPE OP VERDICT [SAMPLE] : REASON'"));
    Expectation e;
    e.where = where;
    e.reason = body.substr(colon + 3);
    if (e.reason.find_first_not_of(" \t\r") == std::string::npos)
      throw ArgumentError(str(where, ": the reason is empty"));
    std::istringstream fields(body.substr(0, colon));
    fields >> e.backend >> e.dtype >> e.op >> e.verdict;
    std::getline(fields >> std::ws, e.sample);
    if (e.verdict.empty())
      throw ArgumentError(str(where, ": expected 'BACKEND DTYPE OP VERDICT [SAMPLE] : REASON'"));
    for (std::size_t begin = 0; begin <= e.backend.size();) {
      const std::size_t comma = std::min(e.backend.find(',', begin), e.backend.size());
      const std::string item = e.backend.substr(begin, comma - begin);
      const std::size_t at = item.find('@');
      if (item.empty() || at == 0 || (at != std::string::npos && at + 1 == item.size()))
        throw ArgumentError(str(where, ": backend '", e.backend,
                                "' has an empty item: write BACKEND or BACKEND@DEVICE, "
                                "separated by ','"));
      begin = comma + 1;
    }
    if (e.verdict != "fail" && e.verdict != "fallback" && e.verdict != "skip")
      throw ArgumentError(
          str(where, ": expected verdict '", e.verdict, "' is not one of fail, fallback, skip"));
    if (e.sample.empty()) e.sample = "*";
    out.push_back(std::move(e));
  }
  return out;
}

// Whether a result's backend and device match an expectation's BACKEND field: any of its
// comma-separated "BACKEND[@DEVICE]" globs.
bool backend_matches(const std::string& field, const Result& r) {
  std::size_t begin = 0;
  while (begin <= field.size()) {
    const std::size_t comma = std::min(field.find(',', begin), field.size());
    const std::string item = field.substr(begin, comma - begin);
    const std::size_t at = item.find('@');
    if (glob_match(item.substr(0, at), r.backend) &&
        (at == std::string::npos || glob_match(item.substr(at + 1), r.device))) {
      return true;
    }
    begin = comma + 1;
  }
  return false;
}

void apply_expectations(std::vector<Result>& results, std::vector<Expectation>& expectations) {
  for (Result& r : results) {
    for (Expectation& e : expectations) {
      if (!backend_matches(e.backend, r) || !glob_match(e.dtype, r.dtype) ||
          !glob_match(e.op, r.op) || !glob_match(e.sample, r.sample))
        continue;
      ++e.used;
      if (r.verdict == e.verdict) {
        r.verdict = "xfail";
        r.reason = str(r.reason, r.reason.empty() ? "" : "; ", "expected ", e.verdict, " (",
                       e.where, "): ", e.reason);
      } else if (r.verdict == "pass") {
        r.verdict = "xpass";
        r.reason = str("passes but ", e.where, " expects ", e.verdict, ": ", e.reason);
      } else {
        r.reason = str(r.reason, "; ", e.where, " expects ", e.verdict, ", not ", r.verdict);
      }
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Comparing.

// A small tensor's values, "[1, nan, inf]", for failure reasons; "" for large ones.
std::string values_text(const at::Tensor& t) {
  if (!t.defined() || t.numel() > 16) return "";
  const at::Tensor d = t.detach().cpu().flatten().to(at::kDouble).contiguous();
  std::string out = "[";
  for (std::int64_t i = 0; i < d.numel(); ++i)
    out += str(i ? ", " : "", d.data_ptr<double>()[i]);
  return out + "]";
}

// Every output against torch at that dtype and the float64 reference.
void judge_outputs(Result& r, const std::vector<at::Tensor>& outputs,
                   const std::vector<at::Tensor>& torch_results,
                   const std::vector<at::Tensor>& references,
                   const std::function<Tolerance(DType)>& tolerance_of) {
  if (outputs.size() != references.size()) {
    r.verdict = "fail";
    r.reason = str(outputs.size(), " outputs, torch gives ", references.size());
    return;
  }
  double max_abs = 0, max_rel = 0;
  bool pass = true;
  std::set<std::string> rules;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tolerance tol = tolerance_of(from_scalar_type(torch_results[i].scalar_type()));
    r.tolerance = tol;
    const Comparison c = opdb::compare(outputs[i], torch_results[i], references[i], tol);
    max_abs = std::max(max_abs, c.max_abs);
    max_rel = std::max(max_rel, c.max_rel);
    if (!c.pass && pass) {
      pass = false;
      r.rule = str(outputs.size() > 1 ? str("output ", i, ": ") : "", c.rule);
      if (const std::string got = values_text(outputs[i]); !got.empty())
        r.reason = str("; got ", got, ", float64 reference ", values_text(references[i]));
    }
    rules.insert(c.rule);
  }
  if (pass) {
    for (const std::string& rule : rules)
      r.rule += (r.rule.empty() ? "" : "; ") + rule;
  }
  r.max_abs = max_abs;
  r.max_rel = max_rel;
  r.verdict = pass ? "pass" : "fail";
  if (!pass) r.reason = r.rule + r.reason;
}

// ---------------------------------------------------------------------------------------
// Progress on stderr, when it is a terminal.

class Progress {
public:
  Progress(std::size_t total, bool enabled) : total_(total), enabled_(enabled) {}
  void step(const std::string& what) {
    ++done_;
    if (!enabled_) return;
    const int width = 30;
    const int filled = total_ == 0 ? width : static_cast<int>(done_ * width / total_);
    std::fprintf(stderr, "\r[%s%s] %zu/%zu %-40.40s", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done_, total_, what.c_str());
    std::fflush(stderr);
  }
  void finish() {
    if (enabled_) std::fprintf(stderr, "\r%90s\r", "");
  }

private:
  std::size_t total_, done_ = 0;
  bool enabled_;
};

// ---------------------------------------------------------------------------------------
// The run.

struct Run {
  const Config& config;
  std::vector<std::unique_ptr<Backend>> backends;
  std::vector<Result> results;

  Backend* backend(const std::string& name) {
    for (auto& b : backends) {
      if (b->name == name) return b.get();
    }
    return nullptr;
  }

  std::string compare_name() const {
    return str(config.compare->first, "-vs-", config.compare->second);
  }

  void run_ops() {
    std::vector<std::pair<const OpInfo*, DType>> work;
    for (const OpInfo& op : opdb::op_database()) {
      if (!op_selected(config, op.name())) continue;
      for (const DType dtype : op.dtypes) {
        if (config.dtypes.empty() ||
            std::find(config.dtypes.begin(), config.dtypes.end(), dtype) != config.dtypes.end())
          work.emplace_back(&op, dtype);
      }
    }
    if (work.empty()) throw ArgumentError("no op of the database matches --ops and --dtypes");
    Progress progress(work.size(), !config.quiet && isatty(STDERR_FILENO) != 0);
    for (const auto& [op, dtype] : work) {
      progress.step(str(op->name(), " ", short_name(dtype)));
      for (const Sample& sample : opdb::generate_samples(*op, dtype))
        run_sample(*op, dtype, sample);
    }
    progress.finish();
  }

  void run_sample(const OpInfo& op, DType dtype, const Sample& sample) {
    Result base;
    base.op = op.name();
    base.sample = sample.describe(op.name());
    base.dtype = std::string(short_name(dtype));
    const auto tolerance_of = [&](DType result_dtype) {
      return is_floating(dtype) || !is_floating(result_dtype)
                 ? op.tolerance(dtype)
                 : opdb::default_tolerance(result_dtype);
    };
    std::optional<opdb::TracedSample> traced;
    std::string trace_error;
    std::vector<at::Tensor> torch_results, references;
    try {
      traced = opdb::trace_sample(op, sample);
      torch_results = opdb::flatten_tensors(op.reference(opdb::RefArgs(sample, false)));
      references = opdb::flatten_tensors(op.reference(opdb::RefArgs(sample, true)));
    } catch (const std::exception& e) {
      trace_error = first_line(e.what());
    }
    std::map<std::string, Outcome> outcomes;
    for (auto& b : backends) {
      Result r = base;
      r.backend = b->name;
      r.device = b->device;
      if (!b->available) {
        r.verdict = "skip";
        r.reason = str("backend absent: ", b->reason);
      } else if (!trace_error.empty()) {
        r.verdict = "fail";
        r.reason = str("tracing or the reference threw: ", trace_error);
      } else {
        Outcome o;
        try {
          o = b->run(traced->trace, traced->inputs);
        } catch (const std::exception& e) {
          o = Outcome{};
          o.verdict = "fail";
          o.reason = str(b->name, " threw: ", first_line(e.what()));
        }
        r.executors = o.executors;
        // Without outputs (compile-only, or the run threw) nothing is compared: no
        // tolerance, no errors.
        if (o.ran) judge_outputs(r, o.outputs, torch_results, references, tolerance_of);
        // A failing comparison stays a failure; otherwise a decided verdict (fallback,
        // skip, compile-only) replaces "pass".
        if (!o.verdict.empty() && r.verdict != "fail") {
          r.verdict = o.verdict;
          r.reason = o.reason;
          if (o.verdict == "pass") r.rule = o.reason;
        } else if (!o.verdict.empty() && r.verdict == "fail") {
          r.reason = o.ran ? str(r.reason, "; and ", o.reason) : o.reason;
        }
        if (r.verdict == "pass" && !o.note.empty()) r.reason = o.note;
        if (r.verdict.empty()) {
          r.verdict = "fail";
          r.reason = "no verdict";
        }
        if (b->produces_outputs()) outcomes[b->name] = std::move(o);
      }
      results.push_back(std::move(r));
    }
    if (config.compare) compare_pair(base, outcomes, tolerance_of);
  }

  // A's outputs against B's: within the dtype's tolerance of B's (integers exactly).
  void compare_pair(const Result& base, std::map<std::string, Outcome>& outcomes,
                    const std::function<Tolerance(DType)>& tolerance_of) {
    const auto& [a, b] = *config.compare;
    Result r = base;
    r.backend = compare_name();
    r.device = str(backend(a)->device, " vs ", backend(b)->device);
    const auto usable = [&](const std::string& name) -> std::string {
      const Backend* be = backend(name);
      if (!be->available) return str(name, " absent: ", be->reason);
      if (!be->produces_outputs()) return str(name, " is compile-only");
      const auto it = outcomes.find(name);
      if (it == outcomes.end() || !it->second.ran) return str(name, " produced no result");
      // Nothing of the sample ran on that backend's kernels: the comparison would be
      // torch against torch.
      if (it->second.verdict == "skip") return str(name, ": ", it->second.reason);
      return {};
    };
    std::string why = usable(a);
    if (why.empty()) why = usable(b);
    if (!why.empty()) {
      r.verdict = "skip";
      r.reason = why;
      results.push_back(std::move(r));
      return;
    }
    const Outcome& oa = outcomes.at(a);
    const Outcome& ob = outcomes.at(b);
    for (const auto& [name, n] : oa.executors)
      r.executors[str(a, ":", name)] = n;
    for (const auto& [name, n] : ob.executors)
      r.executors[str(b, ":", name)] = n;
    std::vector<at::Tensor> refs;
    for (const at::Tensor& t : ob.outputs)
      refs.push_back(t.is_floating_point() ? t.to(at::kDouble) : t);
    judge_outputs(r, oa.outputs, ob.outputs, refs, tolerance_of);
    if (r.verdict == "fail") {
      r.reason = str(a, " and ", b, " differ: ", r.reason);
    } else {
      for (const Outcome* o : {&oa, &ob}) {
        if (o->verdict == "fallback") {
          r.verdict = "fallback";
          r.reason = o->reason;
        }
      }
    }
    results.push_back(std::move(r));
  }

  // Each model of the directory on each backend, against the torch backend (the torch
  // backend itself against torch running the original program), model tolerance.
  void run_models() {
    std::vector<std::filesystem::path> models;
    for (const auto& entry : std::filesystem::directory_iterator(config.models_dir)) {
      if (entry.path().extension() == ".pt2") models.push_back(entry.path());
    }
    std::sort(models.begin(), models.end());
    Progress progress(models.size(), !config.quiet && isatty(STDERR_FILENO) != 0);
    for (const std::filesystem::path& path : models) {
      progress.step(path.filename().string());
      run_model(path);
    }
    progress.finish();
  }

  void run_model(const std::filesystem::path& path) {
    Result base;
    base.op = str("model:", path.stem().string());
    base.sample = "the sample inputs stored in the archive";
    std::vector<at::Tensor> inputs, reference, original;
    std::string error;
    try {
      inputs = load_sample_inputs(path.string());
      Options options;
      options.backend = "torch";
      reference = compile(path.string(), options)->forward(inputs);
      options.reference = true;
      original = compile(path.string(), options)->forward(inputs);
    } catch (const std::exception& e) {
      error = first_line(e.what());
    }
    base.dtype = "f32";
    for (const at::Tensor& t : inputs) {
      if (t.is_floating_point()) {
        base.dtype = std::string(short_name(from_scalar_type(t.scalar_type())));
        break;
      }
    }
    for (auto& b : backends) {
      Result r = base;
      r.backend = b->name;
      r.device = b->device;
      if (!b->available) {
        r.verdict = "skip";
        r.reason = str("backend absent: ", b->reason);
      } else if (!b->produces_outputs()) {
        r.verdict = "skip";
        r.reason = "compile-only: models are not run";
      } else if (!error.empty()) {
        r.verdict = "fail";
        r.reason = str("the torch reference threw: ", error);
      } else {
        try {
          Options options;
          options.backend = b->compile_backend();
          const auto module = compile(path.string(), options);
          std::vector<at::Tensor> out = module->forward(inputs);
          for (at::Tensor& t : out)
            t = t.cpu();
          for (const BoundSymbol& bs : module->last_traces().back().bound_symbols) {
            if (bs.symbol == &python_del()) continue;
            const std::string ex = bs.executor.empty() ? "torch" : bs.executor;
            const std::size_t n = count_prims({bs});
            r.executors[ex] += n;
          }
          const std::vector<at::Tensor>& expected = b->kind == "torch" ? original : reference;
          std::vector<at::Tensor> refs;
          for (const at::Tensor& t : expected)
            refs.push_back(t.is_floating_point() ? t.to(at::kDouble) : t);
          judge_outputs(r, out, expected, refs, [](DType d) { return opdb::model_tolerance(d); });
          if (r.verdict == "pass" && b->kind != "torch" && r.executors[b->kind] == 0) {
            r.verdict = "skip";
            r.reason = str("unsupported: no prim of the model ran on ", b->kind);
          }
          for (const std::string& f : module->stats().fallbacks) {
            r.reason += (r.reason.empty() ? "" : "; ") + str("ATen fallback ", first_line(f));
            if (r.reason.size() > 300) break;
          }
        } catch (const std::exception& e) {
          r.verdict = "fail";
          r.reason = str(b->name, " threw: ", first_line(e.what()));
        }
      }
      results.push_back(std::move(r));
    }
  }
};

// ---------------------------------------------------------------------------------------
// Reports.

nlohmann::json to_json(const Run& run, const std::vector<Expectation>& expectations) {
  nlohmann::json j;
  j["tool"] = "thunder-conformance";
  j["version"] = 1;
  j["backends"] = nlohmann::json::array();
  for (const auto& b : run.backends) {
    j["backends"].push_back({{"name", b->name},
                             {"device", b->device},
                             {"available", b->available},
                             {"reason", b->reason}});
  }
  j["results"] = nlohmann::json::array();
  for (const Result& r : run.results) {
    nlohmann::json t = nullptr;
    if (r.tolerance) {
      t = {{"rtol", r.tolerance->rtol},
           {"atol", r.tolerance->atol},
           {"torch_error_factor", opdb::kTorchErrorFactor},
           {"rule", r.rule}};
    } else if (!r.rule.empty()) {
      t = {{"rule", r.rule}};
    }
    const auto number = [](const std::optional<double>& v) -> nlohmann::json {
      if (!v || !std::isfinite(*v)) return v ? nlohmann::json("inf") : nlohmann::json(nullptr);
      return *v;
    };
    j["results"].push_back({{"op", r.op},
                            {"sample", r.sample},
                            {"dtype", r.dtype},
                            {"backend", r.backend},
                            {"device", r.device},
                            {"executors", r.executors},
                            {"max_abs", number(r.max_abs)},
                            {"max_rel", number(r.max_rel)},
                            {"tolerance", t},
                            {"verdict", r.verdict},
                            {"reason", r.reason}});
  }
  j["unused_expectations"] = nlohmann::json::array();
  for (const Expectation& e : expectations) {
    if (e.used == 0) j["unused_expectations"].push_back(e.where);
  }
  return j;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      // XML 1.0 allows no control characters but tab and newlines.
      if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
        out += ' ';
      } else {
        out += c;
      }
    }
  }
  return out;
}

bool is_ok(const std::string& verdict) {
  return verdict == "pass" || verdict == "xfail";
}

// Cells: (op, backend, dtype) -> result indices, in order of appearance.
struct Cells {
  std::vector<std::string> ops;
  std::vector<std::pair<std::string, std::string>> columns; ///< backend, dtype
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<const Result*>> cells;
};

Cells group(const std::vector<Result>& results) {
  Cells c;
  for (const Result& r : results) {
    if (std::find(c.ops.begin(), c.ops.end(), r.op) == c.ops.end()) c.ops.push_back(r.op);
    const auto col = std::make_pair(r.backend, r.dtype);
    if (std::find(c.columns.begin(), c.columns.end(), col) == c.columns.end())
      c.columns.push_back(col);
    c.cells[{r.op, r.backend, r.dtype}].push_back(&r);
  }
  return c;
}

// The verdict a cell shows: its worst result.
std::string worst_verdict(const std::vector<const Result*>& rs) {
  static const std::vector<std::string> order = {"fail", "xpass", "fallback",
                                                 "skip", "xfail", "pass"};
  std::size_t best = order.size() - 1;
  for (const Result* r : rs) {
    const auto it = std::find(order.begin(), order.end(), r->verdict);
    best = std::min(best, static_cast<std::size_t>(it - order.begin()));
  }
  return order[best];
}

void write_junit(const std::string& path, const Run& run) {
  const Cells c = group(run.results);
  std::map<std::string, std::vector<std::string>> suites; // backend -> testcases
  std::map<std::string, std::array<int, 3>> counts;       // tests, failures, skipped
  for (const std::string& op : c.ops) {
    for (const auto& [backend, dtype] : c.columns) {
      const auto it = c.cells.find({op, backend, dtype});
      if (it == c.cells.end()) continue;
      std::ostringstream tc;
      tc << "    <testcase classname=\"" << xml_escape(backend + "." + dtype) << "\" name=\""
         << xml_escape(op) << "\">\n";
      std::string failures, skips;
      bool all_skip = true;
      for (const Result* r : it->second) {
        const std::string line = str("[", r->verdict, "] ", r->sample, ": ", r->reason, "\n");
        if (!is_ok(r->verdict) && r->verdict != "skip") failures += line;
        if (r->verdict == "skip") skips += line;
        all_skip &= r->verdict == "skip" || r->verdict == "xfail";
      }
      auto& n = counts[backend];
      ++n[0];
      if (!failures.empty() || (!skips.empty() && !all_skip)) {
        ++n[1];
        tc << "      <failure message=\"unexpected results\">" << xml_escape(failures + skips)
           << "</failure>\n";
      } else if (all_skip && !skips.empty()) {
        ++n[2];
        tc << "      <skipped message=\"" << xml_escape(first_line(skips)) << "\"/>\n";
      }
      tc << "    </testcase>\n";
      suites[backend].push_back(tc.str());
    }
  }
  std::ofstream out(path);
  if (!out) throw ArgumentError(str("--junit: cannot write '", path, "'"));
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"thunder-conformance\">\n";
  for (const auto& [backend, cases] : suites) {
    const auto& n = counts[backend];
    out << "  <testsuite name=\"" << xml_escape(backend) << "\" tests=\"" << n[0]
        << "\" failures=\"" << n[1] << "\" skipped=\"" << n[2] << "\">\n";
    for (const std::string& tc : cases)
      out << tc;
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
}

void write_html(const std::string& path, const Run& run) {
  const Cells c = group(run.results);
  std::ofstream out(path);
  if (!out) throw ArgumentError(str("--html: cannot write '", path, "'"));
  out << R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>thunder-conformance</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:12px}
th,td{border:1px solid #ccc;padding:2px 5px}
th.col{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
td.cell{width:22px;height:16px;text-align:center;font-size:10px}
.pass{background:#2e9d4a;color:#fff}.fail{background:#d62728;color:#fff}
.fallback{background:#ff9f1c}.skip{background:#d9d9d9}.xfail{background:#9ecae1}
.xpass{background:#8e44ad;color:#fff}.legend span{display:inline-block;padding:2px 8px;margin-right:4px}
td.op{white-space:nowrap;font-family:monospace}
</style></head><body>
<h1>thunder-conformance</h1>
<p>Ops &times; backend/dtype. A cell shows the worst verdict over the op's samples; a pass
cell is darker the closer its largest relative error comes to the tolerance (lighter: exact).
Hover a cell for counts, the worst error and the reasons.</p>
<p class="legend"><span class="pass">pass</span><span class="fail">fail</span><span class="fallback">fallback</span><span class="skip">skip</span><span class="xfail">xfail</span><span class="xpass">xpass</span></p>
<h2>Backends</h2><table><tr><th>backend</th><th>device</th><th>available</th><th>reason</th></tr>
)";
  for (const auto& b : run.backends) {
    out << "<tr><td>" << xml_escape(b->name) << "</td><td>" << xml_escape(b->device) << "</td><td>"
        << (b->available ? "yes" : "no") << "</td><td>" << xml_escape(b->reason) << "</td></tr>\n";
  }
  out << "</table>\n<h2>Summary</h2><table><tr><th>backend</th>";
  for (const std::string& v : kVerdicts)
    out << "<th>" << v << "</th>";
  out << "</tr>\n";
  std::map<std::string, std::map<std::string, int>> totals;
  std::vector<std::string> backend_order;
  for (const Result& r : run.results) {
    if (!totals.contains(r.backend)) backend_order.push_back(r.backend);
    ++totals[r.backend][r.verdict];
  }
  for (const std::string& b : backend_order) {
    out << "<tr><td>" << xml_escape(b) << "</td>";
    for (const std::string& v : kVerdicts)
      out << "<td class=\"" << (totals[b][v] ? v : "") << "\">" << totals[b][v] << "</td>";
    out << "</tr>\n";
  }
  out << "</table>\n<h2>Matrix</h2><table id=\"matrix\"><tr><th>op</th>";
  for (const auto& [backend, dtype] : c.columns) {
    bool compile_only = false;
    for (const auto& b : run.backends)
      compile_only |= b->name == backend && b->available && !b->produces_outputs();
    out << "<th class=\"col\">" << xml_escape(backend + " " + dtype)
        << (compile_only ? " (compile-only)" : "") << "</th>";
  }
  out << "</tr>\n";
  for (const std::string& op : c.ops) {
    out << "<tr><td class=\"op\">" << xml_escape(op) << "</td>";
    for (const auto& [backend, dtype] : c.columns) {
      const auto it = c.cells.find({op, backend, dtype});
      if (it == c.cells.end()) {
        out << "<td></td>";
        continue;
      }
      const std::string verdict = worst_verdict(it->second);
      std::map<std::string, int> n;
      double worst_rel = 0, worst_ratio = 0;
      std::string reasons;
      for (const Result* r : it->second) {
        ++n[r->verdict];
        if (r->max_rel) worst_rel = std::max(worst_rel, *r->max_rel);
        if (r->max_abs && r->tolerance && std::isfinite(*r->max_abs)) {
          const double allowed = r->tolerance->atol + r->tolerance->rtol;
          worst_ratio = std::max(worst_ratio, *r->max_abs / allowed);
        }
        if (r->verdict != "pass" && reasons.size() < 600)
          reasons += str("\n[", r->verdict, "] ", r->sample, ": ", r->reason);
      }
      std::string title = str(op, " on ", backend, " ", dtype, ":");
      for (const auto& [v, k] : n)
        title += str(" ", k, " ", v);
      title += str("; worst max_rel ", worst_rel, reasons);
      std::string style;
      if (verdict == "pass") {
        // 0 (exact) .. 1 (at the tolerance) -> lightness 80% .. 30%.
        const double x = std::clamp(worst_ratio, 0.0, 1.0);
        const int lightness = static_cast<int>(80 - 50 * x);
        style = str(" style=\"background:hsl(135,55%,", lightness,
                    "%);color:", lightness > 55 ? "#222" : "#fff", "\"");
      }
      out << "<td class=\"cell " << verdict << "\"" << style << " title=\"" << xml_escape(title)
          << "\">" << it->second.size() << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</table>\n</body></html>\n";
}

// Per backend: counts and the worst ops (most unexpected results, then the largest error).
void print_summary(const Run& run) {
  std::cout << "\nbackends:\n";
  for (const auto& b : run.backends) {
    std::cout << "  " << b->name << ": " << (b->available ? b->device : "absent") << "\n";
    if (!b->reason.empty()) std::cout << "    " << b->reason << "\n";
  }
  std::vector<std::string> order;
  std::map<std::string, std::map<std::string, int>> totals;
  std::map<std::string, std::map<std::string, int>> bad_ops;
  for (const Result& r : run.results) {
    if (!totals.contains(r.backend)) order.push_back(r.backend);
    ++totals[r.backend][r.verdict];
    if (!is_ok(r.verdict) && r.verdict != "skip") ++bad_ops[r.backend][r.op];
  }
  std::printf("\n%-26s %6s %6s %8s %6s %6s %6s  %s\n", "backend", "pass", "fail", "fallback",
              "skip", "xfail", "xpass", "worst ops (unexpected results)");
  for (const std::string& b : order) {
    auto& t = totals[b];
    std::vector<std::pair<int, std::string>> worst;
    for (const auto& [op, n] : bad_ops[b])
      worst.emplace_back(-n, op);
    std::sort(worst.begin(), worst.end());
    std::string worst_text;
    for (std::size_t i = 0; i < worst.size() && i < 4; ++i)
      worst_text += str(i ? ", " : "", worst[i].second, " (", -worst[i].first, ")");
    if (worst.size() > 4) worst_text += str(", +", worst.size() - 4, " more");
    std::printf("%-26s %6d %6d %8d %6d %6d %6d  %s\n", b.c_str(), t["pass"], t["fail"],
                t["fallback"], t["skip"], t["xfail"], t["xpass"],
                worst_text.empty() ? "-" : worst_text.c_str());
  }
}

} // namespace

namespace {
// A backend named explicitly (--backends, --devices, --compare): absent, its results are
// skips; with --backends available, an absent backend is only listed.
bool wanted(const Config& config, const std::string& name) {
  return !config.available_only || name.find(':') != std::string::npos ||
         (config.compare && (name == config.compare->first || name == config.compare->second));
}
} // namespace

int main(int argc, char** argv) {
  Config config;
  try {
    config = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "thunder-conformance: " << e.what() << "\n" << kUsage;
    return 2;
  }
  try {
    std::vector<Expectation> expectations;
    if (!config.expectations.empty()) expectations = read_expectations(config.expectations);

    Run run{config, {}, {}};
    for (const std::string& name : config.backends) {
      std::unique_ptr<Backend> b = make_backend(name, config.compile_only);
      const bool asked = wanted(config, name);
      if (!b->available) {
        std::cerr << "thunder-conformance: backend " << name << " is absent: " << b->reason
                  << (asked ? " (its results are 'skip')" : " (left out: --backends available)")
                  << "\n";
      }
      run.backends.push_back(std::move(b));
    }
    // With --backends available, absent backends produce no results (they are listed).
    std::vector<std::unique_ptr<Backend>> listed_only;
    if (config.available_only) {
      std::vector<std::unique_ptr<Backend>> kept;
      for (auto& b : run.backends) {
        const bool keep = b->available || wanted(config, b->name);
        (keep ? kept : listed_only).push_back(std::move(b));
      }
      run.backends = std::move(kept);
    }
    if (run.backends.empty()) throw ArgumentError("no backend to run");

    const auto start = std::chrono::steady_clock::now();
    run.run_ops();
    if (!config.models_dir.empty()) run.run_models();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    apply_expectations(run.results, expectations);
    for (auto& b : listed_only)
      run.backends.push_back(std::move(b));

    if (!config.json.empty()) {
      std::ofstream out(config.json);
      if (!out) throw ArgumentError(str("--json: cannot write '", config.json, "'"));
      out << to_json(run, expectations).dump(1) << "\n";
    }
    if (!config.junit.empty()) write_junit(config.junit, run);
    if (!config.html.empty()) write_html(config.html, run);

    // Unexpected results, each on one line, then the summary.
    std::size_t unexpected = 0;
    for (const Result& r : run.results) {
      if (is_ok(r.verdict)) continue;
      if (++unexpected <= 50) {
        const bool names_op = r.sample.starts_with(r.op.substr(r.op.find('.') + 1) + "(") ||
                              r.sample.starts_with(r.op + "(");
        std::cout << r.verdict << ": " << r.backend << " " << r.dtype << " "
                  << (names_op ? r.sample : str(r.op, " ", r.sample)) << ": " << r.reason << "\n";
      }
    }
    if (unexpected > 50) std::cout << "... " << unexpected - 50 << " more unexpected results\n";
    for (const Expectation& e : expectations) {
      if (e.used == 0)
        std::cout << "note: expectation " << e.where << " (" << e.backend << " " << e.dtype << " "
                  << e.op << ") matched no result\n";
    }
    print_summary(run);
    std::printf("\n%zu results in %.1f s; %zu unexpected%s\n", run.results.size(), seconds,
                unexpected, unexpected == 0 ? " (exit 0)" : " (exit 1)");
    return unexpected == 0 ? 0 : 1;
  } catch (const ArgumentError& e) {
    std::cerr << "thunder-conformance: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "thunder-conformance: " << e.what() << "\n";
    return 1;
  }
}
