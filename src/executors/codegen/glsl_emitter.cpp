#include "thunder/executors/codegen/glsl_emitter.h"

#include "thunder/core/error.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace thunder::codegen {
namespace {

using prims::PrimId;

std::string prim_name(PrimId id) {
  return prims::symbol(id).qualified_name();
}

// Helper functions a shader may need, printed before main() in this (enum) order.
enum class Helper {
  Bf16ToFloat,
  FloatToBf16,
  RoundBf16,
  RoundF16,
  Erf,
  Tanh,
  LogSeries,
  Log,
  Log2,
  Log1p,
  Expm1,
  Pow,
  RemainderInt,
  RemainderInt64,
};

const char* helper_source(Helper helper) {
  switch (helper) {
  case Helper::Bf16ToFloat:
    return "float thunder_bf16_to_float(uint bits) { return uintBitsToFloat(bits << 16); }\n";
  case Helper::FloatToBf16:
    return "// float -> bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN.\n"
           "uint thunder_float_to_bf16(float x) {\n"
           "  uint u = floatBitsToUint(x);\n"
           "  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0u;\n"
           "  return (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;\n"
           "}\n";
  case Helper::RoundBf16:
    return "float thunder_round_bf16(float x) { return "
           "thunder_bf16_to_float(thunder_float_to_bf16(x)); }\n";
  case Helper::RoundF16:
    return "float thunder_round_f16(float x) { return unpackHalf2x16(packHalf2x16(vec2(x, "
           "0.0))).x; }\n";
  case Helper::Erf:
    return "// GLSL has no erf. Below |x| = 0.5: Taylor series to x^13 (relative error < 1e-9\n"
           "// before rounding); above: Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7).\n"
           "// Float arithmetic adds a few ulp to either.\n"
           "float thunder_erf(float x) {\n"
           "  float ax = abs(x);\n"
           "  if (ax < 0.5) {\n"
           "    float x2 = x * x;\n"
           "    return 1.12837917 * x * (1.0 + x2 * (-0.333333333 + x2 * (0.1 + x2 * "
           "(-0.0238095238 + x2 * (0.00462962963 + x2 * (-0.000757575758 + x2 * "
           "0.000106837607))))));\n"
           "  }\n"
           "  float t = 1.0 / (1.0 + 0.3275911 * ax);\n"
           "  float y = 1.0 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * "
           "(-1.453152027 + t * 1.061405429)))) * exp(-ax * ax);\n"
           "  return x < 0.0 ? -y : y;\n"
           "}\n";
  case Helper::Tanh:
    return "// Below |x| = 0.25 the Taylor series to x^11 (relative error < 1e-9 before "
           "rounding):\n"
           "// tanh as (e^2x - 1) / (e^2x + 1) loses the small values. tanh(x) rounds to +-1 in\n"
           "// float beyond |x| = 10, and some drivers' tanh overflows to NaN there.\n"
           "float thunder_tanh(float x) {\n"
           "  if (abs(x) < 0.25) {\n"
           "    float x2 = x * x;\n"
           "    return x * (1.0 + x2 * (-0.333333333 + x2 * (0.133333333 + x2 * (-0.0539682540 + "
           "x2 * (0.0218694885 + x2 * -0.00886323552)))));\n"
           "  }\n"
           "  return abs(x) > 10.0 ? sign(x) : tanh(x);\n"
           "}\n";
  case Helper::LogSeries:
    return "// log((1 + s) / (1 - s)) = 2 atanh(s) for |s| <= 1/3, by its series to s^15 "
           "(relative\n"
           "// error < 2e-9 before rounding). Vulkan allows log an absolute error of 2^-21 for\n"
           "// arguments in [0.5, 2], which is a large relative error near 1 (lavapipe: 5%).\n"
           "float thunder_log_series(float s) {\n"
           "  float s2 = s * s;\n"
           "  return 2.0 * s * (1.0 + s2 * (0.333333333 + s2 * (0.2 + s2 * (0.142857143 + s2 * "
           "(0.111111111 + s2 * (0.0909090909 + s2 * (0.0769230769 + s2 * 0.0666666667)))))));\n"
           "}\n";
  case Helper::Log:
    return "// GLSL leaves log(x <= 0) undefined; torch gives -inf at 0 and NaN below.\n"
           "float thunder_log(float x) {\n"
           "  if (x <= 0.0) return x == 0.0 ? uintBitsToFloat(0xFF800000u) : "
           "uintBitsToFloat(0x7FC00000u);\n"
           "  // x - 1 is exact in [0.5, 2].\n"
           "  return (x >= 0.5 && x <= 2.0) ? thunder_log_series((x - 1.0) / (x + 1.0)) : log(x);\n"
           "}\n";
  case Helper::Log2:
    return "float thunder_log2(float x) {\n"
           "  if (x <= 0.0) return x == 0.0 ? uintBitsToFloat(0xFF800000u) : "
           "uintBitsToFloat(0x7FC00000u);\n"
           "  return (x >= 0.5 && x <= 2.0) ? thunder_log_series((x - 1.0) / (x + 1.0)) * "
           "1.44269504 : log2(x);\n"
           "}\n";
  case Helper::Log1p:
    return "// log(1 + x) = 2 atanh(x / (2 + x)), with no rounding of 1 + x, for x in [-0.5, 1].\n"
           "float thunder_log1p(float x) {\n"
           "  if (x <= -1.0) return x == -1.0 ? uintBitsToFloat(0xFF800000u) : "
           "uintBitsToFloat(0x7FC00000u);\n"
           "  return (x >= -0.5 && x <= 1.0) ? thunder_log_series(x / (2.0 + x)) : log(1.0 + x);\n"
           "}\n";
  case Helper::Expm1:
    return "// exp(x) - 1: below |x| = 0.5 the Taylor series to x^9 (relative error < 1e-9 before\n"
           "// rounding), where exp(x) - 1 would cancel.\n"
           "float thunder_expm1(float x) {\n"
           "  if (abs(x) < 0.5) {\n"
           "    return x * (1.0 + x * (0.5 + x * (0.166666667 + x * (0.0416666667 + x * "
           "(0.00833333333 + x * (0.00138888889 + x * (0.000198412698 + x * (2.48015873e-05 + "
           "x * 2.75573192e-06))))))));\n"
           "  }\n"
           "  return exp(x) - 1.0;\n"
           "}\n";
  case Helper::Pow:
    return "// pow with C's results where GLSL's is undefined (x <= 0, y == 0).\n"
           "float thunder_pow(float x, float y) {\n"
           "  if (y == 0.0 || x == 1.0) return 1.0;\n"
           "  if (x == 0.0) return y > 0.0 ? 0.0 : uintBitsToFloat(0x7F800000u);\n"
           "  if (x < 0.0) {\n"
           "    if (trunc(y) != y) return uintBitsToFloat(0x7FC00000u);\n"
           "    float r = pow(-x, y);\n"
           "    return mod(y, 2.0) == 1.0 ? -r : r;\n"
           "  }\n"
           "  return pow(x, y);\n"
           "}\n";
  case Helper::RemainderInt:
    return "// Python's remainder: the result takes the divisor's sign.\n"
           "int thunder_remainder(int a, int b) {\n"
           "  int r = a - b * (a / b);\n"
           "  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;\n"
           "}\n";
  case Helper::RemainderInt64:
    return "int64_t thunder_remainder(int64_t a, int64_t b) {\n"
           "  int64_t r = a - b * (a / b);\n"
           "  return (r != 0l && ((r < 0l) != (b < 0l))) ? r + b : r;\n"
           "}\n";
  }
  return "";
}

const char* compute_type(DType dtype) {
  switch (dtype) {
  case DType::Bool:
    return "bool";
  case DType::UInt8:
  case DType::Int8:
  case DType::Int16:
  case DType::Int32:
    return "int";
  case DType::Int64:
    return "int64_t";
  case DType::Float16:
  case DType::BFloat16:
  case DType::Float32:
    return "float";
  case DType::Float64:
    return "double";
  }
  return "";
}

const char* storage_type(DType dtype) {
  switch (dtype) {
  case DType::Bool:
  case DType::UInt8:
    return "uint8_t";
  case DType::Int8:
    return "int8_t";
  case DType::Int16:
    return "int16_t";
  case DType::Int32:
    return "int";
  case DType::Int64:
    return "int64_t";
  case DType::Float16:
    return "float16_t";
  case DType::BFloat16:
    return "uint16_t";
  case DType::Float32:
    return "float";
  case DType::Float64:
    return "double";
  }
  return "";
}

std::string float_literal(double value, bool is_double) {
  if (std::isnan(value)) {
    return is_double ? "packDouble2x32(uvec2(0u, 0x7FF80000u))" : "uintBitsToFloat(0x7FC00000u)";
  }
  if (std::isinf(value)) {
    if (is_double) {
      return value > 0 ? "packDouble2x32(uvec2(0u, 0x7FF00000u))"
                       : "packDouble2x32(uvec2(0u, 0xFFF00000u))";
    }
    return value > 0 ? "uintBitsToFloat(0x7F800000u)" : "uintBitsToFloat(0xFF800000u)";
  }
  char buffer[64];
  // The shortest text that reads back to the same float (or double).
  const auto [end, ec] =
      is_double ? std::to_chars(buffer, buffer + sizeof(buffer), value)
                : std::to_chars(buffer, buffer + sizeof(buffer), static_cast<float>(value));
  THUNDER_INTERNAL_ASSERT(ec == std::errc()) << "to_chars failed";
  std::string text(buffer, end);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  if (is_double) text += "lf";
  return text[0] == '-' ? "(" + text + ")" : text;
}

std::string int_literal(std::int64_t value, DType dtype) {
  if (dtype == DType::Int64) {
    if (value == std::numeric_limits<std::int64_t>::min()) return "(-9223372036854775807l - 1l)";
    return value < 0 ? str("(", value, "l)") : str(value, "l");
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

std::string literal(const ScalarValue& value, DType dtype) {
  const DType c = compute_dtype(dtype);
  if (c == DType::Bool) {
    return std::visit([](auto v) { return v != 0 ? "true" : "false"; }, value);
  }
  if (is_floating(c)) {
    return float_literal(std::visit([](auto v) { return static_cast<double>(v); }, value),
                         c == DType::Float64);
  }
  return int_literal(std::visit([](auto v) { return static_cast<std::int64_t>(v); }, value), dtype);
}

// An integer result wrapped to its dtype's width (narrow types are computed as int); expr
// is a primary expression (a name, a call or parenthesized).
std::string wrap(const std::string& expr, DType dtype) {
  switch (dtype) {
  case DType::UInt8:
    return "(" + expr + " & 255)";
  case DType::Int8:
    return "((" + expr + " << 24) >> 24)";
  case DType::Int16:
    return "((" + expr + " << 16) >> 16)";
  default:
    return expr;
  }
}

class GlslEmitter {
public:
  explicit GlslEmitter(const Kernel& kernel) : kernel_(kernel) {}
  std::string emit();

private:
  const Node& node(NodeId id) const { return kernel_.nodes[static_cast<std::size_t>(id)]; }
  [[noreturn]] void unsupported(PrimId prim, DType dtype, const std::string& why) const;
  void line(const std::string& text) { body_ << std::string(indent_ * 2, ' ') << text << "\n"; }
  std::string name_of(NodeId id) const;
  void emit_block(int scope, const std::vector<NodeId>& roots);
  void emit_node(NodeId id);
  std::string index_expr(const Node& n);
  std::string value_expr(const Node& n);
  std::string unary(const Node& n, const std::string& a, DType in);
  std::string binary(const Node& n, const std::string& a, const std::string& b, DType in);
  std::string convert(const std::string& a, DType from, DType to);
  std::string load(const Node& n);
  std::string store(const Buffer& buffer, const std::string& value);
  std::string zero(DType dtype) const { return literal(std::int64_t{0}, dtype); }

  const Kernel& kernel_;
  std::ostringstream body_;
  int indent_ = 1;
  std::set<Helper> helpers_;
  std::map<NodeId, std::string> names_;
  int next_index_ = 0;
  int next_value_ = 0;
  int next_loop_ = 0;
};

void GlslEmitter::unsupported(PrimId prim, DType dtype, const std::string& why) const {
  throw UnsupportedError(str("emit_glsl: kernel ", kernel_.name, ": ", prim_name(prim), " on ",
                             torch_name(dtype), " ", why,
                             "; leave this region to another executor"));
}

std::string GlslEmitter::name_of(NodeId id) const {
  const Node& n = node(id);
  if (n.kind == NodeKind::IndexConstant) return str(n.integer, "u");
  if (n.kind == NodeKind::Constant) return literal(n.constant, n.dtype);
  if (n.kind == NodeKind::ThreadIndex) return "idx";
  const auto it = names_.find(id);
  THUNDER_INTERNAL_ASSERT(it != names_.end()) << "node " << id << " used before it is emitted";
  return it->second;
}

std::string GlslEmitter::index_expr(const Node& n) {
  const std::string a = name_of(n.operands[0]);
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
  default:
    THUNDER_INTERNAL_ASSERT(false) << "not an index expression";
  }
  return "";
}

std::string GlslEmitter::load(const Node& n) {
  const Buffer& buffer = kernel_.inputs[static_cast<std::size_t>(n.integer)];
  const std::string element = str("in", n.integer, ".data[", name_of(n.operands[0]), "]");
  switch (buffer.dtype) {
  case DType::Bool:
    return "(uint(" + element + ") != 0u)";
  case DType::UInt8:
  case DType::Int8:
  case DType::Int16:
    return "int(" + element + ")";
  case DType::Float16:
    return "float(" + element + ")";
  case DType::BFloat16:
    helpers_.insert(Helper::Bf16ToFloat);
    return "thunder_bf16_to_float(uint(" + element + "))";
  default:
    return element;
  }
}

std::string GlslEmitter::store(const Buffer& buffer, const std::string& value) {
  switch (buffer.dtype) {
  case DType::Bool:
    return "uint8_t(" + value + " ? 1u : 0u)";
  case DType::UInt8:
    return "uint8_t(" + value + ")";
  case DType::Int8:
    return "int8_t(" + value + ")";
  case DType::Int16:
    return "int16_t(" + value + ")";
  case DType::Float16:
    return "float16_t(" + value + ")";
  case DType::BFloat16:
    helpers_.insert(Helper::FloatToBf16);
    return "uint16_t(thunder_float_to_bf16(" + value + "))";
  default:
    return value;
  }
}

std::string GlslEmitter::convert(const std::string& a, DType from, DType to) {
  const DType cf = compute_dtype(from);
  const DType ct = compute_dtype(to);
  std::string out;
  if (ct == DType::Bool) return "(" + a + " != " + zero(from) + ")";
  const bool same_type = std::strcmp(compute_type(from), compute_type(to)) == 0;
  if (cf == DType::Bool) {
    out = "(" + a + " ? " + literal(std::int64_t{1}, to) + " : " + zero(to) + ")";
  } else if (same_type) {
    out = a;
  } else {
    out = str(compute_type(to), "(", a, ")");
  }
  if (!is_floating(to)) return wrap(out, to);
  // A conversion to f16/bf16 rounds: later ops see the rounded value, as in eager torch.
  if (to == DType::Float16 && from != DType::Float16) {
    helpers_.insert(Helper::RoundF16);
    return "thunder_round_f16(" + out + ")";
  }
  if (to == DType::BFloat16 && from != DType::BFloat16) {
    helpers_.insert(Helper::Bf16ToFloat);
    helpers_.insert(Helper::FloatToBf16);
    helpers_.insert(Helper::RoundBf16);
    return "thunder_round_bf16(" + out + ")";
  }
  return out;
}

std::string GlslEmitter::unary(const Node& n, const std::string& a, DType in) {
  const DType c = compute_dtype(in);
  const bool fp = is_floating(c);
  const bool f64 = c == DType::Float64;
  const bool boolean = c == DType::Bool;
  const auto float_only = [&](const char* builtin) {
    if (f64)
      unsupported(n.prim, in,
                  str("cannot be written in GLSL, which has no double-precision ", builtin));
    return str(builtin, "(", a, ")");
  };
  switch (n.prim) {
  case PrimId::neg:
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    return fp ? "(-" + a + ")" : wrap("(-" + a + ")", in);
  case PrimId::abs:
    if (boolean) return a;
    return fp ? "abs(" + a + ")" : wrap("abs(" + a + ")", in);
  case PrimId::floor:
    return fp ? "floor(" + a + ")" : a;
  case PrimId::ceil:
    return fp ? "ceil(" + a + ")" : a;
  case PrimId::trunc:
    return fp ? "trunc(" + a + ")" : a;
  case PrimId::round:
    return fp ? "roundEven(" + a + ")" : a; // torch rounds half to even
  case PrimId::sign:
    if (fp) return "sign(" + a + ")";
    if (boolean) return a;
    return str("(", a, " > ", zero(in), " ? ", literal(std::int64_t{1}, in), " : (", a, " < ",
               zero(in), " ? ", literal(std::int64_t{-1}, in), " : ", zero(in), "))");
  case PrimId::bitwise_not:
    return boolean ? "(!" + a + ")" : wrap("(~" + a + ")", in);
  case PrimId::exp:
    return float_only("exp");
  case PrimId::exp2:
    return float_only("exp2");
  case PrimId::log:
    float_only("log");
    helpers_.insert(Helper::LogSeries);
    helpers_.insert(Helper::Log);
    return "thunder_log(" + a + ")";
  case PrimId::log2:
    float_only("log2");
    helpers_.insert(Helper::LogSeries);
    helpers_.insert(Helper::Log2);
    return "thunder_log2(" + a + ")";
  case PrimId::sin:
    return float_only("sin");
  case PrimId::cos:
    return float_only("cos");
  case PrimId::tan:
    return float_only("tan");
  case PrimId::log1p:
    float_only("log1p");
    helpers_.insert(Helper::LogSeries);
    helpers_.insert(Helper::Log1p);
    return "thunder_log1p(" + a + ")";
  case PrimId::expm1:
    float_only("expm1");
    helpers_.insert(Helper::Expm1);
    return "thunder_expm1(" + a + ")";
  case PrimId::tanh:
    float_only("tanh");
    helpers_.insert(Helper::Tanh);
    return "thunder_tanh(" + a + ")";
  case PrimId::erf:
    float_only("erf");
    helpers_.insert(Helper::Erf);
    return "thunder_erf(" + a + ")";
  case PrimId::sqrt:
    return "sqrt(" + a + ")";
  case PrimId::rsqrt:
    return "inversesqrt(" + a + ")";
  case PrimId::reciprocal:
    return "(" + literal(1.0, in) + " / " + a + ")";
  case PrimId::isnan:
    return fp ? "isnan(" + a + ")" : "false";
  case PrimId::isinf:
    return fp ? "isinf(" + a + ")" : "false";
  case PrimId::isfinite:
    return fp ? "!(isnan(" + a + ") || isinf(" + a + "))" : "true";
  case PrimId::logical_not:
    return boolean ? "(!" + a + ")" : "(" + a + " == " + zero(in) + ")";
  default:
    THUNDER_INTERNAL_ASSERT(false) << prim_name(n.prim) << " is not unary";
  }
  return "";
}

std::string GlslEmitter::binary(const Node& n, const std::string& a, const std::string& b,
                                DType in) {
  const DType c = compute_dtype(in);
  const bool fp = is_floating(c);
  const bool boolean = c == DType::Bool;
  const auto arith = [&](const char* op) {
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    const std::string e = str("(", a, " ", op, " ", b, ")");
    return fp ? e : wrap(e, in);
  };
  const auto truth = [&](const std::string& x) {
    return boolean ? x : "(" + x + " != " + zero(in) + ")";
  };
  const auto compare = [&](const char* op) {
    if (boolean && std::strcmp(op, "==") != 0 && std::strcmp(op, "!=") != 0) {
      return str("(int(", a, ") ", op, " int(", b, "))");
    }
    return str("(", a, " ", op, " ", b, ")");
  };
  switch (n.prim) {
  case PrimId::add:
    return boolean ? "(" + a + " || " + b + ")" : arith("+");
  case PrimId::sub:
    return arith("-");
  case PrimId::mul:
    return boolean ? "(" + a + " && " + b + ")" : arith("*");
  case PrimId::div:
    return arith("/"); // integers truncate, as C and the prim do
  case PrimId::pow:
    if (c != DType::Float32) {
      unsupported(n.prim, in, "is not generated yet (only float32, float16 and bfloat16)");
    }
    helpers_.insert(Helper::Pow);
    return "thunder_pow(" + a + ", " + b + ")";
  case PrimId::maximum:
  case PrimId::minimum: {
    const bool max = n.prim == PrimId::maximum;
    if (boolean) return str("(", a, max ? " || " : " && ", b, ")");
    const std::string builtin = str(max ? "max(" : "min(", a, ", ", b, ")");
    // torch propagates NaN; GLSL's max and min leave it undefined. A constant that is not
    // NaN needs no test.
    if (fp) {
      std::string test;
      for (const NodeId id : n.operands) {
        const Node& op = node(id);
        const bool nan_free =
            op.kind == NodeKind::Constant &&
            !std::isnan(std::visit([](auto v) { return static_cast<double>(v); }, op.constant));
        if (nan_free) continue;
        test += str(test.empty() ? "" : " || ", "isnan(", name_of(id), ")");
      }
      if (test.empty()) return builtin;
      return str("(", test, " ? ", a, " + ", b, " : ", builtin, ")");
    }
    return builtin;
  }
  case PrimId::fmod:
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    // C's fmod: the result takes the dividend's sign.
    if (fp) return str("(", a, " - ", b, " * trunc(", a, " / ", b, "))");
    return str("(", a, " - ", b, " * (", a, " / ", b, "))");
  case PrimId::remainder:
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    // GLSL's mod is x - y * floor(x / y): the divisor's sign, as Python's remainder.
    if (fp) return str("mod(", a, ", ", b, ")");
    helpers_.insert(c == DType::Int64 ? Helper::RemainderInt64 : Helper::RemainderInt);
    return wrap(str("thunder_remainder(", a, ", ", b, ")"), in);
  case PrimId::atan2:
    if (c == DType::Float64) {
      unsupported(n.prim, in, "cannot be written in GLSL, which has no double-precision atan");
    }
    return str("atan(", a, ", ", b, ")");
  case PrimId::bitwise_and:
    return boolean ? "(" + a + " && " + b + ")" : "(" + a + " & " + b + ")";
  case PrimId::bitwise_or:
    return boolean ? "(" + a + " || " + b + ")" : "(" + a + " | " + b + ")";
  case PrimId::bitwise_xor:
    return boolean ? "(" + a + " ^^ " + b + ")" : "(" + a + " ^ " + b + ")";
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
    return "(" + truth(a) + " ^^ " + truth(b) + ")";
  default:
    THUNDER_INTERNAL_ASSERT(false) << prim_name(n.prim) << " is not binary";
  }
  return "";
}

std::string GlslEmitter::value_expr(const Node& n) {
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
  default:
    THUNDER_INTERNAL_ASSERT(false) << "not a value expression";
  }
  return "";
}

void GlslEmitter::emit_node(NodeId id) {
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
  case NodeKind::IndexMod: {
    const std::string e = index_expr(n);
    const std::string name = str("i", next_index_++);
    line(str("uint ", name, " = ", e, ";"));
    names_[id] = name;
    return;
  }
  case NodeKind::Reduce: {
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
        init = literal(max ? lo : hi, dtype);
      }
      break;
    default:
      THUNDER_INTERNAL_ASSERT(false) << prim_name(n.prim) << " is not a reduction";
    }
    const std::string acc = str("v", next_value_++);
    const Loop& loop = kernel_.loops[static_cast<std::size_t>(n.loop)];
    const std::string r = str("r", next_loop_++);
    line(str(compute_type(dtype), " ", acc, " = ", init, ";"));
    line(str("for (uint ", r, " = 0u; ", r, " < ", loop.extent, "u; ++", r, ") {"));
    names_[loop.index] = r;
    ++indent_;
    emit_block(n.loop, {n.operands[0]});
    const std::string v = name_of(n.operands[0]);
    std::string next;
    switch (n.prim) {
    case PrimId::sum:
      next = wrap(str("(", acc, " + ", v, ")"), dtype);
      break;
    case PrimId::prod:
      next = wrap(str("(", acc, " * ", v, ")"), dtype);
      break;
    default:
      if (boolean) {
        next = str(acc, max ? " || " : " && ", v);
      } else if (fp) {
        // NaN wins, as in torch: once acc is NaN no comparison replaces it.
        next = str("(isnan(", v, ") || ", v, max ? " > " : " < ", acc, ") ? ", v, " : ", acc);
      } else {
        next = str(max ? "max(" : "min(", acc, ", ", v, ")");
      }
    }
    line(str(acc, " = ", next, ";"));
    --indent_;
    line("}");
    names_[id] = acc;
    return;
  }
  default: {
    const std::string e = value_expr(n);
    const std::string name = str("v", next_value_++);
    line(str(compute_type(n.dtype), " ", name, " = ", e, ";"));
    names_[id] = name;
    return;
  }
  }
}

void GlslEmitter::emit_block(int scope, const std::vector<NodeId>& roots) {
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

std::string GlslEmitter::emit() {
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
    for (const Store* s : groups[count]) {
      const Buffer& out = kernel_.outputs[static_cast<std::size_t>(s->output)];
      line(str("out", s->output, ".data[idx] = ", store(out, name_of(s->value)), ";"));
    }
    if (guarded) {
      --indent_;
      line("}");
      names_ = saved;
    }
  }

  // Extensions, from the storage and compute types in use.
  bool storage8 = false;
  bool storage16 = false;
  bool int64 = false;
  const auto note = [&](DType d) {
    storage8 |= d == DType::Bool || d == DType::UInt8 || d == DType::Int8;
    storage16 |= d == DType::Float16 || d == DType::BFloat16 || d == DType::Int16;
    int64 |= d == DType::Int64;
  };
  for (const Buffer& b : kernel_.inputs)
    note(b.dtype);
  for (const Buffer& b : kernel_.outputs)
    note(b.dtype);
  for (const Node& n : kernel_.nodes) {
    if (!is_index(n.kind)) int64 |= n.dtype == DType::Int64;
  }

  std::ostringstream out;
  out << "#version 450\n";
  out << "// Kernel " << kernel_.name << ", generated by thunder-cpp's GLSL emitter.\n";
  // 8- and 16-bit values are only loaded and stored (converted to 32 bits in between), so
  // the storage extensions suffice: no shaderInt8, shaderInt16 or shaderFloat16 needed.
  if (storage8) out << "#extension GL_EXT_shader_8bit_storage : require\n";
  if (storage16) out << "#extension GL_EXT_shader_16bit_storage : require\n";
  if (int64) out << "#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require\n";
  out << "\nlayout(local_size_x = " << kGlslLocalSize << ") in;\n\n";
  int binding = 0;
  const auto declare = [&](const Buffer& b, const char* access, const char* block,
                           const std::string& instance) {
    out << "// " << instance << ": " << b.name << " " << short_name(b.dtype)
        << shape_to_string(b.shape) << ", strides " << Value::ints(b.strides).repr() << "\n";
    out << "layout(std430, set = 0, binding = " << binding++ << ") " << access << " buffer "
        << block << " { " << storage_type(b.dtype) << " data[]; } " << instance << ";\n";
  };
  for (std::size_t i = 0; i < kernel_.inputs.size(); ++i) {
    declare(kernel_.inputs[i], "readonly", str("In", i).c_str(), str("in", i));
  }
  for (std::size_t i = 0; i < kernel_.outputs.size(); ++i) {
    declare(kernel_.outputs[i], "writeonly", str("Out", i).c_str(), str("out", i));
  }
  out << "layout(push_constant) uniform PushConstants { uint numel; } pc;\n";
  for (const Helper h : helpers_)
    out << "\n" << helper_source(h);
  out << "\nvoid main() {\n";
  out << "  uint idx = gl_GlobalInvocationID.y * (gl_NumWorkGroups.x * " << kGlslLocalSize
      << "u) + gl_GlobalInvocationID.x;\n";
  out << "  if (idx >= pc.numel) return;\n";
  out << body_.str();
  out << "}\n";
  return out.str();
}

} // namespace

std::string emit_glsl(const Kernel& kernel) {
  THUNDER_INTERNAL_ASSERT(!kernel.loops.empty() && !kernel.outputs.empty())
      << "emit_glsl: kernel " << kernel.name << " was not built by make_kernel";
  return GlslEmitter(kernel).emit();
}

} // namespace thunder::codegen
