#include "thunder/executors/codegen/kernel_ir.h"

#include "thunder/core/error.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>

namespace thunder::codegen {
namespace {

using prims::PrimId;

// Index arithmetic is unsigned 32-bit in the emitted code.
constexpr std::int64_t kMaxIndex = std::numeric_limits<std::int32_t>::max();

enum class PrimClass {
  Unary,
  Binary,
  Where,
  Convert,
  Broadcast,
  Reshape,
  Transpose,
  Squeeze,
  Slice,
  Full,
  Iota,
  Pad,
  Cat,
  IndexSelect,
  Reduction,
  ArgReduction,
  Cumsum,
  Convolution,
  Unsupported
};

PrimClass classify(PrimId id) {
  switch (id) {
  case PrimId::neg:
  case PrimId::abs:
  case PrimId::floor:
  case PrimId::ceil:
  case PrimId::round:
  case PrimId::trunc:
  case PrimId::sign:
  case PrimId::bitwise_not:
  case PrimId::exp:
  case PrimId::exp2:
  case PrimId::log:
  case PrimId::log2:
  case PrimId::log1p:
  case PrimId::expm1:
  case PrimId::sqrt:
  case PrimId::rsqrt:
  case PrimId::reciprocal:
  case PrimId::sin:
  case PrimId::cos:
  case PrimId::tan:
  case PrimId::tanh:
  case PrimId::erf:
  case PrimId::isnan:
  case PrimId::isinf:
  case PrimId::isfinite:
  case PrimId::logical_not:
    return PrimClass::Unary;
  case PrimId::add:
  case PrimId::sub:
  case PrimId::mul:
  case PrimId::div:
  case PrimId::pow:
  case PrimId::maximum:
  case PrimId::minimum:
  case PrimId::fmod:
  case PrimId::remainder:
  case PrimId::atan2:
  case PrimId::bitwise_and:
  case PrimId::bitwise_or:
  case PrimId::bitwise_xor:
  case PrimId::eq:
  case PrimId::ne:
  case PrimId::lt:
  case PrimId::le:
  case PrimId::gt:
  case PrimId::ge:
  case PrimId::logical_and:
  case PrimId::logical_or:
  case PrimId::logical_xor:
    return PrimClass::Binary;
  case PrimId::where:
    return PrimClass::Where;
  case PrimId::convert_element_type:
    return PrimClass::Convert;
  case PrimId::broadcast_in_dim:
    return PrimClass::Broadcast;
  case PrimId::reshape:
    return PrimClass::Reshape;
  case PrimId::transpose:
    return PrimClass::Transpose;
  case PrimId::squeeze:
    return PrimClass::Squeeze;
  case PrimId::slice:
    return PrimClass::Slice;
  case PrimId::full:
    return PrimClass::Full;
  case PrimId::iota:
    return PrimClass::Iota;
  case PrimId::pad:
    return PrimClass::Pad;
  case PrimId::cat:
    return PrimClass::Cat;
  case PrimId::index_select:
    return PrimClass::IndexSelect;
  case PrimId::sum:
  case PrimId::prod:
  case PrimId::amax:
  case PrimId::amin:
    return PrimClass::Reduction;
  case PrimId::argmax:
  case PrimId::argmin:
    return PrimClass::ArgReduction;
  case PrimId::cumsum:
    return PrimClass::Cumsum;
  case PrimId::convolution:
    return PrimClass::Convolution;
  default:
    return PrimClass::Unsupported;
  }
}

std::optional<PrimId> prim_id_of(const Symbol& symbol) {
  const auto& all = prims::all();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i] == &symbol) return static_cast<PrimId>(i);
  }
  return std::nullopt;
}

std::int64_t numel_of(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t{1},
                         std::multiplies<std::int64_t>());
}

// Coordinates of one element of a tensor, as index nodes. When `linear` is set, the
// coordinates are the row-major unravelling of that node over `shape`, which lets reshapes
// and contiguous loads use it directly instead of re-linearizing.
struct Coords {
  std::vector<NodeId> dims;
  NodeId linear = -1;
  Shape shape;
};

class KernelBuilder {
public:
  KernelBuilder(const std::string& name, const std::vector<const BoundSymbol*>& region,
                const std::vector<std::string>& outputs,
                const std::map<std::string, Strides>& input_strides);
  Kernel build();

private:
  // The region's prim that defines a proxy, or nullptr for a region input.
  struct Definition {
    const BoundSymbol* bsym = nullptr;
    PrimId id = PrimId::add;
    const TensorProxy* proxy = nullptr;
  };

  [[noreturn]] void unsupported(const Definition& def, const std::string& why) const;
  NodeId add_node(Node node);
  NodeId index_constant(std::int64_t value);
  NodeId index_binary(NodeKind kind, NodeId a, NodeId b);
  NodeId index_less(NodeId a, NodeId b);
  NodeId logical_and(NodeId a, NodeId b);
  NodeId where(NodeId condition, NodeId a, NodeId b, DType dtype);
  /// a - b clamped to [0, extent - 1] (a - b wraps below 0, so it clamps to extent - 1).
  NodeId clamped_offset(NodeId a, std::int64_t b, std::int64_t extent);
  NodeId eval_iota(const Definition& def, const Coords& coords);
  NodeId eval_pad(const Definition& def, const Coords& coords);
  NodeId eval_cat(const Definition& def, const Coords& coords);
  NodeId eval_index_select(const Definition& def, const Coords& coords);
  Coords unravel(NodeId linear, const Shape& shape);
  NodeId linearize(const Coords& coords);
  NodeId offset(const Coords& coords, const Strides& strides);
  NodeId constant(const Value& number, DType dtype, const Definition& def);
  NodeId eval(const std::string& name, const Coords& coords);
  NodeId eval_prim(const Definition& def, const Coords& coords);
  NodeId eval_reduction(const Definition& def, const Coords& coords);
  NodeId eval_arg_reduction(const Definition& def, const Coords& coords);
  NodeId eval_cumsum(const Definition& def, const Coords& coords);
  NodeId eval_convolution(const Definition& def, const Coords& coords);
  NodeId operand(const Value& v, DType number_dtype, const Coords& coords, const Definition& def);
  int scope_of(const std::vector<NodeId>& operands) const;
  /// A new reduction loop of `extent` points inside loop `parent`: its number and its
  /// LoopIndex node.
  std::pair<int, NodeId> open_loop(int parent, std::int64_t extent);
  /// Whether the kernel should be cooperative (Kernel::cooperative).
  bool worth_cooperating() const;

  Kernel kernel_;
  std::map<std::string, Definition> definitions_;
  std::map<std::string, int> input_positions_;
  std::map<std::string, NodeId> interned_;
  std::map<std::pair<std::string, std::vector<NodeId>>, NodeId> evaluated_;
  std::vector<std::string> output_names_;
};

KernelBuilder::KernelBuilder(const std::string& name, const std::vector<const BoundSymbol*>& region,
                             const std::vector<std::string>& outputs,
                             const std::map<std::string, Strides>& input_strides) {
  const auto valid_name = [](const std::string& n) {
    if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
  };
  if (!valid_name(name)) {
    throw ArgumentError(
        str("make_kernel: kernel name '", name, "' must be an identifier (letters, digits, '_')"));
  }
  kernel_.name = name;
  if (region.empty()) throw ArgumentError("make_kernel: the region has no prims");
  if (outputs.empty()) {
    throw ArgumentError(str("make_kernel: kernel ", name,
                            " has no outputs; name the proxies "
                            "the region defines that are used after it"));
  }

  for (std::size_t i = 0; i < region.size(); ++i) {
    const BoundSymbol* bsym = region[i];
    if (bsym == nullptr || bsym->symbol == nullptr) {
      throw ArgumentError(str("make_kernel: region entry ", i, " is null"));
    }
    const std::optional<PrimId> id = prim_id_of(*bsym->symbol);
    if (!id && bsym->symbol->is_prim()) {
      throw UnsupportedError(str("make_kernel: ", bsym->symbol->qualified_name(),
                                 " is not a prim; generated kernels take prims only, leave it "
                                 "to another executor"));
    }
    if (!id) {
      throw ArgumentError(str("make_kernel: region entry ", i, " is ",
                              bsym->symbol->qualified_name(),
                              ", not a prim; flatten composites to their prims first "
                              "(flatten_to_prims)"));
    }
    // Inputs: tensors read before the region defines them, in order of first use.
    for (const Proxy* p : bsym->input_proxies()) {
      if (p->kind() != ProxyKind::Tensor || definitions_.count(p->name()) != 0 ||
          input_positions_.count(p->name()) != 0) {
        continue;
      }
      const auto& t = static_cast<const TensorProxy&>(*p);
      Buffer buffer{t.name(), t.shape(), contiguous_strides(t.shape()), t.dtype()};
      if (const auto it = input_strides.find(t.name()); it != input_strides.end()) {
        if (it->second.size() != t.shape().size() ||
            std::any_of(it->second.begin(), it->second.end(),
                        [](std::int64_t s) { return s < 0; })) {
          throw ArgumentError(str("make_kernel: strides ", Value::ints(it->second).repr(),
                                  " of input ", t.name(), " must be ", t.shape().size(),
                                  " non-negative element counts for shape ",
                                  shape_to_string(t.shape())));
        }
        buffer.strides = it->second;
      }
      input_positions_[t.name()] = static_cast<int>(kernel_.inputs.size());
      kernel_.inputs.push_back(std::move(buffer));
    }
    const std::vector<const Proxy*> defined = bsym->output_proxies();
    if (defined.size() != 1 || defined[0]->kind() != ProxyKind::Tensor) {
      throw ArgumentError(
          str("make_kernel: ", bsym->symbol->qualified_name(), " must define exactly one tensor"));
    }
    const auto* out = static_cast<const TensorProxy*>(defined[0]);
    if (definitions_.count(out->name()) != 0 || input_positions_.count(out->name()) != 0) {
      throw ArgumentError(str("make_kernel: ", out->name(), " is defined twice in the region"));
    }
    definitions_[out->name()] = Definition{bsym, *id, out};
    if (classify(*id) == PrimClass::Unsupported) {
      unsupported(definitions_[out->name()],
                  "is not supported by generated kernels, which take elementwise prims, where, "
                  "convert_element_type, broadcast_in_dim, reshape, transpose, squeeze, slice, "
                  "pad, cat, index_select, full, iota, the reductions sum, prod, amax and amin, "
                  "argmax, argmin, cumsum and convolution");
    }
  }
  for (const auto& [input, strides] : input_strides) {
    if (input_positions_.count(input) == 0) {
      throw ArgumentError(
          str("make_kernel: strides given for ", input, ", which is not an input of the region"));
    }
  }
  std::set<std::string> seen;
  for (const std::string& output : outputs) {
    if (definitions_.count(output) == 0) {
      throw ArgumentError(str("make_kernel: output ", output, " is not defined in the region"));
    }
    if (!seen.insert(output).second) {
      throw ArgumentError(str("make_kernel: output ", output, " is listed twice"));
    }
  }
  output_names_ = outputs;

  for (const Buffer& input : kernel_.inputs) {
    std::int64_t last = 0;
    for (std::size_t d = 0; d < input.shape.size(); ++d) {
      if (input.shape[d] > 0) last += (input.shape[d] - 1) * input.strides[d];
    }
    if (last > kMaxIndex || numel_of(input.shape) > kMaxIndex) {
      throw UnsupportedError(str("make_kernel: input ", input.name, " ",
                                 shape_to_string(input.shape),
                                 " needs 64-bit indexing, which generated kernels do not do "
                                 "yet; leave this region to another executor"));
    }
  }
  // Loop 0 is the invocation.
  kernel_.loops.push_back(Loop{});
}

void KernelBuilder::unsupported(const Definition& def, const std::string& why) const {
  throw UnsupportedError(str("make_kernel: ", def.bsym->symbol->qualified_name(), " (",
                             def.proxy->name(), " = ", def.bsym->call_string(), ") ", why,
                             "; leave it to another executor"));
}

std::pair<int, NodeId> KernelBuilder::open_loop(int parent, std::int64_t extent) {
  const int loop = static_cast<int>(kernel_.loops.size());
  kernel_.loops.push_back(
      Loop{parent, kernel_.loops[static_cast<std::size_t>(parent)].depth + 1, extent, -1});
  Node index;
  index.kind = NodeKind::LoopIndex;
  index.loop = loop;
  index.scope = loop;
  const NodeId loop_index = add_node(std::move(index));
  kernel_.loops[static_cast<std::size_t>(loop)].index = loop_index;
  return {loop, loop_index};
}

int KernelBuilder::scope_of(const std::vector<NodeId>& operands) const {
  int scope = 0;
  for (const NodeId id : operands) {
    const int s = kernel_.nodes[static_cast<std::size_t>(id)].scope;
    if (kernel_.loops[static_cast<std::size_t>(s)].depth >
        kernel_.loops[static_cast<std::size_t>(scope)].depth) {
      scope = s;
    }
  }
  // Every operand's scope is the chosen one or one of its ancestors.
  for (const NodeId id : operands) {
    int s = scope;
    const int want = kernel_.nodes[static_cast<std::size_t>(id)].scope;
    while (s != want && s != -1)
      s = kernel_.loops[static_cast<std::size_t>(s)].parent;
    THUNDER_INTERNAL_ASSERT(s == want)
        << "node " << id << " is in loop " << want << ", not an ancestor of loop " << scope;
  }
  return scope;
}

NodeId KernelBuilder::add_node(Node node) {
  if (node.kind != NodeKind::LoopIndex && node.kind != NodeKind::Reduce) {
    node.scope = scope_of(node.operands);
  }
  // Intern everything but loop indices and reductions (each of those is a new loop), so
  // equal subexpressions are computed once.
  std::string key;
  if (node.kind != NodeKind::LoopIndex && node.kind != NodeKind::Reduce &&
      node.kind != NodeKind::ThreadIndex) {
    // Constants compare by kind and bits (float_repr round-trips; -0.0 and NaN included).
    const std::string constant = std::visit(
        [](auto v) {
          if constexpr (std::is_same_v<decltype(v), double>)
            return "f" + float_repr(v);
          else
            return str("i", static_cast<std::int64_t>(v));
        },
        node.constant);
    key = str(static_cast<int>(node.kind), ":", static_cast<int>(node.dtype), ":",
              static_cast<int>(node.prim), ":", node.integer, ":", constant, ":");
    for (const NodeId op : node.operands)
      key += str(op, ",");
    if (const auto it = interned_.find(key); it != interned_.end()) return it->second;
  }
  const auto id = static_cast<NodeId>(kernel_.nodes.size());
  kernel_.nodes.push_back(std::move(node));
  if (!key.empty()) interned_[key] = id;
  return id;
}

NodeId KernelBuilder::index_constant(std::int64_t value) {
  Node node;
  node.kind = NodeKind::IndexConstant;
  node.integer = value;
  return add_node(std::move(node));
}

NodeId KernelBuilder::index_binary(NodeKind kind, NodeId a, NodeId b) {
  const Node& na = kernel_.nodes[static_cast<std::size_t>(a)];
  const Node& nb = kernel_.nodes[static_cast<std::size_t>(b)];
  const bool ca = na.kind == NodeKind::IndexConstant;
  const bool cb = nb.kind == NodeKind::IndexConstant;
  if (ca && cb) {
    // The emitted arithmetic is unsigned 32-bit; fold as it would compute.
    const auto u32 = [](std::int64_t v) { return v & 0xFFFFFFFFLL; };
    switch (kind) {
    case NodeKind::IndexAdd:
      return index_constant(u32(na.integer + nb.integer));
    case NodeKind::IndexSub:
      return index_constant(u32(na.integer - nb.integer));
    case NodeKind::IndexMul:
      return index_constant(u32(na.integer * nb.integer));
    case NodeKind::IndexDiv:
      return index_constant(na.integer / nb.integer);
    case NodeKind::IndexMod:
      return index_constant(na.integer % nb.integer);
    case NodeKind::IndexMin:
      return index_constant(std::min(na.integer, nb.integer));
    default:
      THUNDER_INTERNAL_ASSERT(false) << "not an index operation";
    }
  }
  // Constants go to the right, where they print naturally ("i * 64u").
  if (ca && (kind == NodeKind::IndexAdd || kind == NodeKind::IndexMul ||
             kind == NodeKind::IndexMin)) {
    return index_binary(kind, b, a);
  }
  if (cb) {
    const std::int64_t c = nb.integer;
    if ((kind == NodeKind::IndexAdd || kind == NodeKind::IndexSub) && c == 0) return a;
    if (kind == NodeKind::IndexMul && c == 0) return b;
    if ((kind == NodeKind::IndexMul || kind == NodeKind::IndexDiv) && c == 1) return a;
    if (kind == NodeKind::IndexMod && c == 1) return index_constant(0);
    THUNDER_INTERNAL_ASSERT(c > 0 || (kind != NodeKind::IndexDiv && kind != NodeKind::IndexMod))
        << "division by " << c;
  } else {
    THUNDER_INTERNAL_ASSERT(kind != NodeKind::IndexDiv && kind != NodeKind::IndexMod)
        << "division by a non-constant";
  }
  Node node;
  node.kind = kind;
  node.operands = {a, b};
  return add_node(std::move(node));
}

NodeId KernelBuilder::index_less(NodeId a, NodeId b) {
  const Node& na = kernel_.nodes[static_cast<std::size_t>(a)];
  const Node& nb = kernel_.nodes[static_cast<std::size_t>(b)];
  Node node;
  node.dtype = DType::Bool;
  if (na.kind == NodeKind::IndexConstant && nb.kind == NodeKind::IndexConstant) {
    node.kind = NodeKind::Constant;
    node.constant = na.integer < nb.integer;
    return add_node(std::move(node));
  }
  node.kind = NodeKind::IndexLess;
  node.operands = {a, b};
  return add_node(std::move(node));
}

NodeId KernelBuilder::logical_and(NodeId a, NodeId b) {
  for (const auto& [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
    const Node& nx = kernel_.nodes[static_cast<std::size_t>(x)];
    if (nx.kind == NodeKind::Constant) return std::get<bool>(nx.constant) ? y : x;
  }
  Node node;
  node.kind = NodeKind::Binary;
  node.prim = PrimId::logical_and;
  node.dtype = DType::Bool;
  node.operands = {a, b};
  return add_node(std::move(node));
}

NodeId KernelBuilder::where(NodeId condition, NodeId a, NodeId b, DType dtype) {
  const Node& c = kernel_.nodes[static_cast<std::size_t>(condition)];
  if (c.kind == NodeKind::Constant) return std::get<bool>(c.constant) ? a : b;
  Node node;
  node.kind = NodeKind::Where;
  node.dtype = dtype;
  node.operands = {condition, a, b};
  return add_node(std::move(node));
}

NodeId KernelBuilder::clamped_offset(NodeId a, std::int64_t b, std::int64_t extent) {
  const NodeId shifted = b >= 0 ? index_binary(NodeKind::IndexSub, a, index_constant(b))
                                : index_binary(NodeKind::IndexAdd, a, index_constant(-b));
  return index_binary(NodeKind::IndexMin, shifted, index_constant(extent - 1));
}

Coords KernelBuilder::unravel(NodeId linear, const Shape& shape) {
  Coords coords;
  coords.linear = linear;
  coords.shape = shape;
  const Strides strides = contiguous_strides(shape);
  // A shape with no elements is never indexed (no invocation and no loop iteration
  // reaches it), and its strides may be 0: every coordinate is 0.
  const bool empty = std::find(shape.begin(), shape.end(), 0) != shape.end();
  // The leading dim that is not 1 needs no modulo: linear < numel.
  bool leading = true;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1 || empty) {
      coords.dims.push_back(index_constant(0));
      continue;
    }
    NodeId c = index_binary(NodeKind::IndexDiv, linear, index_constant(strides[d]));
    if (!leading) c = index_binary(NodeKind::IndexMod, c, index_constant(shape[d]));
    leading = false;
    coords.dims.push_back(c);
  }
  return coords;
}

NodeId KernelBuilder::linearize(const Coords& coords) {
  if (coords.linear >= 0) return coords.linear;
  return offset(coords, contiguous_strides(coords.shape));
}

NodeId KernelBuilder::offset(const Coords& coords, const Strides& strides) {
  if (coords.linear >= 0) {
    bool contiguous = true;
    const Strides expected = contiguous_strides(coords.shape);
    for (std::size_t d = 0; d < coords.shape.size(); ++d) {
      if (coords.shape[d] != 1 && strides[d] != expected[d]) contiguous = false;
    }
    if (contiguous) return coords.linear;
  }
  NodeId sum = index_constant(0);
  for (std::size_t d = 0; d < coords.dims.size(); ++d) {
    sum =
        index_binary(NodeKind::IndexAdd, sum,
                     index_binary(NodeKind::IndexMul, coords.dims[d], index_constant(strides[d])));
  }
  return sum;
}

NodeId KernelBuilder::constant(const Value& number, DType dtype, const Definition& def) {
  if (number.is_number() && !number.as_number()->value()) {
    unsupported(def, str("reads the number ", number.repr(),
                         ", whose value is not known; "
                         "generated kernels take numbers as constants"));
  }
  ScalarValue v = number.is_number()                 ? *number.as_number()->value()
                  : number.kind() == ValueKind::Bool ? ScalarValue(number.as_bool())
                  : number.kind() == ValueKind::Int  ? ScalarValue(number.as_int())
                                                     : ScalarValue(number.as_float());
  const double as_double = std::visit([](auto x) { return static_cast<double>(x); }, v);
  Node node;
  node.kind = NodeKind::Constant;
  node.dtype = dtype;
  if (is_floating(dtype)) {
    node.constant = as_double;
  } else if (dtype == DType::Bool) {
    node.constant = as_double != 0.0;
  } else {
    if (std::holds_alternative<double>(v)) {
      if (!std::isfinite(as_double)) {
        unsupported(def, str("converts ", number.repr(), " to ", torch_name(dtype)));
      }
      node.constant = static_cast<std::int64_t>(std::trunc(as_double));
    } else {
      node.constant = std::visit([](auto x) { return static_cast<std::int64_t>(x); }, v);
    }
  }
  return add_node(std::move(node));
}

NodeId KernelBuilder::operand(const Value& v, DType number_dtype, const Coords& coords,
                              const Definition& def) {
  if (v.is_tensor()) return eval(v.as_tensor()->name(), coords);
  return constant(v, number_dtype, def);
}

NodeId KernelBuilder::eval(const std::string& name, const Coords& coords) {
  const auto key = std::make_pair(name, coords.dims);
  if (const auto it = evaluated_.find(key); it != evaluated_.end()) return it->second;
  NodeId result;
  if (const auto input = input_positions_.find(name); input != input_positions_.end()) {
    const Buffer& buffer = kernel_.inputs[static_cast<std::size_t>(input->second)];
    Node node;
    node.kind = NodeKind::Load;
    node.dtype = buffer.dtype;
    node.integer = input->second;
    node.operands = {offset(coords, buffer.strides)};
    result = add_node(std::move(node));
  } else {
    const auto def = definitions_.find(name);
    THUNDER_INTERNAL_ASSERT(def != definitions_.end()) << "no definition of " << name;
    result = eval_prim(def->second, coords);
  }
  evaluated_[key] = result;
  return result;
}

NodeId KernelBuilder::eval_prim(const Definition& def, const Coords& coords) {
  const BoundSymbol& bsym = *def.bsym;
  const auto arg = [&](std::size_t i) -> const Value& {
    THUNDER_INTERNAL_ASSERT(i < bsym.args.size()) << bsym.call_string();
    return bsym.args[i];
  };
  const auto tensor_arg = [&](std::size_t i) -> const TensorProxy& {
    THUNDER_INTERNAL_ASSERT(arg(i).is_tensor()) << bsym.call_string();
    return *arg(i).as_tensor();
  };
  // The dtype a number operand takes: that of the first tensor operand from `first` on.
  const auto operand_dtype = [&](std::size_t first) {
    for (std::size_t i = first; i < bsym.args.size(); ++i) {
      if (bsym.args[i].is_tensor()) return bsym.args[i].as_tensor()->dtype();
    }
    THUNDER_INTERNAL_ASSERT(false) << "no tensor operand in " << bsym.call_string();
    return DType::Float32;
  };
  const Shape& out_shape = def.proxy->shape();
  switch (classify(def.id)) {
  case PrimClass::Unary: {
    Node node;
    node.kind = NodeKind::Unary;
    node.prim = def.id;
    node.dtype = def.proxy->dtype();
    node.operands = {eval(tensor_arg(0).name(), coords)};
    return add_node(std::move(node));
  }
  case PrimClass::Binary: {
    const DType dtype = operand_dtype(0);
    Node node;
    node.kind = NodeKind::Binary;
    node.prim = def.id;
    node.dtype = def.proxy->dtype();
    node.operands = {operand(arg(0), dtype, coords, def), operand(arg(1), dtype, coords, def)};
    return add_node(std::move(node));
  }
  case PrimClass::Where: {
    const DType dtype = operand_dtype(1);
    Node node;
    node.kind = NodeKind::Where;
    node.dtype = def.proxy->dtype();
    node.operands = {operand(arg(0), DType::Bool, coords, def), operand(arg(1), dtype, coords, def),
                     operand(arg(2), dtype, coords, def)};
    return add_node(std::move(node));
  }
  case PrimClass::Convert: {
    const NodeId a = eval(tensor_arg(0).name(), coords);
    // f16 and bf16 are already computed in f32, so widening them changes nothing.
    if (compute_dtype(tensor_arg(0).dtype()) == def.proxy->dtype()) return a;
    Node node;
    node.kind = NodeKind::Convert;
    node.dtype = def.proxy->dtype();
    node.operands = {a};
    return add_node(std::move(node));
  }
  case PrimClass::Broadcast: {
    const TensorProxy& a = tensor_arg(0);
    const std::vector<std::int64_t> dims = arg(2).as_ints();
    if (a.shape() == out_shape) return eval(a.name(), coords); // dims are then 0, 1, ...
    Coords inner;
    inner.shape = a.shape();
    for (std::size_t k = 0; k < dims.size(); ++k) {
      inner.dims.push_back(a.shape()[k] == 1 ? index_constant(0)
                                             : coords.dims[static_cast<std::size_t>(dims[k])]);
    }
    return eval(a.name(), inner);
  }
  case PrimClass::Reshape: {
    const TensorProxy& a = tensor_arg(0);
    Coords c = coords;
    c.shape = out_shape;
    return eval(a.name(), unravel(linearize(c), a.shape()));
  }
  case PrimClass::Transpose: {
    const TensorProxy& a = tensor_arg(0);
    const std::vector<std::int64_t> perm = arg(1).as_ints();
    Coords inner;
    inner.shape = a.shape();
    inner.dims.resize(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) {
      inner.dims[static_cast<std::size_t>(perm[i])] = coords.dims[i];
    }
    return eval(a.name(), inner);
  }
  case PrimClass::Squeeze: {
    const TensorProxy& a = tensor_arg(0);
    const std::vector<std::int64_t> dims = arg(1).as_ints();
    Coords inner;
    inner.shape = a.shape();
    std::size_t next = 0;
    for (std::int64_t d = 0; d < a.ndim(); ++d) {
      if (std::find(dims.begin(), dims.end(), d) != dims.end()) {
        inner.dims.push_back(index_constant(0));
      } else {
        inner.dims.push_back(coords.dims[next++]);
      }
    }
    // Removing dims of extent 1 keeps the row-major order.
    if (coords.linear >= 0) inner.linear = coords.linear;
    return eval(a.name(), inner);
  }
  case PrimClass::Slice: {
    const TensorProxy& a = tensor_arg(0);
    const std::vector<std::int64_t> start = arg(1).as_ints();
    const std::vector<std::int64_t> step = arg(3).as_ints();
    Coords inner;
    inner.shape = a.shape();
    for (std::size_t d = 0; d < coords.dims.size(); ++d) {
      inner.dims.push_back(
          index_binary(NodeKind::IndexAdd,
                       index_binary(NodeKind::IndexMul, coords.dims[d], index_constant(step[d])),
                       index_constant(start[d])));
    }
    return eval(a.name(), inner);
  }
  case PrimClass::Full:
    return constant(arg(1), def.proxy->dtype(), def);
  case PrimClass::Iota:
    return eval_iota(def, coords);
  case PrimClass::Pad:
    return eval_pad(def, coords);
  case PrimClass::Cat:
    return eval_cat(def, coords);
  case PrimClass::IndexSelect:
    return eval_index_select(def, coords);
  case PrimClass::Reduction:
    return eval_reduction(def, coords);
  case PrimClass::ArgReduction:
    return eval_arg_reduction(def, coords);
  case PrimClass::Cumsum:
    return eval_cumsum(def, coords);
  case PrimClass::Convolution:
    return eval_convolution(def, coords);
  case PrimClass::Unsupported:
    break;
  }
  THUNDER_INTERNAL_ASSERT(false) << "unsupported prims are rejected before evaluation: "
                                 << bsym.call_string();
  return -1;
}

NodeId KernelBuilder::eval_iota(const Definition& def, const Coords& coords) {
  const BoundSymbol& bsym = *def.bsym;
  const DType dtype = def.proxy->dtype();
  if (dtype == DType::Bool) unsupported(def, "makes bool values");
  Node node;
  node.kind = NodeKind::IndexValue;
  node.dtype = dtype;
  node.operands = {coords.dims.at(0)};
  NodeId value = add_node(std::move(node));
  const auto binary = [&](PrimId prim, NodeId a, NodeId b) {
    Node n;
    n.kind = NodeKind::Binary;
    n.prim = prim;
    n.dtype = dtype;
    n.operands = {a, b};
    return add_node(std::move(n));
  };
  // start + i * step, in the dtype's compute type (torch's arange computes so too).
  const std::int64_t start = bsym.args.at(1).as_int();
  const std::int64_t step = bsym.args.at(2).as_int();
  if (step != 1) value = binary(PrimId::mul, value, constant(bsym.args.at(2), dtype, def));
  if (start != 0) value = binary(PrimId::add, value, constant(bsym.args.at(1), dtype, def));
  return value;
}

NodeId KernelBuilder::eval_pad(const Definition& def, const Coords& coords) {
  const BoundSymbol& bsym = *def.bsym;
  const TensorProxy& a = *bsym.args.at(0).as_tensor();
  const DType dtype = def.proxy->dtype();
  const NodeId padding = constant(bsym.args.at(1), dtype, def);
  if (a.numel() == 0) return padding;
  // Output coordinate c of a dim [low, high, interior] reads input element (c - low) / s,
  // s = interior + 1, when c - low >= 0, (c - low) % s == 0 and (c - low) / s < extent.
  // c - low wraps below 0 to at least 2^31 > s * extent, so the last test covers the first.
  // The load's coordinate is clamped, so the element read where padding wins is in bounds.
  NodeId inside = -1;
  Coords inner;
  inner.shape = a.shape();
  const std::vector<Value>& config = bsym.args.at(2).as_list();
  for (std::size_t d = 0; d < config.size(); ++d) {
    const std::vector<std::int64_t> c = config[d].as_ints();
    const std::int64_t low = c[0];
    const std::int64_t s = c[2] + 1;
    const std::int64_t extent = a.shape()[d];
    const NodeId t = low >= 0 ? index_binary(NodeKind::IndexSub, coords.dims[d], index_constant(low))
                              : index_binary(NodeKind::IndexAdd, coords.dims[d], index_constant(-low));
    const NodeId q = index_binary(NodeKind::IndexDiv, t, index_constant(s));
    NodeId ok = index_less(q, index_constant(extent));
    if (s > 1) {
      ok = logical_and(ok, index_less(index_binary(NodeKind::IndexMod, t, index_constant(s)),
                                      index_constant(1)));
    }
    // With no padding on either side nor inside, every coordinate reads the input.
    if (low <= 0 && c[1] <= 0 && s == 1) {
      inner.dims.push_back(t);
      continue;
    }
    inside = inside < 0 ? ok : logical_and(inside, ok);
    inner.dims.push_back(index_binary(NodeKind::IndexMin, q, index_constant(extent - 1)));
  }
  const NodeId value = eval(a.name(), inner);
  if (inside < 0) return value;
  return where(inside, value, padding, dtype);
}

NodeId KernelBuilder::eval_cat(const Definition& def, const Coords& coords) {
  const BoundSymbol& bsym = *def.bsym;
  const std::vector<Value>& tensors = bsym.args.at(0).as_list();
  const auto dim = static_cast<std::size_t>(bsym.args.at(1).as_int() < 0
                                                ? bsym.args.at(1).as_int() + def.proxy->ndim()
                                                : bsym.args.at(1).as_int());
  const DType dtype = def.proxy->dtype();
  // The inputs along dim, from the last: input j holds [offset_j, offset_j + extent_j).
  // Each reads at its coordinate clamped into its extent, so the loads not chosen stay in
  // bounds; the first input whose range holds the coordinate wins.
  std::vector<std::pair<const TensorProxy*, std::int64_t>> parts; // (tensor, offset)
  std::int64_t offset_along = 0;
  for (const Value& v : tensors) {
    const TensorProxy* t = v.as_tensor().get();
    const std::int64_t extent = t->shape()[dim];
    if (extent > 0) parts.emplace_back(t, offset_along);
    offset_along += extent;
  }
  // A cat of empty tensors has no elements: nothing reads this value.
  if (parts.empty()) return constant(Value(0), dtype, def);
  NodeId result = -1;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    const TensorProxy& t = *it->first;
    const std::int64_t extent = t.shape()[dim];
    Coords inner;
    inner.shape = t.shape();
    inner.dims = coords.dims;
    inner.dims[dim] = clamped_offset(coords.dims[dim], it->second, extent);
    const NodeId value = eval(t.name(), inner);
    if (result < 0) {
      result = value;
      continue;
    }
    result = where(index_less(coords.dims[dim], index_constant(it->second + extent)), value,
                   result, dtype);
  }
  return result;
}

NodeId KernelBuilder::eval_index_select(const Definition& def, const Coords& coords) {
  const BoundSymbol& bsym = *def.bsym;
  const TensorProxy& a = *bsym.args.at(0).as_tensor();
  const TensorProxy& index = *bsym.args.at(2).as_tensor();
  if (a.ndim() == 0) {
    unsupported(def, "indexes a 0-dim tensor");
  }
  std::int64_t dim = bsym.args.at(1).as_int();
  if (dim < 0) dim += a.ndim();
  const auto d = static_cast<std::size_t>(dim);
  // The integer at the output's coordinate along dim, checked against a's extent there.
  Coords at;
  at.shape = index.shape();
  if (index.ndim() == 1) at.dims = {coords.dims[d]};
  const NodeId position = eval(index.name(), at);
  const auto check = static_cast<int>(kernel_.checks.size());
  kernel_.checks.push_back(IndexCheck{bsym.symbol->qualified_name(), a.name(), static_cast<int>(dim),
                                      a.shape()[d]});
  Node node;
  node.kind = NodeKind::CheckedIndex;
  node.operands = {position};
  node.integer = a.shape()[d];
  node.loop = check;
  const NodeId checked = add_node(std::move(node));
  Coords inner;
  inner.shape = a.shape();
  inner.dims = coords.dims;
  inner.dims[d] = checked;
  return eval(a.name(), inner);
}

NodeId KernelBuilder::eval_arg_reduction(const Definition& def, const Coords& coords) {
  const TensorProxy& a = *def.bsym->args.at(0).as_tensor();
  if (a.dtype() == DType::Bool) unsupported(def, "reduces bool values");
  // A 0-dim tensor's one element is the extreme.
  if (a.ndim() == 0) return constant(Value(0), DType::Int64, def);
  std::int64_t dim = def.bsym->args.at(1).as_int();
  if (dim < 0) dim += a.ndim();
  const auto d = static_cast<std::size_t>(dim);
  const int parent = scope_of(coords.dims);
  const auto [loop, loop_index] = open_loop(parent, a.shape()[d]);
  Coords inner;
  inner.shape = a.shape();
  inner.dims = coords.dims;
  inner.dims.insert(inner.dims.begin() + dim, loop_index);
  Node node;
  node.kind = NodeKind::Reduce;
  node.prim = def.id;
  node.dtype = DType::Int64;
  node.operands = {eval(a.name(), inner)};
  node.loop = loop;
  node.scope = parent;
  return add_node(std::move(node));
}

// The longest dim a cumsum is generated for: each element sums its whole row under a mask
// (quadratic in the extent, but in order, as torch's sequential scan adds).
constexpr std::int64_t kMaxCumsumExtent = 4096;

NodeId KernelBuilder::eval_cumsum(const Definition& def, const Coords& coords) {
  const TensorProxy& a = *def.bsym->args.at(0).as_tensor();
  if (a.ndim() == 0) return eval(a.name(), coords);
  std::int64_t dim = def.bsym->args.at(1).as_int();
  if (dim < 0) dim += a.ndim();
  const auto d = static_cast<std::size_t>(dim);
  const std::int64_t extent = a.shape()[d];
  if (extent > kMaxCumsumExtent) {
    unsupported(def, str("scans ", extent, " elements along dim ", dim,
                         "; generated kernels scan at most ", kMaxCumsumExtent));
  }
  if (extent == 0) return constant(Value(0), def.proxy->dtype(), def); // never read
  const int parent = scope_of(coords.dims);
  const auto [loop, loop_index] = open_loop(parent, extent);
  kernel_.loops[static_cast<std::size_t>(loop)].splittable = false;
  Coords inner;
  inner.shape = a.shape();
  inner.dims = coords.dims;
  inner.dims[d] = loop_index;
  // Element k of the row counts for output i when k < i + 1.
  const NodeId counts = index_less(
      loop_index, index_binary(NodeKind::IndexAdd, coords.dims[d], index_constant(1)));
  const NodeId body = where(counts, eval(a.name(), inner),
                            constant(Value(0), def.proxy->dtype(), def), def.proxy->dtype());
  Node node;
  node.kind = NodeKind::Reduce;
  node.prim = PrimId::sum;
  node.dtype = def.proxy->dtype();
  node.operands = {body};
  node.loop = loop;
  node.scope = parent;
  return add_node(std::move(node));
}

// Output [n, o, *p] sums, over the channels c of o's group and the kernel offsets k, the
// input at [n, c, p * stride + k * dilation - padding] (zero outside the input) times the
// weight at [o, c, *k], then adds bias[o]: one loop over (C / groups) * prod(kernel) points.
NodeId KernelBuilder::eval_convolution(const Definition& def, const Coords& coords) {
  const BoundSymbol& bsym = *def.bsym;
  const TensorProxy& a = *bsym.args.at(0).as_tensor();
  const TensorProxy& w = *bsym.args.at(1).as_tensor();
  const std::vector<std::int64_t> stride = bsym.args.at(3).as_ints();
  const std::vector<std::int64_t> padding = bsym.args.at(4).as_ints();
  const std::vector<std::int64_t> dilation = bsym.args.at(5).as_ints();
  const std::int64_t groups = bsym.args.at(6).as_int();
  const DType dtype = def.proxy->dtype();
  if (dtype == DType::Bool) unsupported(def, "convolves bool values");
  const std::size_t spatial = stride.size();
  Shape reduced_shape(w.shape().begin() + 1, w.shape().end()); // [C / groups, *kernel]
  const std::int64_t extent = numel_of(reduced_shape);
  NodeId result = -1;
  if (extent == 0 || a.numel() == 0) {
    // No channels, or an input of no elements: only padding is seen.
    result = constant(Value(0), dtype, def);
  } else {
    const int parent = scope_of(coords.dims);
    const auto [loop, loop_index] = open_loop(parent, extent);
    kernel_.loops[static_cast<std::size_t>(loop)].splittable = false;
    const Coords taps = unravel(loop_index, reduced_shape);
    // The input channel: the group's first plus the loop's channel within the group.
    NodeId channel = taps.dims[0];
    if (groups > 1) {
      const NodeId group =
          index_binary(NodeKind::IndexDiv, coords.dims[1], index_constant(w.shape()[0] / groups));
      channel = index_binary(NodeKind::IndexAdd,
                             index_binary(NodeKind::IndexMul, group, index_constant(w.shape()[1])),
                             channel);
    }
    Coords at;
    at.shape = a.shape();
    at.dims = {coords.dims[0], channel};
    NodeId inside = -1;
    for (std::size_t i = 0; i < spatial; ++i) {
      const NodeId position = index_binary(
          NodeKind::IndexAdd,
          index_binary(NodeKind::IndexMul, coords.dims[i + 2], index_constant(stride[i])),
          index_binary(NodeKind::IndexMul, taps.dims[i + 1], index_constant(dilation[i])));
      if (padding[i] == 0) {
        // The output extent keeps every window inside the input.
        at.dims.push_back(position);
        continue;
      }
      // position - padding wraps below 0 to at least 2^31, past the extent.
      const NodeId shifted =
          index_binary(NodeKind::IndexSub, position, index_constant(padding[i]));
      const NodeId ok = index_less(shifted, index_constant(a.shape()[i + 2]));
      inside = inside < 0 ? ok : logical_and(inside, ok);
      at.dims.push_back(
          index_binary(NodeKind::IndexMin, shifted, index_constant(a.shape()[i + 2] - 1)));
    }
    NodeId x = eval(a.name(), at);
    if (inside >= 0) x = where(inside, x, constant(Value(0), dtype, def), dtype);
    Coords tap_of_weight;
    tap_of_weight.shape = w.shape();
    tap_of_weight.dims = {coords.dims[1]};
    tap_of_weight.dims.insert(tap_of_weight.dims.end(), taps.dims.begin(), taps.dims.end());
    Node product;
    product.kind = NodeKind::Binary;
    product.prim = PrimId::mul;
    product.dtype = dtype;
    product.operands = {x, eval(w.name(), tap_of_weight)};
    Node sum;
    sum.kind = NodeKind::Reduce;
    sum.prim = PrimId::sum;
    sum.dtype = dtype;
    sum.operands = {add_node(std::move(product))};
    sum.loop = loop;
    sum.scope = parent;
    result = add_node(std::move(sum));
  }
  if (bsym.args.at(2).is_tensor()) {
    const TensorProxy& bias = *bsym.args.at(2).as_tensor();
    Coords channel;
    channel.shape = bias.shape();
    channel.dims = {coords.dims[1]};
    Node add;
    add.kind = NodeKind::Binary;
    add.prim = PrimId::add;
    add.dtype = dtype;
    add.operands = {result, eval(bias.name(), channel)};
    result = add_node(std::move(add));
  }
  return result;
}

NodeId KernelBuilder::eval_reduction(const Definition& def, const Coords& coords) {
  const TensorProxy& a = *def.bsym->args.at(0).as_tensor();
  const std::vector<std::int64_t> dims = def.bsym->args.at(1).as_ints();
  if (dims.empty()) return eval(a.name(), coords);
  Shape reduced_shape;
  for (const std::int64_t d : dims)
    reduced_shape.push_back(a.shape()[static_cast<std::size_t>(d)]);
  const std::int64_t extent = numel_of(reduced_shape);
  if (extent == 0) {
    if (def.id == PrimId::sum) return constant(Value(0), def.proxy->dtype(), def);
    if (def.id == PrimId::prod) return constant(Value(1), def.proxy->dtype(), def);
    unsupported(def, str("reduces ", a.name(), " ", shape_to_string(a.shape()),
                         " over dims of no elements"));
  }
  // The loop lives in the innermost loop the output coordinates depend on.
  const int parent = scope_of(coords.dims);
  const auto [loop, loop_index] = open_loop(parent, extent);

  const Coords reduced = unravel(loop_index, reduced_shape);
  Coords inner;
  inner.shape = a.shape();
  std::size_t kept = 0;
  std::size_t red = 0;
  for (std::int64_t d = 0; d < a.ndim(); ++d) {
    if (std::find(dims.begin(), dims.end(), d) != dims.end()) {
      inner.dims.push_back(reduced.dims[red++]);
    } else {
      inner.dims.push_back(coords.dims[kept++]);
    }
  }
  const NodeId body = eval(a.name(), inner);
  Node node;
  node.kind = NodeKind::Reduce;
  node.prim = def.id;
  node.dtype = def.proxy->dtype();
  node.operands = {body};
  node.loop = loop;
  node.scope = parent;
  return add_node(std::move(node));
}

Kernel KernelBuilder::build() {
  Node thread;
  thread.kind = NodeKind::ThreadIndex;
  const NodeId idx = add_node(std::move(thread));
  for (std::size_t i = 0; i < output_names_.size(); ++i) {
    const Definition& def = definitions_.at(output_names_[i]);
    const Shape& shape = def.proxy->shape();
    const std::int64_t numel = numel_of(shape);
    if (numel > kMaxIndex) {
      throw UnsupportedError(str("make_kernel: output ", def.proxy->name(), " ",
                                 shape_to_string(shape),
                                 " needs 64-bit indexing, which generated kernels do not do "
                                 "yet; leave this region to another executor"));
    }
    kernel_.outputs.push_back(
        Buffer{def.proxy->name(), shape, contiguous_strides(shape), def.proxy->dtype()});
    kernel_.num_invocations = std::max(kernel_.num_invocations, numel);
    const NodeId value = eval(def.proxy->name(), unravel(idx, shape));
    kernel_.stores.push_back(Store{static_cast<int>(i), value});
  }
  kernel_.cooperative = worth_cooperating();
  return std::move(kernel_);
}

bool KernelBuilder::worth_cooperating() const {
  // The outermost reductions, and whether one of them is long.
  std::vector<bool> outer_reduce(kernel_.nodes.size(), false);
  bool long_loop = false;
  for (std::size_t id = 0; id < kernel_.nodes.size(); ++id) {
    const Node& n = kernel_.nodes[id];
    if (n.kind != NodeKind::Reduce) continue;
    const Loop& loop = kernel_.loops[static_cast<std::size_t>(n.loop)];
    if (loop.parent != 0) continue; // nested loops run whole in each lane
    if (!loop.splittable) return false;
    outer_reduce[id] = true;
    long_loop = long_loop || loop.extent >= kCooperativeMinExtent;
  }
  if (!long_loop) return false;
  // Whether each node depends on an outermost reduction (operands come before their users).
  std::vector<bool> reduced(kernel_.nodes.size(), false);
  for (std::size_t id = 0; id < kernel_.nodes.size(); ++id) {
    reduced[id] = outer_reduce[id];
    for (const NodeId op : kernel_.nodes[id].operands)
      reduced[id] = reduced[id] || reduced[static_cast<std::size_t>(op)];
  }
  return std::all_of(kernel_.stores.begin(), kernel_.stores.end(),
                     [&](const Store& s) { return reduced[static_cast<std::size_t>(s.value)]; });
}

void flatten_into(const BoundSymbol& bsym, std::vector<const BoundSymbol*>& out) {
  if (bsym.symbol != nullptr && bsym.symbol->is_prim()) {
    out.push_back(&bsym);
    return;
  }
  for (const BoundSymbol& sub : bsym.subsymbols)
    flatten_into(sub, out);
}

} // namespace

bool is_index(NodeKind kind) {
  switch (kind) {
  case NodeKind::ThreadIndex:
  case NodeKind::LoopIndex:
  case NodeKind::IndexConstant:
  case NodeKind::IndexAdd:
  case NodeKind::IndexMul:
  case NodeKind::IndexDiv:
  case NodeKind::IndexMod:
  case NodeKind::IndexSub:
  case NodeKind::IndexMin:
  case NodeKind::CheckedIndex:
    return true;
  default:
    return false;
  }
}

DType compute_dtype(DType dtype) {
  return dtype == DType::Float16 || dtype == DType::BFloat16 ? DType::Float32 : dtype;
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d > 1; --d) {
    strides[d - 2] = strides[d - 1] * std::max<std::int64_t>(shape[d - 1], 1);
  }
  return strides;
}

Kernel make_kernel(const std::string& name, const std::vector<const BoundSymbol*>& region,
                   const std::vector<std::string>& outputs,
                   const std::map<std::string, Strides>& input_strides) {
  return KernelBuilder(name, region, outputs, input_strides).build();
}

std::vector<const BoundSymbol*> flatten_to_prims(const std::vector<BoundSymbol>& bound_symbols) {
  std::vector<const BoundSymbol*> out;
  for (const BoundSymbol& bsym : bound_symbols)
    flatten_into(bsym, out);
  return out;
}

std::optional<Kernel> one_prim_kernel(const BoundSymbol& bsym,
                                      const std::function<bool(const TensorProxy&)>& tensor_ok,
                                      const std::function<bool(const Kernel&)>& printable) {
  if (bsym.symbol == nullptr || bsym.symbol->ns != SymbolNamespace::Prims ||
      !bsym.symbol->is_prim()) {
    return std::nullopt;
  }
  const std::vector<const Proxy*> outputs = bsym.output_proxies();
  if (outputs.size() != 1 || outputs[0]->kind() != ProxyKind::Tensor) return std::nullopt;
  std::vector<const Proxy*> proxies = bsym.input_proxies();
  proxies.push_back(outputs[0]);
  for (const Proxy* p : proxies) {
    if (p->kind() == ProxyKind::Tensor && !tensor_ok(static_cast<const TensorProxy&>(*p))) {
      return std::nullopt;
    }
  }
  try {
    Kernel kernel = make_kernel("probe", {&bsym}, {outputs[0]->name()});
    if (!printable(kernel)) return std::nullopt;
    return kernel;
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::vector<std::string> region_output_names(const BoundSymbol& region) {
  std::vector<std::string> names;
  for (const Proxy* p : region.output_proxies())
    names.push_back(p->name());
  return names;
}

bool region_kernel_cooperates(const BoundSymbol& region) {
  try {
    return make_kernel("probe", flatten_to_prims(region.subsymbols), region_output_names(region))
        .cooperative;
  } catch (const Error&) {
    return false;
  }
}

std::string index_error_message(const Kernel& kernel, const std::uint32_t* status) {
  if (status[0] == 0) return {};
  const std::size_t which = status[0] - 1;
  THUNDER_INTERNAL_ASSERT(which < kernel.checks.size())
      << "kernel " << kernel.name << " reported check " << which << " of "
      << kernel.checks.size();
  const IndexCheck& check = kernel.checks[which];
  const auto value = static_cast<std::int64_t>(static_cast<std::uint64_t>(status[1]) |
                                               (static_cast<std::uint64_t>(status[2]) << 32));
  return str(check.op, ": index ", value, " is out of range for dim ", check.dim, " of ",
             check.tensor, ", which has ", check.extent,
             " elements (torch: index out of range in self); kernel ", kernel.name);
}

std::size_t prim_count(const BoundSymbol& bsym) {
  if (bsym.symbol != nullptr && bsym.symbol->is_prim()) return 1;
  return flatten_to_prims(bsym.subsymbols).size();
}

std::int64_t workgroup_count(const Kernel& kernel) {
  if (kernel.cooperative) return kernel.num_invocations;
  return (kernel.num_invocations + kWorkgroupSize - 1) / kWorkgroupSize;
}

} // namespace thunder::codegen
