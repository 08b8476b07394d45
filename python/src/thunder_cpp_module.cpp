// thunder_cpp._C: the Python binding of the ThunderCompiler. The package's Python half turns
// a captured graph into a plain description (dicts, lists, tuples, strings and numbers: see
// program_from_description below and thunder_cpp/_convert.py); this module builds the
// Program, splits and compiles it, and hands back the regions, whose thunder parts are
// callable on torch tensors. thunder::Error and its subclasses become the package's
// exception classes with the C++ message. A torch edge (torch's pybind11 type casters).
#include "thunder/compile.h"
#include "thunder/compiler/thunder_compiler.h"
#include "thunder/core/error.h"

#include <torch/csrc/utils/pybind.h>

#include <memory>
#include <string>
#include <vector>

namespace py = pybind11;

namespace thunder {
namespace {

std::string where_in(const std::string& name, const std::string& what) {
  return str("graph description '", name, "': ", what);
}

// A constant or a reference, as _convert.py encodes it: ("none",), ("bool", b), ("int", i),
// ("float", f), ("str", s), ("dtype", "float32"), ("device", "cpu"), ("list", [items]),
// ("name", value name), ("names", [value name or ""]).
ProgramArg program_arg(const py::handle& encoded, const std::string& where) {
  const auto tuple = encoded.cast<py::tuple>();
  if (tuple.empty()) throw ModelError(str(where, ": an empty argument"));
  const auto tag = tuple[0].cast<std::string>();
  auto item = [&]() -> py::handle {
    if (tuple.size() != 2) throw ModelError(str(where, ": argument '", tag, "' needs a value"));
    return tuple[1];
  };
  if (tag == "none") return ProgramArg::of_constant(Value());
  if (tag == "bool") return ProgramArg::of_constant(Value(item().cast<bool>()));
  if (tag == "int") return ProgramArg::of_constant(Value(item().cast<std::int64_t>()));
  if (tag == "float") return ProgramArg::of_constant(Value(item().cast<double>()));
  if (tag == "str") return ProgramArg::of_constant(Value(item().cast<std::string>()));
  if (tag == "dtype") {
    const auto name = item().cast<std::string>();
    const std::optional<DType> dtype = parse_dtype(name);
    if (!dtype) throw UnsupportedError(str(where, ": dtype ", name, " is not one thunder has"));
    return ProgramArg::of_constant(Value(*dtype));
  }
  if (tag == "device")
    return ProgramArg::of_constant(Value(Device::parse(item().cast<std::string>())));
  if (tag == "list") {
    Value::List items;
    for (const py::handle& entry : item().cast<py::list>()) {
      ProgramArg arg = program_arg(entry, where);
      if (arg.kind != ProgramArg::Kind::Constant)
        throw ModelError(str(where, ": a constant list holds a reference"));
      items.push_back(std::move(arg.constant));
    }
    return ProgramArg::of_constant(Value(std::move(items)));
  }
  if (tag == "name") return ProgramArg::of_name(item().cast<std::string>());
  if (tag == "names") return ProgramArg::of_names(item().cast<std::vector<std::string>>());
  throw ModelError(str(where, ": unknown argument kind '", tag, "'"));
}

struct Description {
  Program program;
  std::vector<std::optional<SplitReason>> known;
};

// {"name", "inputs": [names], "outputs": [names], "tensors": {name: (shape, dtype, device,
//  requires_grad)}, "nodes": [{"target", "inputs": [(arg name, arg, keyword)], "outputs",
//  "returns_list", "location": (file, line) | None, "reason": (kind, message) | None}]}
Description program_from_description(const py::dict& d) {
  Description out;
  Program& program = out.program;
  const auto name = d["name"].cast<std::string>();
  program.name = "graph";
  for (const auto& input : d["inputs"].cast<std::vector<std::string>>())
    program.inputs.push_back({input, InputKind::UserInput, ""});
  program.outputs = d["outputs"].cast<std::vector<std::string>>();
  for (const auto& [key, value] : d["tensors"].cast<py::dict>()) {
    const auto tensor = key.cast<std::string>();
    const auto meta = value.cast<py::tuple>();
    if (meta.size() != 4) throw ModelError(where_in(name, str("tensor '", tensor, "' metadata")));
    TensorInfo info;
    info.shape = meta[0].cast<std::vector<std::int64_t>>();
    const auto dtype_name = meta[1].cast<std::string>();
    const std::optional<DType> dtype = parse_dtype(dtype_name);
    if (!dtype) {
      throw UnsupportedError(where_in(
          name, str("tensor '", tensor, "' has dtype ", dtype_name, ", which thunder lacks")));
    }
    info.dtype = *dtype;
    info.device = Device::parse(meta[2].cast<std::string>());
    info.requires_grad = meta[3].cast<bool>();
    program.tensors.emplace(tensor, info);
  }
  for (const py::handle& entry : d["nodes"].cast<py::list>()) {
    const auto n = entry.cast<py::dict>();
    Node node;
    node.target = n["target"].cast<std::string>();
    const std::string where =
        where_in(name, str("node ", program.nodes.size(), " (", node.target, ")"));
    for (const py::handle& input : n["inputs"].cast<py::list>()) {
      const auto t = input.cast<py::tuple>();
      if (t.size() != 3) throw ModelError(str(where, ": an input is (name, arg, keyword)"));
      node.inputs.push_back(
          {t[0].cast<std::string>(), program_arg(t[1], where), t[2].cast<bool>()});
    }
    node.outputs = n["outputs"].cast<std::vector<std::string>>();
    node.returns_list = n["returns_list"].cast<bool>();
    if (!n["location"].is_none()) {
      const auto loc = n["location"].cast<py::tuple>();
      node.location = SourceLocation{loc[0].cast<std::string>(), loc[1].cast<int>()};
    }
    std::optional<SplitReason> reason;
    if (!n["reason"].is_none()) {
      const auto r = n["reason"].cast<py::tuple>();
      reason = SplitReason{parse_split_reason_kind(r[0].cast<std::string>()), program.nodes.size(),
                           node.target, r[1].cast<std::string>(), node.location};
    }
    out.known.push_back(std::move(reason));
    program.nodes.push_back(std::move(node));
  }
  return out;
}

// One region of a compiled graph, as Python sees it.
struct Region {
  bool thunder = false;
  std::vector<std::size_t> nodes;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::shared_ptr<CompiledModule> module;

  CompiledModule& compiled() const {
    if (!module)
      throw ArgumentError("this region runs in PyTorch eager; thunder compiled nothing for it");
    return *module;
  }
};

struct Graph {
  std::vector<Region> regions;
  std::vector<SplitReason> reasons;
  std::string backend;
};

py::dict reason_dict(const SplitReason& r) {
  py::dict d;
  d["node"] = r.node;
  d["kind"] = std::string(kind_name(r.kind));
  d["op"] = r.op;
  d["message"] = r.message;
  d["location"] = r.location ? py::cast(r.location->to_string()) : py::none();
  d["text"] = r.to_string();
  return d;
}

py::dict stats_dict(const CompileStats& s) {
  py::dict d;
  d["calls"] = s.calls;
  d["cache_hits"] = s.cache_hits;
  d["cache_misses"] = s.cache_misses;
  d["recompiles"] = s.recompiles;
  d["trace_ms"] = s.trace_ms;
  d["passes_ms"] = s.passes_ms;
  d["run_ms"] = s.run_ms;
  d["fallbacks"] = s.fallbacks;
  d["last_failed_guard"] = s.last_failed_guard;
  // Device memory of the last call (0 on the torch backend): its peak, eager's estimate, what
  // it copied, weights already on the device, and the arena planned from the call before.
  d["peak_device_bytes"] = s.peak_device_bytes;
  d["eager_peak_bytes_estimate"] = s.eager_peak_bytes_estimate;
  d["uploaded_bytes"] = s.uploaded_bytes;
  d["resident_bytes"] = s.resident_bytes;
  d["planned_bytes"] = s.planned_bytes;
  d["check_bytes"] = s.check_bytes;
  py::dict kernels;
  for (const auto& [module, calls] : s.kernels)
    kernels[py::str(module)] = calls;
  d["kernels"] = kernels;
  d["cuda_graph"] = s.cuda_graph;
  return d;
}

} // namespace
} // namespace thunder

PYBIND11_MODULE(_C, m) {
  using namespace thunder;
  m.doc() = "thunder-cpp's ThunderCompiler (the C++ half of the thunder_cpp torch.compile backend)";

  // Kept for the life of the process (never destroyed after the interpreter is gone).
  static auto& thunder_error = *new py::exception<Error>(m, "ThunderError", PyExc_RuntimeError);
  static auto& argument_error =
      *new py::exception<ArgumentError>(m, "ArgumentError", thunder_error.ptr());
  static auto& unsupported_error =
      *new py::exception<UnsupportedError>(m, "UnsupportedError", thunder_error.ptr());
  static auto& backend_error =
      *new py::exception<BackendError>(m, "BackendError", thunder_error.ptr());
  static auto& model_error = *new py::exception<ModelError>(m, "ModelError", thunder_error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ArgumentError& e) {
      py::set_error(argument_error, e.what());
    } catch (const UnsupportedError& e) {
      py::set_error(unsupported_error, e.what());
    } catch (const BackendError& e) {
      py::set_error(backend_error, e.what());
    } catch (const ModelError& e) {
      py::set_error(model_error, e.what());
    } catch (const Error& e) {
      py::set_error(thunder_error, e.what());
    }
  });

  m.def("select_backend", &select_backend, py::arg("requested") = "", py::arg("device") = "",
        "The backend a request and THUNDER_BACKEND select (torch, spirv, cuda; auto is cuda "
        "for a model on a CUDA device); BackendError for one that is not available here, "
        "with the reason.");

  py::class_<Region>(m, "Region")
      .def_readonly("thunder", &Region::thunder)
      .def_readonly("nodes", &Region::nodes)
      .def_readonly("inputs", &Region::inputs)
      .def_readonly("outputs", &Region::outputs)
      .def(
          "__call__",
          [](const Region& r, const std::vector<at::Tensor>& inputs) {
            return r.compiled().forward(inputs);
          },
          py::call_guard<py::gil_scoped_release>())
      .def("last_traces",
           [](const Region& r) {
             std::vector<std::string> out;
             for (const Trace& trace : r.compiled().last_traces())
               out.push_back(trace.to_string());
             return out;
           })
      .def("prologue",
           [](const Region& r) { return r.compiled().last_prologue_trace().to_string(); })
      .def("stats", [](const Region& r) { return stats_dict(r.compiled().stats()); })
      .def("cache_size", [](const Region& r) { return r.compiled().cache_size(); })
      .def_property_readonly(
          "backend", [](const Region& r) { return r.thunder ? r.compiled().backend() : "eager"; })
      .def_property_readonly("device", [](const Region& r) {
        return r.thunder ? r.compiled().device() : std::string();
      });

  py::class_<Graph>(m, "Graph")
      .def_readonly("regions", &Graph::regions)
      .def_readonly("backend", &Graph::backend)
      .def_property_readonly("reasons", [](const Graph& g) {
        py::list out;
        for (const SplitReason& r : g.reasons)
          out.append(reason_dict(r));
        return out;
      });

  py::class_<ThunderCompiler>(m, "Compiler")
      .def(py::init([](const std::string& backend, bool strict, const std::string& cache_dir) {
             Options options;
             options.backend = backend;
             options.strict = strict;
             options.cache_dir = cache_dir;
             return std::make_unique<ThunderCompiler>(options);
           }),
           py::arg("backend") = "", py::arg("strict") = false, py::arg("cache_dir") = "")
      .def_property_readonly("backend", &ThunderCompiler::backend)
      .def("compile", [](const ThunderCompiler& compiler, const py::dict& description) {
        Description d = program_from_description(description);
        const auto name = description["name"].cast<std::string>();
        CompiledGraph compiled;
        {
          py::gil_scoped_release release;
          compiled = compiler.compile(d.program, name, d.known);
        }
        Graph graph;
        graph.backend = compiled.backend;
        graph.reasons = std::move(compiled.reasons);
        for (GraphRegion& region : compiled.regions) {
          graph.regions.push_back(
              Region{region.thunder, std::move(region.nodes), std::move(region.inputs),
                     std::move(region.outputs),
                     std::shared_ptr<CompiledModule>(std::move(region.module))});
        }
        return graph;
      });
}
