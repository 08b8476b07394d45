#include "scalar_ops.h"

#include "thunder/core/error.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <compare>
#include <cstdlib>
#include <limits>
#include <map>
#include <string_view>

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

// 2**63 as a double: the doubles that fit in int64 are those in [-2**63, 2**63).
constexpr double two_to_63 = 9223372036854775808.0;

// A float's integer part (ceil/floor already applied by the caller, or truncation as
// Python's int() does). NaN and infinities are errors as in Python; a finite float
// beyond int64 is an error here, where Python would make a big int.
std::int64_t float_to_int(const ScalarCall& call, double d) {
  if (std::isnan(d)) fail(call, "cannot convert float NaN to integer");
  if (std::isinf(d))
    fail(call, str("cannot convert float ", d > 0 ? "" : "-", "infinity to integer"));
  const double t = std::trunc(d);
  if (t < -two_to_63 || t >= two_to_63) {
    fail(call, str("float ", float_repr(d), " does not fit in a 64-bit int"));
  }
  return static_cast<std::int64_t>(t);
}

// Python's int(): bools are ints.
std::int64_t to_int(const ScalarCall& call, const Value& v) {
  if (v.kind() == ValueKind::Int) return v.as_int();
  if (v.kind() == ValueKind::Bool) return v.as_bool() ? 1 : 0;
  if (v.kind() == ValueKind::Float) return float_to_int(call, v.as_float());
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

// An int against a float, exactly as Python orders them (no rounding of the int to a
// double): unordered when the float is NaN.
std::partial_ordering compare_int_float(std::int64_t i, double d) {
  if (std::isnan(d)) return std::partial_ordering::unordered;
  if (d >= two_to_63) return std::partial_ordering::less;
  if (d < -two_to_63) return std::partial_ordering::greater;
  const double t = std::trunc(d); // fits in int64 here
  const auto ti = static_cast<std::int64_t>(t);
  if (i != ti) return i <=> ti;
  return 0.0 <=> (d - t); // the same integer part: the fraction decides
}

// Two concrete numbers (bools are ints) as Python orders them; unordered with a NaN.
std::partial_ordering compare_numbers(const Value& a, const Value& b) {
  const auto int_of = [](const Value& v) -> std::int64_t {
    return v.kind() == ValueKind::Bool ? std::int64_t{v.as_bool()} : v.as_int();
  };
  const bool fa = a.kind() == ValueKind::Float, fb = b.kind() == ValueKind::Float;
  if (fa && fb) return a.as_float() <=> b.as_float();
  if (fa) return 0 <=> compare_int_float(int_of(b), a.as_float());
  if (fb) return compare_int_float(int_of(a), b.as_float());
  return int_of(a) <=> int_of(b);
}

// Python's ==, with TorchScript's dtype-as-int.
bool equal(const Value& a, const Value& b) {
  if (is_concrete_number(a) && is_concrete_number(b)) return compare_numbers(a, b) == 0;
  if (a.kind() == ValueKind::DType && b.kind() == ValueKind::Int)
    return c10_code(a.as_dtype()) == b.as_int();
  if (b.kind() == ValueKind::DType && a.kind() == ValueKind::Int)
    return c10_code(b.as_dtype()) == a.as_int();
  return a == b;
}

// How Python orders numbers or strings: <, <=, >, >= are false against a NaN
// (unordered).
std::partial_ordering compare(const ScalarCall& call, const Value& a, const Value& b) {
  if (a.kind() == ValueKind::String && b.kind() == ValueKind::String)
    return a.as_string() <=> b.as_string();
  if (is_concrete_number(a) && is_concrete_number(b)) return compare_numbers(a, b);
  fail(call, str("cannot order ", value_kind_name(a.kind()), " ", a.repr(), " and ",
                 value_kind_name(b.kind()), " ", b.repr()));
}

// Int arithmetic as Python's, within int64: a result beyond it is an error, not a wrap.
[[noreturn]] void int_overflow(const ScalarCall& call, std::int64_t a, std::string_view op,
                               std::int64_t b) {
  fail(call, str("integer overflow: ", a, " ", op, " ", b,
                 " does not fit in a 64-bit int (Python ints are unbounded; thunder's are "
                 "int64)"));
}

std::int64_t checked_add(const ScalarCall& call, std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) int_overflow(call, a, "+", b);
  return out;
}

std::int64_t checked_sub(const ScalarCall& call, std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) int_overflow(call, a, "-", b);
  return out;
}

std::int64_t checked_mul(const ScalarCall& call, std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) int_overflow(call, a, "*", b);
  return out;
}

std::int64_t checked_neg(const ScalarCall& call, std::int64_t a) {
  if (a == std::numeric_limits<std::int64_t>::min()) {
    fail(call, str("integer overflow: -(", a, ") does not fit in a 64-bit int"));
  }
  return -a;
}

std::int64_t floor_div(const ScalarCall& call, std::int64_t a, std::int64_t b) {
  if (b == 0) fail(call, "integer division by zero");
  if (b == -1) return checked_neg(call, a); // INT64_MIN / -1 overflows (SIGFPE in C++)
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t python_mod(const ScalarCall& call, std::int64_t a, std::int64_t b) {
  if (b == 0) fail(call, "integer modulo by zero");
  if (b == -1) return 0; // INT64_MIN % -1 is 0 in Python, SIGFPE in C++
  const std::int64_t r = a % b;
  return r != 0 && ((r < 0) != (b < 0)) ? r + b : r;
}

// Python's int ** int by squaring, O(log b) steps. A negative exponent gives a float
// as in Python (2 ** -1 == 0.5); a result beyond int64 is an error.
Value int_pow(const ScalarCall& call, std::int64_t a, std::int64_t b) {
  if (b < 0) {
    if (a == 0) fail(call, "0 cannot be raised to a negative power (ZeroDivisionError in Python)");
    return Value(std::pow(static_cast<double>(a), static_cast<double>(b)));
  }
  std::int64_t out = 1, base = a;
  for (std::int64_t e = b; e != 0; e >>= 1) {
    // Square the base only while a higher bit of the exponent needs it.
    const bool fits = ((e & 1) == 0 || !__builtin_mul_overflow(out, base, &out)) &&
                      (e == 1 || !__builtin_mul_overflow(base, base, &base));
    if (!fits) {
      fail(call,
           str("integer overflow: ", a, " ** ", b,
               " does not fit in a 64-bit int (Python ints are unbounded; thunder's are int64)"));
    }
  }
  return Value(out);
}

// Python's float ** float: errors where Python raises instead of returning inf or a
// complex number.
Value float_pow(const ScalarCall& call, double a, double b) {
  if (a == 0 && b < 0) {
    fail(call, "0.0 cannot be raised to a negative power (ZeroDivisionError in Python)");
  }
  if (a < 0 && std::isfinite(b) && b != std::trunc(b)) {
    fail(call, str("a negative number to a fractional power (", float_repr(a), " ** ",
                   float_repr(b), ") is a complex number in Python, not a float"));
  }
  const double out = std::pow(a, b);
  if (std::isinf(out) && std::isfinite(a) && std::isfinite(b)) {
    fail(call,
         str(float_repr(a), " ** ", float_repr(b), " overflows a float (OverflowError in Python)"));
  }
  return Value(out);
}

// Python's int(str) and float(str): surrounding whitespace and a leading '+' allowed,
// the rest must be the whole number.
std::string_view strip(std::string_view s) {
  const auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Python's int(str) (base 10) and float(str) on a string.
std::int64_t parse_int(const ScalarCall& call, const std::string& text) {
  std::string_view s = strip(text);
  if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || ec == std::errc::invalid_argument || end != s.data() + s.size()) {
    fail(call, str("invalid literal for int() with base 10: ", Value(text).repr()));
  }
  if (ec == std::errc::result_out_of_range) {
    fail(call, str("int(", Value(text).repr(), ") does not fit in a 64-bit int"));
  }
  return out;
}

double parse_float(const ScalarCall& call, const std::string& text) {
  std::string_view s = strip(text);
  if (s.size() > 1 && s.front() == '+' && s[1] != '-') s.remove_prefix(1);
  double out = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || ec == std::errc::invalid_argument || end != s.data() + s.size()) {
    fail(call, str("could not convert string to float: ", Value(text).repr()));
  }
  // Beyond a double's range Python gives an infinity or zero, as strtod does.
  if (ec == std::errc::result_out_of_range) return std::strtod(std::string(s).c_str(), nullptr);
  return out;
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

ScalarOp comparison(std::function<bool(std::partial_ordering)> holds) {
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
    // The span and the count in uint64: hi - lo may not fit in int64.
    const bool up = step > 0;
    if (up ? lo >= hi : lo <= hi) return Value(std::int64_t{0});
    const std::uint64_t span = up ? static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo)
                                  : static_cast<std::uint64_t>(lo) - static_cast<std::uint64_t>(hi);
    const std::uint64_t stride =
        up ? static_cast<std::uint64_t>(step) : std::uint64_t{0} - static_cast<std::uint64_t>(step);
    const std::uint64_t n = (span - 1) / stride + 1;
    if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail(call, str("range(", lo, ", ", hi, ", ", step, ") has more than 2**63 - 1 items"));
    }
    return Value(static_cast<std::int64_t>(n));
  });
  t["aten::__derive_index"] = simple([](const ScalarCall& call) {
    return Value(
        checked_add(call, to_int(call, arg(call, 1)),
                    checked_mul(call, to_int(call, arg(call, 0)), to_int(call, arg(call, 2)))));
  });

  // Arithmetic. add on lists and strings concatenates. ints: an IntOp from one of the
  // checked int functions above.
  const auto ints = [](std::int64_t (*op)(const ScalarCall&, std::int64_t, std::int64_t)) {
    return [op](const ScalarCall& call, std::int64_t a, std::int64_t b) {
      return Value(op(call, a, b));
    };
  };
  ScalarOp add = arithmetic(ints(checked_add),
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
  t["aten::sub"] = arithmetic(ints(checked_sub),
                              [](const ScalarCall&, double a, double b) { return Value(a - b); });
  t["aten::mul"] = arithmetic(ints(checked_mul),
                              [](const ScalarCall&, double a, double b) { return Value(a * b); });
  t["aten::div"] = arithmetic(nullptr, [](const ScalarCall& call, double a, double b) {
    if (b == 0) fail(call, "division by zero");
    return Value(a / b);
  });
  t["aten::truediv"] = t["aten::div"];
  t["aten::floordiv"] = arithmetic(
      ints(floor_div),
      [](const ScalarCall& call, double a, double b) {
        if (b == 0) fail(call, "division by zero");
        return Value(std::floor(a / b));
      });
  t["aten::remainder"] = arithmetic(
      ints(python_mod),
      [](const ScalarCall& call, double a, double b) {
        if (b == 0) fail(call, "modulo by zero");
        return Value(a - std::floor(a / b) * b);
      });
  t["aten::__mod__"] = t["aten::remainder"];
  t["aten::pow"] = arithmetic(int_pow, float_pow);
  // TorchScript's pow.int(int, int) -> float; pow.int_to_int (and torch.export's int
  // pow) keep the int.
  t["aten::pow.int"] = arithmetic(
      [](const ScalarCall& call, std::int64_t a, std::int64_t b) {
        return float_pow(call, static_cast<double>(a), static_cast<double>(b));
      },
      float_pow);
  t["aten::neg"] = simple([](const ScalarCall& call) {
    const Value& a = arg(call, 0);
    return a.kind() == ValueKind::Float ? Value(-a.as_float())
                                        : Value(checked_neg(call, to_int(call, a)));
  });
  t["aten::abs"] = simple([](const ScalarCall& call) {
    const Value& a = arg(call, 0);
    if (a.kind() == ValueKind::Float) return Value(std::abs(a.as_float()));
    const std::int64_t i = to_int(call, a);
    return Value(i < 0 ? checked_neg(call, i) : i);
  });
  // math.ceil / math.floor: an int stays itself (no rounding through a double).
  t["aten::ceil"] = simple([](const ScalarCall& call) {
    const Value& a = arg(call, 0);
    if (a.kind() != ValueKind::Float) return Value(to_int(call, a));
    return Value(float_to_int(call, std::ceil(a.as_float())));
  });
  t["aten::floor"] = simple([](const ScalarCall& call) {
    const Value& a = arg(call, 0);
    if (a.kind() != ValueKind::Float) return Value(to_int(call, a));
    return Value(float_to_int(call, std::floor(a.as_float())));
  });
  t["aten::sqrt"] = simple([](const ScalarCall& call) { return Value(std::sqrt(to_float(call, arg(call, 0)))); });
  // As Python's builtins: the first item, replaced by each later one that is greater
  // (max) or less (min); so a NaN first stays, and a NaN later is skipped.
  const auto min_max = [](bool want_max) {
    return simple([want_max](const ScalarCall& call) {
      const Value::List items = call.args.size() == 1 ? list_arg(call, 0) : Value::List(call.args);
      if (items.empty()) fail(call, "min()/max() of an empty sequence");
      Value best = items[0];
      for (const Value& item : items) {
        const std::partial_ordering c = compare(call, item, best);
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
  t["aten::lt"] = comparison([](std::partial_ordering c) { return c < 0; });
  t["aten::le"] = comparison([](std::partial_ordering c) { return c <= 0; });
  t["aten::gt"] = comparison([](std::partial_ordering c) { return c > 0; });
  t["aten::ge"] = comparison([](std::partial_ordering c) { return c >= 0; });
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
    if (v.kind() == ValueKind::String) return Value(parse_int(call, v.as_string()));
    return Value(to_int(call, v));
  });
  t["aten::Float"] = conversion([](const ScalarCall& call) {
    const Value& v = arg(call, 0);
    if (v.kind() == ValueKind::String) return Value(parse_float(call, v.as_string()));
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
