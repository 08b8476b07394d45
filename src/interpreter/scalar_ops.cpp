#include "scalar_ops.h"

#include "thunder/core/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace thunder::interpreter_detail {

std::string ScalarCall::where() const {
  return node.location ? str(" at ", node.location->to_string()) : std::string();
}

namespace {

using Values = std::vector<Value>;

[[noreturn]] void fail(const ScalarCall& call, const std::string& what) {
  throw ModelError(str(call.node.target, call.where(), ": ", what));
}

const Value& arg(const ScalarCall& call, std::size_t i) {
  if (i >= call.args.size()) {
    fail(call, str("expected at least ", i + 1, " arguments, got ", call.args.size()));
  }
  return call.args[i];
}

bool is_concrete_number(const Value& v) {
  return v.kind() == ValueKind::Bool || v.kind() == ValueKind::Int ||
         v.kind() == ValueKind::Float;
}

// Python's int(): bools are ints.
std::int64_t to_int(const ScalarCall& call, const Value& v) {
  if (v.kind() == ValueKind::Int) return v.as_int();
  if (v.kind() == ValueKind::Bool) return v.as_bool() ? 1 : 0;
  if (v.kind() == ValueKind::Float) return static_cast<std::int64_t>(v.as_float());
  fail(call, str("expected an int, got ", value_kind_name(v.kind()), " ", v.repr()));
}

double to_float(const ScalarCall& call, const Value& v) {
  if (v.kind() == ValueKind::Bool) return v.as_bool() ? 1.0 : 0.0;
  if (v.kind() == ValueKind::Int || v.kind() == ValueKind::Float) return v.as_float();
  fail(call, str("expected a number, got ", value_kind_name(v.kind()), " ", v.repr()));
}

bool truthy(const ScalarCall& call, const Value& v) {
  switch (v.kind()) {
  case ValueKind::None:
    return false;
  case ValueKind::Bool:
    return v.as_bool();
  case ValueKind::Int:
    return v.as_int() != 0;
  case ValueKind::Float:
    return v.as_float() != 0.0;
  case ValueKind::String:
    return !v.as_string().empty();
  case ValueKind::List:
    return !v.as_list().empty();
  default:
    fail(call, str("cannot take the truth value of ", value_kind_name(v.kind()), " ", v.repr()));
  }
}

bool any_float(const Value& a, const Value& b) {
  return a.kind() == ValueKind::Float || b.kind() == ValueKind::Float;
}

// The c10::ScalarType code of a dtype: TorchScript compares dtypes with ints.
std::int64_t c10_code(DType dtype) {
  switch (dtype) {
  case DType::UInt8:
    return 0;
  case DType::Int8:
    return 1;
  case DType::Int16:
    return 2;
  case DType::Int32:
    return 3;
  case DType::Int64:
    return 4;
  case DType::Float16:
    return 5;
  case DType::Float32:
    return 6;
  case DType::Float64:
    return 7;
  case DType::Bool:
    return 11;
  case DType::BFloat16:
    return 15;
  }
  return -1;
}

// Python's ==, with TorchScript's dtype-as-int.
bool equal(const Value& a, const Value& b) {
  if (is_concrete_number(a) && is_concrete_number(b)) {
    if (any_float(a, b)) {
      const double x = a.kind() == ValueKind::Bool ? a.as_bool() : a.as_float();
      const double y = b.kind() == ValueKind::Bool ? b.as_bool() : b.as_float();
      return x == y;
    }
    const std::int64_t x = a.kind() == ValueKind::Bool ? a.as_bool() : a.as_int();
    const std::int64_t y = b.kind() == ValueKind::Bool ? b.as_bool() : b.as_int();
    return x == y;
  }
  if (a.kind() == ValueKind::DType && b.kind() == ValueKind::Int)
    return c10_code(a.as_dtype()) == b.as_int();
  if (b.kind() == ValueKind::DType && a.kind() == ValueKind::Int)
    return c10_code(b.as_dtype()) == a.as_int();
  return a == b;
}

// -1, 0, 1 as Python orders numbers (or strings).
int compare(const ScalarCall& call, const Value& a, const Value& b) {
  if (a.kind() == ValueKind::String && b.kind() == ValueKind::String)
    return a.as_string().compare(b.as_string()) < 0 ? -1 : a.as_string() == b.as_string() ? 0 : 1;
  if (any_float(a, b)) {
    const double x = to_float(call, a), y = to_float(call, b);
    return x < y ? -1 : x == y ? 0 : 1;
  }
  const std::int64_t x = to_int(call, a), y = to_int(call, b);
  return x < y ? -1 : x == y ? 0 : 1;
}

std::int64_t floor_div(const ScalarCall& call, std::int64_t a, std::int64_t b) {
  if (b == 0) fail(call, "integer division by zero");
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t python_mod(const ScalarCall& call, std::int64_t a, std::int64_t b) {
  if (b == 0) fail(call, "integer modulo by zero");
  const std::int64_t r = a % b;
  return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}

std::int64_t normalize_index(const ScalarCall& call, std::int64_t index, std::size_t size) {
  const auto n = static_cast<std::int64_t>(size);
  const std::int64_t i = index < 0 ? index + n : index;
  if (i < 0 || i >= n) fail(call, str("index ", index, " is out of range for length ", n));
  return i;
}

const Value::List& list_arg(const ScalarCall& call, std::size_t i) {
  const Value& v = arg(call, i);
  if (!v.is_list()) fail(call, str("expected a list, got ", value_kind_name(v.kind()), " ", v.repr()));
  return v.as_list();
}

const TensorProxy& tensor_arg(const ScalarCall& call, std::size_t i) {
  const Value& v = arg(call, i);
  if (!v.is_tensor()) {
    fail(call, str("expected a tensor, got ", value_kind_name(v.kind()), " ", v.repr()));
  }
  return *v.as_tensor();
}

// A binary arithmetic op: the int version, the float version, and what a list or string
// operand does (nullptr: unsupported).
using IntOp = std::function<Value(const ScalarCall&, std::int64_t, std::int64_t)>;
using FloatOp = std::function<Value(const ScalarCall&, double, double)>;

ScalarOp arithmetic(IntOp int_op, FloatOp float_op) {
  return {false, false, false,
          [int_op, float_op](const ScalarCall& call) -> Values {
            const Value& a = arg(call, 0);
            const Value& b = arg(call, 1);
            if (!is_concrete_number(a) || !is_concrete_number(b)) {
              fail(call, str("unsupported operands ", a.repr(), " and ", b.repr()));
            }
            if (any_float(a, b) || !int_op) return {float_op(call, to_float(call, a), to_float(call, b))};
            return {int_op(call, to_int(call, a), to_int(call, b))};
          }};
}

ScalarOp comparison(std::function<bool(int)> holds) {
  return {false, false, false, [holds](const ScalarCall& call) -> Values {
            return {Value(holds(compare(call, arg(call, 0), arg(call, 1))))};
          }};
}

ScalarOp metadata(std::function<Value(const ScalarCall&)> fn) {
  return {true, false, false, [fn](const ScalarCall& call) -> Values { return {fn(call)}; }};
}

ScalarOp simple(std::function<Value(const ScalarCall&)> fn) {
  return {false, false, false, [fn](const ScalarCall& call) -> Values { return {fn(call)}; }};
}

ScalarOp conversion(std::function<Value(const ScalarCall&)> fn) {
  return {false, true, false, [fn](const ScalarCall& call) -> Values { return {fn(call)}; }};
}

// aten::format: "{}" placeholders replaced by the arguments, as str() prints them.
std::string python_str(const Value& v) {
  return v.kind() == ValueKind::String ? v.as_string() : v.repr();
}

std::map<std::string, ScalarOp, std::less<>> make_table() {
  std::map<std::string, ScalarOp, std::less<>> t;

  // Structure.
  t["prim::Constant"] = simple([](const ScalarCall& call) { return arg(call, 0); });
  t["prim::Constant"].takes_tensors = true;
  const auto construct = [](const ScalarCall& call) { return Value(Value::List(call.args)); };
  t["prim::ListConstruct"] = {true, false, false,
                              [construct](const ScalarCall& call) -> Values { return {construct(call)}; }};
  t["prim::TupleConstruct"] = t["prim::ListConstruct"];
  t["prim::ListUnpack"] = {true, false, false, [](const ScalarCall& call) -> Values {
                             const Value::List& items = list_arg(call, 0);
                             if (items.size() != call.node.outputs.size()) {
                               fail(call, str("cannot unpack ", items.size(), " values into ",
                                              call.node.outputs.size()));
                             }
                             return items;
                           }};
  t["prim::TupleUnpack"] = t["prim::ListUnpack"];
  t["prim::TupleIndex"] = {true, false, false, [](const ScalarCall& call) -> Values {
                             const Value::List& items = list_arg(call, 0);
                             return {items[normalize_index(call, to_int(call, arg(call, 1)),
                                                           items.size())]};
                           }};
  const auto identity = [](const ScalarCall& call) { return arg(call, 0); };
  t["prim::unchecked_cast"] = metadata(identity);
  t["prim::unchecked_unwrap_optional"] = metadata(identity);
  t["aten::list"] = simple(identity);
  t["prim::Uninitialized"] = simple([](const ScalarCall&) { return Value(); });
  t["aten::__is__"] = metadata([](const ScalarCall& call) {
    return Value(arg(call, 0) == arg(call, 1));
  });
  t["aten::__isnot__"] = metadata([](const ScalarCall& call) {
    return Value(!(arg(call, 0) == arg(call, 1)));
  });
  t["aten::append"] = {false, false, true, [](const ScalarCall& call) -> Values {
                         Value::List items = list_arg(call, 0);
                         items.push_back(arg(call, 1));
                         return {Value(std::move(items))};
                       }};
  t["aten::append"].takes_tensors = true;
  t["aten::warn"] = {true, false, false, [](const ScalarCall&) -> Values { return {}; }};
  t["prim::Print"] = t["aten::warn"];
  t["prim::RaiseException"] = {true, false, false, [](const ScalarCall& call) -> Values {
                                 const std::string message =
                                     call.args.empty() ? std::string() : python_str(call.args[0]);
                                 throw ArgumentError(str("the model raised an exception",
                                                         call.where(), ": ", message));
                               }};

  // Static metadata of a proxy.
  t["aten::size"] = metadata([](const ScalarCall& call) {
    const TensorProxy& x = tensor_arg(call, 0);
    if (call.args.size() < 2 || call.args[1].is_none()) return Value::ints(x.shape());
    const std::int64_t dim = to_int(call, call.args[1]);
    return Value(x.shape()[normalize_index(call, dim, x.shape().size())]);
  });
  t["aten::sym_size"] = t["aten::size"];
  t["aten::dim"] = metadata([](const ScalarCall& call) { return Value(tensor_arg(call, 0).ndim()); });
  t["aten::numel"] = metadata([](const ScalarCall& call) { return Value(tensor_arg(call, 0).numel()); });
  t["aten::sym_numel"] = t["aten::numel"];
  t["prim::device"] = metadata([](const ScalarCall& call) { return Value(tensor_arg(call, 0).device()); });
  t["prim::dtype"] = metadata([](const ScalarCall& call) { return Value(tensor_arg(call, 0).dtype()); });
  t["prim::is_cuda"] = metadata([](const ScalarCall& call) {
    return Value(tensor_arg(call, 0).device().to_string().rfind("cuda", 0) == 0);
  });
  t["aten::len"] = metadata([](const ScalarCall& call) {
    const Value& v = arg(call, 0);
    if (v.is_tensor()) {
      const TensorProxy& x = *v.as_tensor();
      if (x.ndim() == 0) fail(call, "len() of a 0-d tensor");
      return Value(x.shape()[0]);
    }
    if (v.kind() == ValueKind::String) return Value(static_cast<std::int64_t>(v.as_string().size()));
    return Value(static_cast<std::int64_t>(list_arg(call, 0).size()));
  });

  // Lists.
  t["aten::__getitem__"] = {true, false, false, [](const ScalarCall& call) -> Values {
                              const Value::List& items = list_arg(call, 0);
                              return {items[normalize_index(call, to_int(call, arg(call, 1)),
                                                            items.size())]};
                            }};
  t["aten::slice"] = simple([](const ScalarCall& call) {
    // aten::slice.t(list, start=None, end=None, step=1), with Python's clamping.
    const Value::List& items = list_arg(call, 0);
    const auto n = static_cast<std::int64_t>(items.size());
    const auto bound = [&](std::size_t i, std::int64_t fallback) {
      if (i >= call.args.size() || call.args[i].is_none()) return fallback;
      std::int64_t v = to_int(call, call.args[i]);
      if (v < 0) v += n;
      return std::clamp<std::int64_t>(v, 0, n);
    };
    const std::int64_t step =
        call.args.size() > 3 && !call.args[3].is_none() ? to_int(call, call.args[3]) : 1;
    if (step <= 0) fail(call, "list slices need a positive step");
    Value::List out;
    for (std::int64_t i = bound(1, 0); i < bound(2, n); i += step)
      out.push_back(items[i]);
    return Value(std::move(out));
  });
  t["aten::__contains__"] = {true, false, false, [](const ScalarCall& call) -> Values {
                               for (const Value& item : list_arg(call, 0)) {
                                 if (equal(item, arg(call, 1))) return {Value(true)};
                               }
                               return {Value(false)};
                             }};
  t["aten::__range_length"] = simple([](const ScalarCall& call) {
    const std::int64_t lo = to_int(call, arg(call, 0)), hi = to_int(call, arg(call, 1)),
                       step = to_int(call, arg(call, 2));
    if (step == 0) fail(call, "range() step must not be zero");
    if (step > 0) return Value(lo < hi ? (hi - lo + step - 1) / step : std::int64_t{0});
    return Value(lo > hi ? (lo - hi - step - 1) / -step : std::int64_t{0});
  });
  t["aten::__derive_index"] = simple([](const ScalarCall& call) {
    return Value(to_int(call, arg(call, 1)) + to_int(call, arg(call, 0)) * to_int(call, arg(call, 2)));
  });

  // Arithmetic. add on lists and strings concatenates.
  ScalarOp add = arithmetic([](const ScalarCall&, std::int64_t a, std::int64_t b) { return Value(a + b); },
                            [](const ScalarCall&, double a, double b) { return Value(a + b); });
  t["aten::add"] = {false, false, false, [number = add.fn](const ScalarCall& call) -> Values {
                      const Value& a = arg(call, 0);
                      const Value& b = arg(call, 1);
                      if (a.is_list() && b.is_list()) {
                        Value::List out = a.as_list();
                        out.insert(out.end(), b.as_list().begin(), b.as_list().end());
                        return {Value(std::move(out))};
                      }
                      if (a.kind() == ValueKind::String && b.kind() == ValueKind::String)
                        return {Value(a.as_string() + b.as_string())};
                      return number(call);
                    }};
  t["aten::sub"] = arithmetic([](const ScalarCall&, std::int64_t a, std::int64_t b) { return Value(a - b); },
                              [](const ScalarCall&, double a, double b) { return Value(a - b); });
  t["aten::mul"] = arithmetic([](const ScalarCall&, std::int64_t a, std::int64_t b) { return Value(a * b); },
                              [](const ScalarCall&, double a, double b) { return Value(a * b); });
  t["aten::div"] = arithmetic(nullptr, [](const ScalarCall& call, double a, double b) {
    if (b == 0) fail(call, "division by zero");
    return Value(a / b);
  });
  t["aten::truediv"] = t["aten::div"];
  t["aten::floordiv"] = arithmetic(
      [](const ScalarCall& call, std::int64_t a, std::int64_t b) { return Value(floor_div(call, a, b)); },
      [](const ScalarCall& call, double a, double b) {
        if (b == 0) fail(call, "division by zero");
        return Value(std::floor(a / b));
      });
  t["aten::remainder"] = arithmetic(
      [](const ScalarCall& call, std::int64_t a, std::int64_t b) { return Value(python_mod(call, a, b)); },
      [](const ScalarCall& call, double a, double b) {
        if (b == 0) fail(call, "modulo by zero");
        return Value(a - std::floor(a / b) * b);
      });
  t["aten::__mod__"] = t["aten::remainder"];
  t["aten::pow"] = arithmetic(
      [](const ScalarCall&, std::int64_t a, std::int64_t b) {
        if (b < 0) return Value(std::pow(static_cast<double>(a), static_cast<double>(b)));
        std::int64_t out = 1;
        for (std::int64_t i = 0; i < b; ++i)
          out *= a;
        return Value(out);
      },
      [](const ScalarCall&, double a, double b) { return Value(std::pow(a, b)); });
  t["aten::neg"] = simple([](const ScalarCall& call) {
    const Value& a = arg(call, 0);
    return a.kind() == ValueKind::Float ? Value(-a.as_float()) : Value(-to_int(call, a));
  });
  t["aten::abs"] = simple([](const ScalarCall& call) {
    const Value& a = arg(call, 0);
    return a.kind() == ValueKind::Float ? Value(std::abs(a.as_float()))
                                        : Value(std::abs(to_int(call, a)));
  });
  t["aten::ceil"] = simple([](const ScalarCall& call) {
    return Value(static_cast<std::int64_t>(std::ceil(to_float(call, arg(call, 0)))));
  });
  t["aten::floor"] = simple([](const ScalarCall& call) {
    return Value(static_cast<std::int64_t>(std::floor(to_float(call, arg(call, 0)))));
  });
  t["aten::sqrt"] = simple([](const ScalarCall& call) { return Value(std::sqrt(to_float(call, arg(call, 0)))); });
  const auto min_max = [](bool want_max) {
    return simple([want_max](const ScalarCall& call) {
      const Value::List items = call.args.size() == 1 ? list_arg(call, 0) : Value::List(call.args);
      if (items.empty()) fail(call, "min()/max() of an empty sequence");
      Value best = items[0];
      for (const Value& item : items) {
        const int c = compare(call, item, best);
        if (want_max ? c > 0 : c < 0) best = item;
      }
      return best;
    });
  };
  t["prim::min"] = min_max(false);
  t["prim::max"] = min_max(true);

  // Comparisons and logic. eq/ne compare any values (None, strings, lists, dtypes).
  t["aten::eq"] = simple([](const ScalarCall& call) { return Value(equal(arg(call, 0), arg(call, 1))); });
  t["aten::ne"] = simple([](const ScalarCall& call) { return Value(!equal(arg(call, 0), arg(call, 1))); });
  t["aten::lt"] = comparison([](int c) { return c < 0; });
  t["aten::le"] = comparison([](int c) { return c <= 0; });
  t["aten::gt"] = comparison([](int c) { return c > 0; });
  t["aten::ge"] = comparison([](int c) { return c >= 0; });
  t["aten::__not__"] = simple([](const ScalarCall& call) { return Value(!truthy(call, arg(call, 0))); });
  const auto logic = [](std::function<std::int64_t(std::int64_t, std::int64_t)> op) {
    return simple([op](const ScalarCall& call) {
      const Value& a = arg(call, 0);
      const Value& b = arg(call, 1);
      const std::int64_t r = op(to_int(call, a), to_int(call, b));
      if (a.kind() == ValueKind::Bool && b.kind() == ValueKind::Bool) return Value(r != 0);
      return Value(r);
    });
  };
  t["aten::__and__"] = logic([](std::int64_t a, std::int64_t b) { return a & b; });
  t["aten::__or__"] = logic([](std::int64_t a, std::int64_t b) { return a | b; });
  t["aten::__xor__"] = logic([](std::int64_t a, std::int64_t b) { return a ^ b; });

  // Conversions. On a proxy these need the tensor's data (the Interpreter marks them).
  t["aten::Int"] = conversion([](const ScalarCall& call) {
    const Value& v = arg(call, 0);
    if (v.kind() == ValueKind::String) return Value(static_cast<std::int64_t>(std::stoll(v.as_string())));
    return Value(to_int(call, v));
  });
  t["aten::Float"] = conversion([](const ScalarCall& call) {
    const Value& v = arg(call, 0);
    if (v.kind() == ValueKind::String) return Value(std::stod(v.as_string()));
    return Value(to_float(call, v));
  });
  t["aten::Bool"] = conversion([](const ScalarCall& call) { return Value(truthy(call, arg(call, 0))); });
  t["aten::ScalarImplicit"] = conversion(identity);
  t["aten::item"] = conversion(identity);
  t["aten::is_nonzero"] = conversion([](const ScalarCall& call) { return Value(truthy(call, arg(call, 0))); });
  t["aten::tolist"] = conversion(identity);
  t["prim::tolist"] = conversion(identity);
  // With static values a number stays a number; ops that take it as a tensor accept it.
  t["prim::NumToTensor"] = simple(identity);
  t["aten::str"] = simple([](const ScalarCall& call) { return Value(python_str(arg(call, 0))); });
  t["aten::format"] = {true, false, false, [](const ScalarCall& call) -> Values {
                         std::string format = arg(call, 0).kind() == ValueKind::String
                                                  ? arg(call, 0).as_string()
                                                  : arg(call, 0).repr();
                         std::string out;
                         std::size_t next = 1;
                         for (std::size_t i = 0; i < format.size(); ++i) {
                           if (format.compare(i, 2, "{}") == 0 && next < call.args.size()) {
                             out += python_str(call.args[next++]);
                             ++i;
                           } else {
                             out += format[i];
                           }
                         }
                         return {Value(out)};
                       }};
  return t;
}

} // namespace

const ScalarOp* find_scalar_op(std::string_view target) {
  static const std::map<std::string, ScalarOp, std::less<>> table = make_table();
  auto it = table.find(target);
  if (it == table.end()) {
    // "aten::add.int" -> "aten::add"; the overload is after the first '.' past "::".
    const std::size_t ns = target.find("::");
    const std::size_t dot = target.find('.', ns == std::string_view::npos ? 0 : ns + 2);
    if (dot != std::string_view::npos) it = table.find(target.substr(0, dot));
  }
  return it == table.end() ? nullptr : &it->second;
}

} // namespace thunder::interpreter_detail
