// ThunderCompiler: the part of the torch.compile backend that decides what thunder runs.
// A front end (the thunder_cpp Python package) turns each graph Dynamo captures into a
// Program (ATen nodes, tensor metadata, source locations). The compiler interprets the
// whole Program once with proxies, asking for each node whether an ltorch symbol takes it
// (a lookaside exists, binds the node's arguments, and its meta accepts the inputs). Runs
// of consecutive nodes it takes become thunder regions, each a Program of its own compiled
// through thunder::compile (JitExtension, passes, the selected backend's executors, guard
// cache); the nodes in between stay with the front end, which runs them in PyTorch eager.
// Every node left out has a SplitReason. A torch edge (the regions run on at::Tensors).
#pragma once

#include "thunder/compile.h"
#include "thunder/interpreter/program.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace thunder {

/// Why a node was left to PyTorch eager.
struct SplitReason {
  enum class Kind : std::uint8_t {
    MissingOp,            ///< No ltorch symbol mirrors the operator (or it is no ATen op).
    UnsupportedArguments, ///< A symbol mirrors it but does not take this call's arguments.
    MetaFailure,          ///< The symbol's meta rejected the inputs (shapes, dtypes, values).
    UnsupportedDType,     ///< A tensor it reads or writes has a dtype thunder lacks.
    DataDependence,       ///< An output's shape or value depends on tensor data.
  };
  Kind kind = Kind::MissingOp;
  std::size_t node = 0; ///< Index in Program::nodes.
  std::string op;       ///< The node's target, "aten::cumprod.default".
  std::string message;
  std::optional<SourceLocation> location;

  /// "aten::cumprod.default (model.py:12): missing_op: no ltorch symbol mirrors it".
  std::string to_string() const;
};

/// "missing_op", "unsupported_arguments", "meta_failure", "unsupported_dtype",
/// "data_dependence".
std::string_view kind_name(SplitReason::Kind kind);
/// The kind of that name; ArgumentError for another name.
SplitReason::Kind parse_split_reason_kind(std::string_view name);

/// A run of consecutive nodes of the Program: thunder's, or PyTorch eager's.
struct GraphRegion {
  bool thunder = false;
  std::vector<std::size_t> nodes;  ///< Indices in Program::nodes, in order.
  std::vector<std::string> inputs; ///< Values it reads that are defined before it.
  /// Values it defines that later nodes or the Program's outputs read.
  std::vector<std::string> outputs;
  /// Thunder regions: the compiled sub-Program (inputs and outputs as above, in order).
  std::unique_ptr<CompiledModule> module;
};

/// A compiled graph: its regions in program order and the reason for every node left out.
struct CompiledGraph {
  std::vector<GraphRegion> regions;
  std::vector<SplitReason> reasons;
  std::string backend; ///< The backend the thunder regions run on.
};

/// Compiles Programs from captured graphs, splitting them into supported regions.
class ThunderCompiler {
public:
  /// options.backend and THUNDER_BACKEND select the backend as for thunder::compile; an
  /// unknown or unavailable backend is an error here (ArgumentError, BackendError).
  /// options.strict: a node thunder cannot take is an UnsupportedError, not a split.
  explicit ThunderCompiler(Options options = {});

  /// Splits and compiles the program. known: per node (empty, or one per node), a reason
  /// the front end already found (a dtype it could not describe, a data-dependent output);
  /// such nodes are left out without asking thunder. name stands for the graph in messages.
  /// Every tensor a node reads or writes needs metadata in program.tensors, except those of
  /// nodes with a known reason.
  CompiledGraph compile(const Program& program, const std::string& name,
                        const std::vector<std::optional<SplitReason>>& known = {}) const;

  /// The device auto chooses a graph's backend by: the first CUDA device among its tensor
  /// inputs ("cuda:1"), else "cpu".
  static std::string graph_device(const Program& program);

  /// The backend of a graph on the CPU. With auto (and no Options::device), each graph
  /// gets its own: cuda where its inputs are on a CUDA device and the backend is available
  /// (CompiledGraph::backend says which ran).
  const std::string& backend() const { return backend_; }
  const Options& options() const { return options_; }

private:
  /// The backend for a graph: backend_, or with auto the one its inputs' device selects.
  std::string backend_for(const Program& program) const;

  Options options_;
  std::string backend_;
  bool auto_per_graph_ = false;
};

} // namespace thunder
