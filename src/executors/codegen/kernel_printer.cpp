#include "kernel_printer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace thunder::codegen {

using prims::PrimId;

std::string prim_name(PrimId id) {
  return prims::symbol(id).qualified_name();
}

double as_double(const ScalarValue& value) {
  return std::visit([](auto v) { return static_cast<double>(v); }, value);
}

void KernelPrinter::unsupported(PrimId prim, DType dtype, const std::string& why) const {
  throw UnsupportedError(str(emitter_name_, ": kernel ", kernel_.name, ": ", prim_name(prim),
                             " on ", torch_name(dtype), " ", why,
                             "; leave this region to another executor"));
}

const char* KernelPrinter::compute_type(DType dtype) const {
  switch (dtype) {
  case DType::Bool:
    return "bool";
  case DType::UInt8:
  case DType::Int8:
  case DType::Int16:
  case DType::Int32:
    return "int";
  case DType::Int64:
    return int64_type();
  case DType::Float16:
  case DType::BFloat16:
  case DType::Float32:
    return "float";
  case DType::Float64:
    return "double";
  }
  return "";
}

std::string KernelPrinter::name_of(NodeId id) const {
  const Node& n = node(id);
  if (n.kind == NodeKind::IndexConstant) return str(n.integer, "u");
  if (n.kind == NodeKind::Constant) return literal(n.constant, n.dtype);
  if (n.kind == NodeKind::ThreadIndex) return "idx";
  const auto it = names_.find(id);
  THUNDER_INTERNAL_ASSERT(it != names_.end()) << "node " << id << " used before it is emitted";
  return it->second;
}

std::string KernelPrinter::int_literal(std::int64_t value, DType dtype) const {
  const std::string l = int64_suffix();
  if (dtype == DType::Int64) {
    if (value == std::numeric_limits<std::int64_t>::min()) {
      return str("(-9223372036854775807", l, " - 1", l, ")");
    }
    return value < 0 ? str("(", value, l, ")") : str(value, l);
  }
  // Narrow integers hold their dtype's value (wrapped), computed as int.
  std::int64_t v = value;
  switch (dtype) {
  case DType::UInt8:
    v = static_cast<std::uint8_t>(value);
    break;
  case DType::Int8:
    v = static_cast<std::int8_t>(value);
    break;
  case DType::Int16:
    v = static_cast<std::int16_t>(value);
    break;
  default:
    v = static_cast<std::int32_t>(value);
    break;
  }
  if (v == std::numeric_limits<std::int32_t>::min()) return "(-2147483647 - 1)";
  return v < 0 ? str("(", v, ")") : str(v);
}

std::string KernelPrinter::literal(const ScalarValue& value, DType dtype) const {
  const DType c = compute_dtype(dtype);
  if (c == DType::Bool) {
    return std::visit([](auto v) { return v != 0 ? "true" : "false"; }, value);
  }
  if (is_floating(c)) return float_literal(as_double(value), c == DType::Float64);
  return int_literal(std::visit([](auto v) { return static_cast<std::int64_t>(v); }, value), dtype);
}

std::string KernelPrinter::convert(const std::string& a, DType from, DType to) {
  const DType cf = compute_dtype(from);
  const DType ct = compute_dtype(to);
  std::string out;
  if (ct == DType::Bool) return "(" + a + " != " + zero(from) + ")";
  const bool same_type = std::strcmp(compute_type(from), compute_type(to)) == 0;
  if (cf == DType::Bool) {
    out = "(" + a + " ? " + literal(std::int64_t{1}, to) + " : " + zero(to) + ")";
  } else if (same_type) {
    out = a;
  } else if (ct == DType::Int64 && !is_floating(cf)) {
    out = widen_to_int64(a); // from int: bool and int64 are handled above
  } else {
    out = cast(compute_type(to), a);
  }
  if (!is_floating(to)) return wrap(out, to);
  // A conversion to f16/bf16 rounds: later ops see the rounded value, as in eager torch.
  if ((to == DType::Float16 || to == DType::BFloat16) && from != to) return round_to(to, out);
  return out;
}

std::string KernelPrinter::nan_propagating(const Node& n, const std::string& a,
                                           const std::string& b,
                                           const std::string& builtin) const {
  std::string test;
  for (const NodeId id : n.operands) {
    const Node& op = node(id);
    const bool nan_free = op.kind == NodeKind::Constant && !std::isnan(as_double(op.constant));
    if (nan_free) continue;
    test += str(test.empty() ? "" : " || ", "isnan(", name_of(id), ")");
  }
  if (test.empty()) return builtin;
  return str("(", test, " ? ", a, " + ", b, " : ", builtin, ")");
}

std::string KernelPrinter::bitwise_compare_or_logical(const Node& n, const std::string& a,
                                                      const std::string& b, DType in,
                                                      const char* bool_xor,
                                                      bool order_bools_as_int) const {
  const bool boolean = compute_dtype(in) == DType::Bool;
  const auto truth = [&](const std::string& x) {
    return boolean ? x : "(" + x + " != " + zero(in) + ")";
  };
  const auto compare = [&](const char* op) {
    const bool ordering = std::strcmp(op, "==") != 0 && std::strcmp(op, "!=") != 0;
    if (boolean && ordering && order_bools_as_int) {
      return str("(", cast("int", a), " ", op, " ", cast("int", b), ")");
    }
    return str("(", a, " ", op, " ", b, ")");
  };
  switch (n.prim) {
  case PrimId::bitwise_and:
    return boolean ? "(" + a + " && " + b + ")" : "(" + a + " & " + b + ")";
  case PrimId::bitwise_or:
    return boolean ? "(" + a + " || " + b + ")" : "(" + a + " | " + b + ")";
  case PrimId::bitwise_xor:
    return boolean ? str("(", a, " ", bool_xor, " ", b, ")") : "(" + a + " ^ " + b + ")";
  case PrimId::eq:
    return compare("==");
  case PrimId::ne:
    return compare("!=");
  case PrimId::lt:
    return compare("<");
  case PrimId::le:
    return compare("<=");
  case PrimId::gt:
    return compare(">");
  case PrimId::ge:
    return compare(">=");
  case PrimId::logical_and:
    return "(" + truth(a) + " && " + truth(b) + ")";
  case PrimId::logical_or:
    return "(" + truth(a) + " || " + truth(b) + ")";
  case PrimId::logical_xor:
    return str("(", truth(a), " ", bool_xor, " ", truth(b), ")");
  default:
    return {};
  }
}

std::string KernelPrinter::index_expr(const Node& n) {
  const std::string a = name_of(n.operands[0]);
  if (n.kind == NodeKind::CheckedIndex) return checked_index(n, a, node(n.operands[0]).dtype);
  const std::string b = name_of(n.operands[1]);
  switch (n.kind) {
  case NodeKind::IndexAdd:
    return a + " + " + b;
  case NodeKind::IndexMul:
    return a + " * " + b;
  case NodeKind::IndexDiv:
    return a + " / " + b;
  case NodeKind::IndexMod:
    return a + " % " + b;
  case NodeKind::IndexSub:
    return a + " - " + b;
  case NodeKind::IndexMin:
    return "min(" + a + ", " + b + ")";
  default:
    THUNDER_INTERNAL_ASSERT(false) << "not an index expression";
  }
  return "";
}

std::string KernelPrinter::value_expr(const Node& n) {
  switch (n.kind) {
  case NodeKind::Load:
    return load(n);
  case NodeKind::Unary:
    return unary(n, name_of(n.operands[0]), node(n.operands[0]).dtype);
  case NodeKind::Binary:
    return binary(n, name_of(n.operands[0]), name_of(n.operands[1]), node(n.operands[0]).dtype);
  case NodeKind::Where:
    return str("(", name_of(n.operands[0]), " ? ", name_of(n.operands[1]), " : ",
               name_of(n.operands[2]), ")");
  case NodeKind::Convert:
    return convert(name_of(n.operands[0]), node(n.operands[0]).dtype, n.dtype);
  case NodeKind::IndexLess:
    return str("(", name_of(n.operands[0]), " < ", name_of(n.operands[1]), ")");
  case NodeKind::IndexValue: {
    const std::string v = cast(compute_type(n.dtype), name_of(n.operands[0]));
    return is_floating(n.dtype) ? v : wrap(v, n.dtype);
  }
  default:
    THUNDER_INTERNAL_ASSERT(false) << "not a value expression";
  }
  return "";
}

void KernelPrinter::emit_arg_reduce(NodeId id) {
  const Node& n = node(id);
  const DType in = node(n.operands[0]).dtype;
  const DType c = compute_dtype(in);
  const bool max = n.prim == PrimId::argmax;
  if (c == DType::Bool) unsupported(n.prim, in, "is not generated");
  std::string init;
  if (is_floating(c)) {
    init = literal(max ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity(),
                   in);
  } else {
    init = int_limit(in, !max);
  }
  // The first strictly better value wins, so ties keep the first index; a NaN beats every
  // number and nothing beats a NaN, so the first NaN wins. Starting from the worst value
  // at index 0, a run of worst values (or -inf for argmax) gives 0, the first.
  const std::string best = str("v", next_value_++);
  const std::string at = str("v", next_value_++);
  const Loop& loop = kernel_.loops[static_cast<std::size_t>(n.loop)];
  const std::string r = str("r", next_loop_++);
  const char* type = compute_type(in);
  const char* index = compute_type(DType::Int64);
  const bool split = kernel_.cooperative && loop.parent == 0;
  const auto better = [&](const std::string& v, const std::string& than) {
    const std::string compare = str(v, max ? " > " : " < ", than);
    return is_floating(c) ? str("!isnan(", than, ") && (isnan(", v, ") || ", compare, ")")
                          : compare;
  };
  line(str(type, " ", best, " = ", init, ";"));
  line(str(index, " ", at, " = ", zero(DType::Int64), ";"));
  if (split) {
    // Each lane keeps the first best of its points (lane, lane + 256, ...); any lane's
    // (worst, 0) is chosen only when every value is the worst, and index 0 is then right.
    line(str("for (", index_type(), " ", r, " = lane; ", r, " < ", loop.extent, "u; ", r,
             " += ", kWorkgroupSize, "u) {"));
  } else {
    line(str("for (", index_type(), " ", r, " = 0u; ", r, " < ", loop.extent, "u; ++", r, ") {"));
  }
  names_[loop.index] = r;
  ++indent_;
  emit_block(n.loop, {n.operands[0]});
  const std::string v = name_of(n.operands[0]);
  line(str("if (", better(v, best), ") {"));
  ++indent_;
  line(str(best, " = ", v, ";"));
  line(str(at, " = ", cast(index, r), ";"));
  --indent_;
  line("}");
  --indent_;
  line("}");
  if (split) {
    // Lanes combine pairwise: the better value, or of equal ones (NaN equal to NaN) the
    // smaller index, so the first extreme of the whole loop wins.
    const std::string values = shared_array(type, "values");
    const std::string indices = shared_array(index, "indices");
    combine_lanes({{values, best}, {indices, at}}, [&](const std::string& half) {
      const std::string mine = str("v", next_value_++);
      const std::string other = str("v", next_value_++);
      const std::string other_at = str("v", next_value_++);
      line(str(type, " ", mine, " = ", values, "[lane];"));
      line(str(type, " ", other, " = ", values, "[lane + ", half, "];"));
      line(str(index, " ", other_at, " = ", indices, "[lane + ", half, "];"));
      const std::string equal = is_floating(c)
                                    ? str("(", other, " == ", mine, " || (isnan(", other,
                                          ") && isnan(", mine, ")))")
                                    : str("(", other, " == ", mine, ")");
      line(str("if ((", better(other, mine), ") || (", equal, " && ", other_at, " < ", indices,
               "[lane])) {"));
      ++indent_;
      line(str(values, "[lane] = ", other, ";"));
      line(str(indices, "[lane] = ", other_at, ";"));
      --indent_;
      line("}");
    });
  }
  names_[id] = at;
}

std::string KernelPrinter::int_limit(DType dtype, bool high) const {
  // Integer limits exactly (finite_range's doubles cannot hold int64's).
  std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  switch (dtype) {
  case DType::UInt8:
    lo = 0;
    hi = 255;
    break;
  case DType::Int8:
    lo = -128;
    hi = 127;
    break;
  case DType::Int16:
    lo = -32768;
    hi = 32767;
    break;
  case DType::Int32:
    lo = std::numeric_limits<std::int32_t>::min();
    hi = std::numeric_limits<std::int32_t>::max();
    break;
  default:
    break;
  }
  return literal(high ? hi : lo, dtype);
}

void KernelPrinter::emit_reduce(NodeId id) {
  const Node& n = node(id);
  if (n.prim == PrimId::argmax || n.prim == PrimId::argmin) {
    emit_arg_reduce(id);
    return;
  }
  const DType dtype = n.dtype;
  const DType c = compute_dtype(dtype);
  const bool fp = is_floating(c);
  const bool boolean = c == DType::Bool;
  if (boolean && (n.prim == PrimId::sum || n.prim == PrimId::prod)) {
    unsupported(n.prim, dtype, "is not generated (ltorch reduces bool as int64)");
  }
  std::string init;
  const bool max = n.prim == PrimId::amax;
  switch (n.prim) {
  case PrimId::sum:
    init = zero(dtype);
    break;
  case PrimId::prod:
    init = literal(std::int64_t{1}, dtype);
    break;
  case PrimId::amax:
  case PrimId::amin:
    if (boolean) {
      init = max ? "false" : "true";
    } else if (fp) {
      init = literal(max ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity(),
                     dtype);
    } else {
      init = int_limit(dtype, !max);
    }
    break;
  default:
    THUNDER_INTERNAL_ASSERT(false) << prim_name(n.prim) << " is not a reduction";
  }
  const std::string acc = str("v", next_value_++);
  const Loop& loop = kernel_.loops[static_cast<std::size_t>(n.loop)];
  const std::string r = str("r", next_loop_++);
  // In a cooperative kernel each lane takes every kWorkgroupSize-th point of an outermost
  // loop, then the lanes combine their partials in shared memory, halving each step.
  const bool split = kernel_.cooperative && loop.parent == 0;
  const char* type = compute_type(dtype);
  line(str(type, " ", acc, " = ", init, ";"));
  if (split) {
    line(str("for (", index_type(), " ", r, " = lane; ", r, " < ", loop.extent, "u; ", r,
             " += ", kWorkgroupSize, "u) {"));
  } else {
    line(str("for (", index_type(), " ", r, " = 0u; ", r, " < ", loop.extent, "u; ++", r, ") {"));
  }
  names_[loop.index] = r;
  ++indent_;
  emit_block(n.loop, {n.operands[0]});
  line(str(acc, " = ", combine(n, acc, name_of(n.operands[0])), ";"));
  --indent_;
  line("}");
  if (split) {
    const std::string partials = shared_array(type, "partials");
    combine_lanes({{partials, acc}}, [&](const std::string& half) {
      const std::string mine = str("v", next_value_++);
      const std::string other = str("v", next_value_++);
      line(str(type, " ", mine, " = ", partials, "[lane];"));
      line(str(type, " ", other, " = ", partials, "[lane + ", half, "];"));
      line(str(partials, "[lane] = ", combine(n, mine, other), ";"));
    });
  }
  names_[id] = acc;
}

void KernelPrinter::combine_lanes(
    const std::vector<std::pair<std::string, std::string>>& arrays,
    const std::function<void(const std::string& half)>& step) {
  for (const auto& [array, value] : arrays)
    line(str(array, "[lane] = ", value, ";"));
  line(str(workgroup_barrier(), ";"));
  const std::string half = str("r", next_loop_++);
  line(str("for (", index_type(), " ", half, " = ", kWorkgroupSize / 2, "u; ", half, " > 0u; ",
           half, " /= 2u) {"));
  ++indent_;
  line(str("if (lane < ", half, ") {"));
  ++indent_;
  step(half);
  --indent_;
  line("}");
  line(str(workgroup_barrier(), ";"));
  --indent_;
  line("}");
  for (const auto& [array, value] : arrays)
    line(str(value, " = ", array, "[0];"));
  // Every lane has read the total before a later reduction reuses the arrays.
  line(str(workgroup_barrier(), ";"));
}

std::string KernelPrinter::combine(const Node& n, const std::string& acc, const std::string& v) {
  const DType c = compute_dtype(n.dtype);
  const bool fp = is_floating(c);
  const bool max = n.prim == PrimId::amax;
  switch (n.prim) {
  case PrimId::sum:
    return fp ? str("(", acc, " + ", v, ")") : integer_arith("+", acc, v, n.dtype);
  case PrimId::prod:
    return fp ? str("(", acc, " * ", v, ")") : integer_arith("*", acc, v, n.dtype);
  default:
    if (c == DType::Bool) return str(acc, max ? " || " : " && ", v);
    // NaN wins, as in torch: once acc is NaN no comparison replaces it.
    if (fp) return str("(isnan(", v, ") || ", v, max ? " > " : " < ", acc, ") ? ", v, " : ", acc);
    return str(max ? "max(" : "min(", acc, ", ", v, ")");
  }
}

std::string KernelPrinter::shared_array(const char* type, const char* role) {
  const std::string prefix = str(role, "_");
  for (const auto& [t, name] : shared_arrays_) {
    if (t == type && name.rfind(prefix, 0) == 0) return name;
  }
  shared_arrays_.emplace_back(type, str(prefix, shared_arrays_.size()));
  return shared_arrays_.back().second;
}

void KernelPrinter::emit_node(NodeId id) {
  const Node& n = node(id);
  switch (n.kind) {
  case NodeKind::ThreadIndex:
  case NodeKind::IndexConstant:
  case NodeKind::Constant:
    return; // printed where used
  case NodeKind::LoopIndex:
    THUNDER_INTERNAL_ASSERT(false) << "a loop index is defined by its loop";
    return;
  case NodeKind::IndexAdd:
  case NodeKind::IndexMul:
  case NodeKind::IndexDiv:
  case NodeKind::IndexMod:
  case NodeKind::IndexSub:
  case NodeKind::IndexMin:
  case NodeKind::CheckedIndex: {
    const std::string e = index_expr(n);
    const std::string name = str("i", next_index_++);
    line(str(index_type(), " ", name, " = ", e, ";"));
    names_[id] = name;
    return;
  }
  case NodeKind::Reduce:
    emit_reduce(id);
    return;
  default: {
    const std::string e = value_expr(n);
    const std::string name = str("v", next_value_++);
    line(str(compute_type(n.dtype), " ", name, " = ", e, ";"));
    names_[id] = name;
    return;
  }
  }
}

void KernelPrinter::emit_block(int scope, const std::vector<NodeId>& roots) {
  std::set<NodeId> reachable;
  std::vector<NodeId> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    const NodeId id = stack.back();
    stack.pop_back();
    if (!reachable.insert(id).second) continue;
    for (const NodeId op : node(id).operands)
      stack.push_back(op);
  }
  // Ids are a topological order; the nodes of inner loops are emitted by their Reduce.
  for (const NodeId id : reachable) {
    const Node& n = node(id);
    if (n.scope != scope || names_.count(id) != 0 || n.kind == NodeKind::LoopIndex) continue;
    emit_node(id);
  }
}

std::string KernelPrinter::print_body() {
  // Stores grouped by element count: those of the largest run in every invocation, the
  // others in a guarded block each.
  std::vector<std::int64_t> counts;
  std::map<std::int64_t, std::vector<const Store*>> groups;
  for (const Store& s : kernel_.stores) {
    std::int64_t numel = 1;
    for (const std::int64_t e : kernel_.outputs[static_cast<std::size_t>(s.output)].shape)
      numel *= e;
    if (groups.count(numel) == 0) counts.push_back(numel);
    groups[numel].push_back(&s);
  }
  // The full-size group first, so its values are visible in the guarded blocks.
  std::stable_partition(counts.begin(), counts.end(),
                        [&](std::int64_t c) { return c == kernel_.num_invocations; });
  for (const std::int64_t count : counts) {
    const bool guarded = count != kernel_.num_invocations;
    const std::map<NodeId, std::string> saved = names_;
    if (guarded) {
      line(str("if (idx < ", count, "u) {"));
      ++indent_;
    }
    std::vector<NodeId> roots;
    for (const Store* s : groups[count])
      roots.push_back(s->value);
    emit_block(0, roots);
    // Every lane of a cooperative kernel holds the same values; the first stores them.
    if (kernel_.cooperative) {
      line("if (lane == 0u) {");
      ++indent_;
    }
    for (const Store* s : groups[count]) {
      const Buffer& out = kernel_.outputs[static_cast<std::size_t>(s->output)];
      line(store(s->output, out, name_of(s->value)) + ";");
    }
    if (kernel_.cooperative) {
      --indent_;
      line("}");
    }
    if (guarded) {
      --indent_;
      line("}");
      names_ = saved;
    }
  }
  return body_.str();
}

} // namespace thunder::codegen
