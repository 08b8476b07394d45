// Kernel IR: what the GPU code generators (GLSL now, CUDA later) print. A fusion region of
// prims becomes one Kernel: its input buffers (shape, strides in elements, dtype), its output
// buffers (contiguous), and one DAG of nodes that computes every output element from the
// index of the invocation that writes it. Index arithmetic (unravel, broadcast, permute,
// reshape, slice) is explicit in the DAG as index nodes, so an emitter only prints nodes.
//
// Dtype rules, shared by every emitter: a value node has the dtype of the tensor it stands
// for, and is computed in that dtype's compute type (compute_dtype): f16 and bf16 in f32,
// f32 in f32, f64 in f64, integers as integers (narrow ones wrapped to their width after
// each op), bool as bool. f16/bf16 values are rounded only where the region converts to
// them (convert_element_type) and where they are stored, as fusing executors do.
//
// A reduction (sum, prod, amax, amin, argmax, argmin; cumsum as a masked sum over its
// dim) is a Reduce node whose body is evaluated once per point of the reduced dims, inside
// a loop; nodes live in the innermost loop whose index they depend on (Node::scope), so a
// value that does not depend on a loop is computed outside it.
#pragma once

#include "thunder/core/bound_symbol.h"
#include "thunder/core/dtype.h"
#include "thunder/core/proxy.h"
#include "thunder/ops/prims.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace thunder::codegen {

using NodeId = std::int32_t;
using Strides = std::vector<std::int64_t>;

/// A tensor a kernel reads or writes.
struct Buffer {
  std::string name; ///< The proxy's name in the trace.
  Shape shape;
  Strides strides; ///< In elements; outputs are always contiguous.
  DType dtype;
};

enum class NodeKind : std::uint8_t {
  // Index nodes: unsigned 32-bit integers.
  ThreadIndex,   ///< The linear index of the element this invocation computes.
  LoopIndex,     ///< The index of a reduction loop (Node::loop).
  IndexConstant, ///< Node::integer.
  IndexAdd,
  IndexMul,
  IndexDiv, ///< Operands: value, constant divisor.
  IndexMod, ///< Operands: value, constant divisor.
  IndexSub, ///< Wraps modulo 2^32 when operands[0] < operands[1] (a later min or test sees it).
  IndexMin,
  /// An integer value node (operands[0]) as an index into a dim of Node::integer elements,
  /// checked: a value outside [0, extent) sets the kernel's status (Kernel::checks[loop]) and
  /// reads index 0 instead, so memory stays safe and the caller raises the error.
  CheckedIndex,
  // Value nodes: of Node::dtype.
  Load,     ///< inputs[integer].data[operands[0]], converted to the compute type.
  Constant, ///< Node::constant as a value of Node::dtype.
  Unary,    ///< Node::prim of operands[0].
  Binary,   ///< Node::prim of operands[0], operands[1] (both of one dtype).
  Where,    ///< operands[0] ? operands[1] : operands[2].
  Convert,  ///< operands[0] converted to Node::dtype.
  /// Node::prim (sum/prod/amax/amin) of operands[0] over loop Node::loop; argmax/argmin:
  /// the int64 loop index of the first extreme operands[0] (NaN the extreme for both).
  Reduce,
  IndexLess,  ///< Bool: index operands[0] < index operands[1].
  IndexValue, ///< Index operands[0] as a value of Node::dtype (iota).
};

/// True for the index node kinds.
bool is_index(NodeKind kind);

/// One node of the kernel DAG. Operands always have smaller ids than their users.
struct Node {
  NodeKind kind = NodeKind::IndexConstant;
  DType dtype = DType::Int64; ///< Value nodes only.
  prims::PrimId prim = prims::PrimId::add;
  std::vector<NodeId> operands;
  std::int64_t integer = 0; ///< IndexConstant: the value; Load: the input's position.
  ScalarValue constant{};   ///< Constant: the value.
  int loop = -1;            ///< LoopIndex, Reduce: the loop.
  int scope = 0;            ///< The loop this node is computed in; 0 is the invocation.
};

/// A reduction loop; loop 0 stands for the invocation itself (no loop).
struct Loop {
  int parent = -1;
  int depth = 0;
  std::int64_t extent = 1; ///< The number of points of the reduced dims.
  NodeId index = -1;       ///< The LoopIndex node.
  /// Whether the lanes of a workgroup may split it (Kernel::cooperative): not cumsum's, whose
  /// points are added in order as torch's sequential scan adds them, nor a convolution's,
  /// whose lanes would read channels a whole plane apart (no coalescing).
  bool splittable = true;
};

/// A data-dependent index a kernel checks (CheckedIndex). A kernel with checks takes one more
/// buffer after its outputs, the status: kStatusWords 32-bit words, zero before the launch.
/// An invocation that meets an index outside [0, extent) sets word 0 to the check's
/// position + 1 (the first to fail wins, atomically) and words 1 and 2 to the low and high
/// 32 bits of the index value; the runner reads the status after the launch and raises
/// IndexError (index_error_message) instead of returning the clamped result.
struct IndexCheck {
  std::string op;     ///< "prims.index_select".
  std::string tensor; ///< The tensor indexed (its proxy's name).
  int dim = 0;
  std::int64_t extent = 0; ///< Valid indices are [0, extent).
};

/// The words of a kernel's status buffer.
constexpr int kStatusWords = 4;

/// One output: the value node stored at each linear index of the output buffer.
struct Store {
  int output = 0; ///< Position in Kernel::outputs.
  NodeId value = -1;
};

/// The invocations of a workgroup (GLSL local size, CUDA block size) of every generated
/// kernel.
inline constexpr std::int64_t kWorkgroupSize = 256;

/// The shortest loop a cooperative kernel is made for: below it, one invocation per
/// element keeps more elements in flight than a workgroup's shared-memory combining gains.
inline constexpr std::int64_t kCooperativeMinExtent = 128;

/// A fused kernel. Invocation i (0 <= i < num_invocations) writes element i of every output
/// with more than i elements; in a cooperative kernel, workgroup i does, its invocations
/// ("lanes") each taking every kWorkgroupSize-th point of each outermost reduction loop and
/// combining their partial results in shared memory.
struct Kernel {
  std::string name;
  std::vector<Buffer> inputs;  ///< In order of first use in the region.
  std::vector<Buffer> outputs; ///< In the order the caller asked for them.
  std::vector<Node> nodes;
  std::vector<Loop> loops; ///< loops[0] is the invocation.
  std::vector<Store> stores;
  std::int64_t num_invocations = 0; ///< The largest output's element count.
  std::vector<IndexCheck> checks;   ///< Non-empty: the kernel takes a status buffer.
  /// Set by make_kernel when an outermost loop has at least kCooperativeMinExtent points,
  /// every outermost loop is splittable, and every stored value depends on one of them (a
  /// value that does not would be computed by one lane of 256). An executor may clear it for
  /// a device that runs barriers slowly: the same IR then runs one invocation per element.
  bool cooperative = false;
};

/// The workgroups a runner launches for a kernel: one per element when it is cooperative,
/// else enough for num_invocations at kWorkgroupSize each.
std::int64_t workgroup_count(const Kernel& kernel);

/// The error a runner raises for a kernel's status words (kStatusWords of them, read back
/// after the launch): empty when word 0 is 0, else the IndexError message of the failed
/// check, in the torch executor's words.
std::string index_error_message(const Kernel& kernel, const std::uint32_t* status);

/// The dtype a value of this dtype is computed in (f16/bf16 -> f32; others themselves).
DType compute_dtype(DType dtype);

/// Builds the kernel of a region of prims, in trace order. Tensors the region reads but
/// does not define become inputs (contiguous unless input_strides names them); outputs are
/// the proxies, defined in the region, that are used after it, in this order. Throws
/// ArgumentError for a malformed request (not prims, unknown names, bad strides) and
/// UnsupportedError, naming the prim, for what generated kernels cannot do yet (the caller
/// leaves such prims to another executor).
Kernel make_kernel(const std::string& name, const std::vector<const BoundSymbol*>& region,
                   const std::vector<std::string>& outputs,
                   const std::map<std::string, Strides>& input_strides = {});

/// The prims of these bound symbols in execution order: composites replaced, recursively, by
/// their subsymbols.
std::vector<const BoundSymbol*> flatten_to_prims(const std::vector<BoundSymbol>& bound_symbols);

/// The names of what a fusion region stores: its output proxies, in order.
std::vector<std::string> region_output_names(const BoundSymbol& region);

/// Whether the kernel of a fusion region (its prims, storing its outputs, inputs
/// contiguous) is cooperative (Kernel::cooperative): false where make_kernel refuses it.
bool region_kernel_cooperates(const BoundSymbol& region);

/// The kernel of one prim alone, as an executor asks before claiming it: nullopt unless
/// bsym is a prim with one tensor output, every tensor it reads or writes passes
/// `tensor_ok`, and make_kernel builds it; then `printable` (the emitter, and any check of
/// the executor's) is tried on it, and any thunder::Error it throws means no.
std::optional<Kernel> one_prim_kernel(const BoundSymbol& bsym,
                                      const std::function<bool(const TensorProxy&)>& tensor_ok,
                                      const std::function<bool(const Kernel&)>& printable);

/// The prims a bound symbol stands for: 1 for a prim, else those of its decomposition.
std::size_t prim_count(const BoundSymbol& bsym);

/// Row-major strides of a shape, in elements.
Strides contiguous_strides(const Shape& shape);

} // namespace thunder::codegen
