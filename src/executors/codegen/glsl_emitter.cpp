#include "thunder/executors/codegen/glsl_emitter.h"

#include "kernel_printer.h"
#include "thunder/core/error.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace thunder::codegen {
namespace {

using prims::PrimId;

// Helper functions a shader may need, printed before main() in this (enum) order.
enum class Helper {
  Bf16ToFloat,
  FloatToBf16,
  RoundBf16,
  F16ToFloat,
  FloatToF16,
  RoundF16,
  Erf,
  Tanh,
  LogSeries,
  Log,
  Log2,
  Log1p,
  Expm1,
  PowCore,
  PowCoreDouble,
  Pow,
  Atan2,
  Trig,
  Fmod,
  Fmod64,
  RemainderFloat,
  RemainderFloat64,
  RemainderInt,
  RemainderInt64,
  CheckedIndex,
  CheckedIndex64,
  WidenToInt64,
};

// C's fmod, exact for every finite pair: |a| is reduced by |b| scaled to |a|'s exponent
// (or one less), one subtraction at a time, each exact (t <= r < 2t); two steps at most per
// binary exponent. a - b * trunc(a / b) gives NaN for infinite divisors and loses a when the
// quotient is huge (fmod(1e30, 2.5) is 0 there, 2 in C).
std::string fmod_source(const char* type, const char* nan) {
  return str(type, " thunder_fmod(", type, " a, ", type, " b) {\n",
             "  if (isnan(a) || isnan(b) || isinf(a) || b == 0.0) return ", nan, ";\n",
             "  ", type, " r = abs(a);\n",
             "  ", type, " m = abs(b);\n",
             "  if (isinf(b) || r < m) return a;\n",
             "  int em;\n",
             "  frexp(m, em);\n",
             "  while (r >= m) {\n",
             "    int er;\n",
             "    frexp(r, er);\n",
             "    ", type, " t = ldexp(m, er - em);\n",
             "    if (t > r) t = ldexp(m, er - em - 1);\n",
             "    r -= t;\n",
             "  }\n",
             "  return a < 0.0 ? -r : r;\n",
             "}\n");
}

// Python's remainder as ATen computes it: fmod, moved to the divisor's sign.
std::string remainder_source(const char* type) {
  return str(type, " thunder_remainder(", type, " a, ", type, " b) {\n",
             "  ", type, " r = thunder_fmod(a, b);\n",
             "  return (r != 0.0 && ((r < 0.0) != (b < 0.0))) ? r + b : r;\n",
             "}\n");
}

const char* helper_source(Helper helper) {
  switch (helper) {
  case Helper::CheckedIndex:
    return "// An index read from memory, if in [0, extent); else 0, and the first such index\n"
           "// and its check's number go to the status words, which the runner turns into an\n"
           "// error after the dispatch.\n"
           "uint thunder_checked_index(int v, int extent, uint check) {\n"
           "  if (v >= 0 && v < extent) return uint(v);\n"
           "  if (atomicCompSwap(status.data[0], 0u, check + 1u) == 0u) {\n"
           "    status.data[1] = uint(v);\n"
           "    status.data[2] = v < 0 ? 0xFFFFFFFFu : 0u;\n"
           "  }\n"
           "  return 0u;\n"
           "}\n";
  case Helper::WidenToInt64:
    return "// int to int64_t by its two words: lavapipe (LLVM 15) miscompiles int64_t(v) (OpSConvert)\n"
           "// so that int64_t(v) >= 4l held for v = 0, 1, 2, 3.\n"
           "int64_t thunder_widen(int v) { return packInt2x32(ivec2(v, v >> 31)); }\n";
  case Helper::CheckedIndex64:
    return "uint thunder_checked_index(int64_t v, int64_t extent, uint check) {\n"
           "  if (v >= 0l && v < extent) return uint(v);\n"
           "  if (atomicCompSwap(status.data[0], 0u, check + 1u) == 0u) {\n"
           "    status.data[1] = uint(v & 0xFFFFFFFFl);\n"
           "    status.data[2] = uint(v >> 32);\n"
           "  }\n"
           "  return 0u;\n"
           "}\n";
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
  case Helper::F16ToFloat:
    return "// float16 bits -> float, exactly (subnormals, infinities and NaN included).\n"
           "float thunder_f16_to_float(uint h) {\n"
           "  uint sign = (h & 0x8000u) << 16;\n"
           "  uint e = (h >> 10) & 0x1Fu;\n"
           "  uint m = h & 0x3FFu;\n"
           "  if (e == 0u) return uintBitsToFloat(floatBitsToUint(ldexp(float(m), -24)) | sign);\n"
           "  if (e == 31u) return uintBitsToFloat(sign | 0x7F800000u | (m << 13));\n"
           "  return uintBitsToFloat(sign | ((e + 112u) << 23) | (m << 13));\n"
           "}\n";
  case Helper::FloatToF16:
    return "// float -> float16 bits, rounding to nearest even in integer arithmetic: a driver's\n"
           "// float16_t(x) and packHalf2x16 may round toward zero (Vulkan leaves it to them).\n"
           "uint thunder_float_to_f16(float x) {\n"
           "  uint u = floatBitsToUint(x);\n"
           "  uint sign = (u >> 16) & 0x8000u;\n"
           "  uint a = u & 0x7FFFFFFFu;\n"
           "  if (a > 0x7F800000u) return sign | 0x7E00u; // NaN: quiet, as c10::Half makes it\n"
           "  if (a >= 0x477FF000u) return sign | 0x7C00u; // 65520 and up round to infinity\n"
           "  if (a >= 0x38800000u) { // a normal half: rebias, round at bit 13\n"
           "    uint r = a - 0x38000000u;\n"
           "    return sign | ((r + 0xFFFu + ((r >> 13) & 1u)) >> 13);\n"
           "  }\n"
           "  // A subnormal half: x / 2^-24 rounded to the nearest even integer (exact scaling).\n"
           "  return sign | uint(roundEven(uintBitsToFloat(a) * 16777216.0));\n"
           "}\n";
  case Helper::RoundF16:
    return "float thunder_round_f16(float x) { return "
           "thunder_f16_to_float(thunder_float_to_f16(x)); }\n";
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
  case Helper::PowCore:
    return "float thunder_pow_core(float x, float y) { return pow(x, y); }\n";
  case Helper::PowCoreDouble:
    return "// x^y for x > 0 through double, rounded once to float: log2(x) from frexp and the\n"
           "// atanh series to s^23, the product with y, exp of its fraction by Taylor to f^15.\n"
           "// Some drivers' float pow is exp2(y * log2(x)) in float (NVIDIA's: 40 ulp at 2^71).\n"
           "float thunder_pow_core(float x, float y) {\n"
           "  if (isinf(x) || isinf(y)) return pow(x, y);\n"
           "  int e;\n"
           "  double m = frexp(double(x), e);\n"
           "  if (m < 0.70710678118654752LF) { m *= 2.0LF; e -= 1; }\n"
           "  double s = (m - 1.0LF) / (m + 1.0LF);\n"
           "  double s2 = s * s;\n"
           "  double p = 1.0LF / 23.0LF;\n"
           "  for (int k = 21; k >= 1; k -= 2) p = p * s2 + 1.0LF / double(k);\n"
           "  double t = double(y) * (double(e) + 2.0LF * s * p * 1.4426950408889634074LF);\n"
           "  if (t >= 128.0LF) return uintBitsToFloat(0x7F800000u);\n"
           "  if (t < -152.0LF) return 0.0;\n"
           "  double n = floor(t + 0.5LF);\n"
           "  double f = (t - n) * 0.69314718055994530942LF;\n"
           "  double q = 1.0LF;\n"
           "  for (int k = 15; k >= 1; --k) q = 1.0LF + q * f / double(k);\n"
           "  return float(ldexp(q, int(n)));\n"
           "}\n";
  case Helper::Pow:
    return "// pow with C's results where GLSL's is undefined (x <= 0, y == 0, NaN, infinities).\n"
           "float thunder_pow(float x, float y) {\n"
           "  if (y == 0.0 || x == 1.0) return 1.0;\n"
           "  if (isnan(x) || isnan(y)) return x + y;\n"
           "  if (x == 0.0) {\n"
           "    // -0 to an odd integer power keeps its sign: pow(-0, -1) is -inf, pow(-0, 3) -0.\n"
           "    float r = y > 0.0 ? 0.0 : uintBitsToFloat(0x7F800000u);\n"
           "    bool odd = trunc(y) == y && mod(y, 2.0) == 1.0;\n"
           "    return odd && (floatBitsToUint(x) & 0x80000000u) != 0u ? -r : r;\n"
           "  }\n"
           "  if (x < 0.0) {\n"
           "    // An infinite y is an even integer; (-1)^inf is 1 in C, NaN as exp2(inf * 0).\n"
           "    if (isinf(y)) return x == -1.0 ? 1.0 : thunder_pow_core(-x, y);\n"
           "    if (trunc(y) != y) {\n"
           "      if (isinf(x)) return y > 0.0 ? uintBitsToFloat(0x7F800000u) : 0.0;\n"
           "      return uintBitsToFloat(0x7FC00000u);\n"
           "    }\n"
           "    float r = thunder_pow_core(-x, y);\n"
           "    return mod(y, 2.0) == 1.0 ? -r : r;\n"
           "  }\n"
           "  return thunder_pow_core(x, y);\n"
           "}\n";
  case Helper::Atan2:
    return "// atan2 with C's results where GLSL's atan(y, x) is undefined: NaN (propagated),\n"
           "// infinities, and y = x = 0 (the signs pick the quadrant).\n"
           "float thunder_atan2(float y, float x) {\n"
           "  if (isnan(y) || isnan(x)) return y + x;\n"
           "  bool ny = (floatBitsToUint(y) & 0x80000000u) != 0u;\n"
           "  bool nx = (floatBitsToUint(x) & 0x80000000u) != 0u;\n"
           "  float r;\n"
           "  if (isinf(y) && isinf(x)) r = nx ? 2.3561945 : 0.78539819;\n"
           "  else if (isinf(y)) r = 1.5707964;\n"
           "  else if (isinf(x) || (y == 0.0 && x == 0.0)) r = nx ? 3.1415927 : 0.0;\n"
           "  else return atan(y, x);\n"
           "  return ny ? -r : r;\n"
           "}\n";
  case Helper::Trig:
    return "// sin, cos and tan of floats: x = n * pi/2 + r with |r| <= pi/4, then polynomials on\n"
           "// r (Cephes' sinf/cosf coefficients). Past pi/4 the reduction is exact for every\n"
           "// float (Payne-Hanek): x's 24-bit mantissa times a 96-bit window of 2/pi's bits in\n"
           "// 32-bit integer words gives n and 64 bits of the fraction. GLSL's sin, cos and tan\n"
           "// promise no precision outside [-pi, pi] (lavapipe gives sin(1e30) = -1, not -0.79).\n"
           "const uint thunder_two_over_pi[8] = uint[8](0u, 0xA2F9836Eu, 0x4E441529u, 0xFC2757D1u,\n"
           "    0xF534DDC0u, 0xDB629599u, 0x3C439041u, 0xFE5163ABu);\n"
           "// Bits g - 31 .. g of 2/pi's expansion (bit i is 2^-i's; those before the point are 0).\n"
           "uint thunder_two_over_pi_bits(int g) {\n"
           "  int k = g >> 5;\n"
           "  int shift = g & 31;\n"
           "  if (shift == 0) return thunder_two_over_pi[k];\n"
           "  return (thunder_two_over_pi[k] << shift) | (thunder_two_over_pi[k + 1] >> (32 - shift));\n"
           "}\n"
           "// ax = |x| > pi/4, finite: r in [-pi/4, pi/4] and the quadrant n (mod 4).\n"
           "float thunder_trig_reduce(float ax, out uint n) {\n"
           "  uint bits = floatBitsToUint(ax);\n"
           "  uint m = (bits & 0x7FFFFFu) | 0x800000u;\n"
           "  int p = int(bits >> 23) - 150; // ax = m * 2^p\n"
           "  // Bits of 2/pi before p - 1 add multiples of 4 to x * 2/pi; from there on, 96 of\n"
           "  // them (W) give x * 2/pi = m * W / 2^94 to far below a float's precision.\n"
           "  uint w2 = thunder_two_over_pi_bits(p + 30);\n"
           "  uint w1 = thunder_two_over_pi_bits(p + 62);\n"
           "  uint w0 = thunder_two_over_pi_bits(p + 94);\n"
           "  uint h0, l0, h1, l1, h2, l2, c1, c2, c3;\n"
           "  umulExtended(m, w0, h0, l0);\n"
           "  umulExtended(m, w1, h1, l1);\n"
           "  umulExtended(m, w2, h2, l2);\n"
           "  uint r1 = uaddCarry(h0, l1, c1);\n"
           "  uint r2 = uaddCarry(uaddCarry(h1, l2, c2), c1, c3);\n"
           "  n = r2 >> 30;\n"
           "  uint hi = (r2 << 2) | (r1 >> 30);\n"
           "  uint lo = (r1 << 2) | (l0 >> 30);\n"
           "  float sign = 1.0;\n"
           "  if (hi >= 0x80000000u) { // past half a quadrant: the next one, r below 0\n"
           "    n += 1u;\n"
           "    uint carry;\n"
           "    lo = uaddCarry(~lo, 1u, carry);\n"
           "    hi = ~hi + carry;\n"
           "    sign = -1.0;\n"
           "  }\n"
           "  return sign * (ldexp(float(hi), -32) + ldexp(float(lo), -64)) * 1.5707964;\n"
           "}\n"
           "float thunder_sin_poly(float r) {\n"
           "  float z = r * r;\n"
           "  return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;\n"
           "}\n"
           "float thunder_cos_poly(float r) {\n"
           "  float z = r * r;\n"
           "  float y = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z;\n"
           "  return (y - 0.5 * z) + 1.0;\n"
           "}\n"
           "// 0: sin, 1: cos, 2: tan of x.\n"
           "float thunder_trig(float x, int which) {\n"
           "  if (isnan(x)) return x;\n"
           "  if (isinf(x)) return uintBitsToFloat(0x7FC00000u);\n"
           "  float ax = abs(x);\n"
           "  uint n = 0u;\n"
           "  float r = ax <= 0.78539816 ? ax : thunder_trig_reduce(ax, n);\n"
           "  float s = thunder_sin_poly(r);\n"
           "  float c = thunder_cos_poly(r);\n"
           "  bool odd = (n & 1u) != 0u;\n"
           "  bool negative = (floatBitsToUint(x) & 0x80000000u) != 0u;\n"
           "  if (which == 1) return ((n + 1u) & 2u) != 0u ? -(odd ? s : c) : (odd ? s : c);\n"
           "  float y = which == 0 ? (odd ? c : s) : (odd ? -c / s : s / c);\n"
           "  if (which == 0 && (n & 2u) != 0u) y = -y;\n"
           "  return negative ? -y : y;\n"
           "}\n";
  case Helper::Fmod: {
    static const std::string source =
        "// C's fmod, exact: |a| reduced by |b| scaled to |a|'s exponent, one exact\n"
        "// subtraction at a time; a - b * trunc(a / b) loses a for huge quotients.\n" +
        fmod_source("float", "uintBitsToFloat(0x7FC00000u)");
    return source.c_str();
  }
  case Helper::Fmod64: {
    static const std::string source =
        fmod_source("double", "packDouble2x32(uvec2(0u, 0x7FF80000u))");
    return source.c_str();
  }
  case Helper::RemainderFloat: {
    static const std::string source =
        "// Python's remainder, as ATen computes it: fmod, moved to the divisor's sign.\n" +
        remainder_source("float");
    return source.c_str();
  }
  case Helper::RemainderFloat64: {
    static const std::string source = remainder_source("double");
    return source.c_str();
  }
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
  case DType::Float16:  // converted by bit operations, as bf16
  case DType::BFloat16:
    return "uint16_t";
  case DType::Float32:
    return "float";
  case DType::Float64:
    return "double";
  }
  return "";
}

std::string glsl_float_literal(double value, bool is_double) {
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

// An integer result wrapped to its dtype's width (narrow types are computed as int); expr
// is a primary expression (a name, a call or parenthesized).
std::string glsl_wrap(const std::string& expr, DType dtype) {
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

// GLSL 450 for Vulkan (see glsl_emitter.h for the shader's interface).
class GlslEmitter final : public KernelPrinter {
public:
  GlslEmitter(const Kernel& kernel, const GlslOptions& options)
      : KernelPrinter(kernel, "emit_glsl"), options_(options) {}
  std::string emit();

private:
  GlslOptions options_;
  const char* int64_type() const override { return "int64_t"; }
  const char* index_type() const override { return "uint"; }
  std::string float_literal(double value, bool is_double) const override {
    return glsl_float_literal(value, is_double);
  }
  const char* int64_suffix() const override { return "l"; }
  std::string cast(const char* type, const std::string& expr) const override {
    return str(type, "(", expr, ")");
  }
  std::string wrap(const std::string& expr, DType dtype) const override {
    return glsl_wrap(expr, dtype);
  }
  std::string round_to(DType dtype, const std::string& expr) override;
  std::string widen_to_int64(const std::string& expr) override {
    use(Helper::WidenToInt64);
    return "thunder_widen(" + expr + ")";
  }
  std::string load(const Node& n) override;
  std::string store(int output, const Buffer& buffer, const std::string& value) override;
  std::string unary(const Node& n, const std::string& a, DType in) override;
  std::string binary(const Node& n, const std::string& a, const std::string& b,
                     DType in) override;
  const char* workgroup_barrier() const override { return "barrier()"; }
  std::string checked_index(const Node& n, const std::string& value, DType in) override {
    const bool wide = compute_dtype(in) == DType::Int64;
    use(wide ? Helper::CheckedIndex64 : Helper::CheckedIndex);
    return str("thunder_checked_index(", value, ", ", n.integer, wide ? "l, " : ", ", n.loop,
               "u)");
  }
  std::string by_zero_constant(const Node& n, const std::string& a, const std::string& b,
                               bool divide) const;
  void use(Helper h) { helpers_.insert(static_cast<int>(h)); }
};

std::string GlslEmitter::round_to(DType dtype, const std::string& expr) {
  if (dtype == DType::Float16) {
    use(Helper::F16ToFloat);
    use(Helper::FloatToF16);
    use(Helper::RoundF16);
    return "thunder_round_f16(" + expr + ")";
  }
  use(Helper::Bf16ToFloat);
  use(Helper::FloatToBf16);
  use(Helper::RoundBf16);
  return "thunder_round_bf16(" + expr + ")";
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
    use(Helper::F16ToFloat);
    return "thunder_f16_to_float(uint(" + element + "))";
  case DType::BFloat16:
    use(Helper::Bf16ToFloat);
    return "thunder_bf16_to_float(uint(" + element + "))";
  default:
    return element;
  }
}

std::string GlslEmitter::store(int output, const Buffer& buffer, const std::string& value) {
  const std::string target = str("out", output, ".data[idx] = ");
  switch (buffer.dtype) {
  case DType::Bool:
    return target + "uint8_t(" + value + " ? 1u : 0u)";
  case DType::UInt8:
    return target + "uint8_t(" + value + ")";
  case DType::Int8:
    return target + "int8_t(" + value + ")";
  case DType::Int16:
    return target + "int16_t(" + value + ")";
  case DType::Float16:
    use(Helper::FloatToF16);
    return target + "uint16_t(thunder_float_to_f16(" + value + "))";
  case DType::BFloat16:
    use(Helper::FloatToBf16);
    return target + "uint16_t(thunder_float_to_bf16(" + value + "))";
  default:
    return target + value;
  }
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
    // Not GLSL's sign: torch's sign(NaN) is 0, GLSL leaves it undefined.
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
    use(Helper::LogSeries);
    use(Helper::Log);
    return "thunder_log(" + a + ")";
  case PrimId::log2:
    float_only("log2");
    use(Helper::LogSeries);
    use(Helper::Log2);
    return "thunder_log2(" + a + ")";
  case PrimId::sin:
  case PrimId::cos:
  case PrimId::tan: {
    const int which = n.prim == PrimId::sin ? 0 : n.prim == PrimId::cos ? 1 : 2;
    float_only(which == 0 ? "sin" : which == 1 ? "cos" : "tan");
    use(Helper::Trig);
    return str("thunder_trig(", a, ", ", which, ")");
  }
  case PrimId::log1p:
    float_only("log1p");
    use(Helper::LogSeries);
    use(Helper::Log1p);
    return "thunder_log1p(" + a + ")";
  case PrimId::expm1:
    float_only("expm1");
    use(Helper::Expm1);
    return "thunder_expm1(" + a + ")";
  case PrimId::tanh:
    float_only("tanh");
    use(Helper::Tanh);
    return "thunder_tanh(" + a + ")";
  case PrimId::erf:
    float_only("erf");
    use(Helper::Erf);
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

// A float product with, or quotient by, a constant zero, spelled out with bit operations:
// drivers that may assume no NaN or infinity (lavapipe: SPIR-V without float controls)
// fold x * 0 to 0 and x / 0 to anything, where torch gives NaN for NaN, infinite (x * 0) or
// zero (0 / 0) x, and a signed infinity for x / 0. Empty unless an operand is such a zero.
std::string GlslEmitter::by_zero_constant(const Node& n, const std::string& a,
                                          const std::string& b, bool divide) const {
  const auto zero_constant = [&](NodeId id) -> std::optional<bool> { // its sign bit
    const Node& operand = node(id);
    if (operand.kind != NodeKind::Constant) return std::nullopt;
    const double v = as_double(operand.constant);
    if (v != 0.0) return std::nullopt;
    return std::signbit(v);
  };
  std::optional<bool> negative = zero_constant(n.operands[1]);
  std::string x = a;
  if (!negative && !divide) {
    negative = zero_constant(n.operands[0]);
    x = b;
  }
  if (!negative) return {};
  if (compute_dtype(n.dtype) == DType::Float64) {
    // The same through the high word of the double (unpackDouble2x32 is core GLSL 4.00).
    const std::string sign = str("((unpackDouble2x32(", x, ").y & 0x80000000u) ^ ",
                                 *negative ? "0x80000000u" : "0u", ")");
    const std::string nan = "double(uintBitsToFloat(0x7FC00000u))";
    if (divide) {
      return str("(isnan(", x, ") || ", x, " == 0.0lf ? ", nan, " : packDouble2x32(uvec2(0u, ",
                 sign, " | 0x7FF00000u)))");
    }
    return str("(isnan(", x, ") || isinf(", x, ") ? ", nan, " : packDouble2x32(uvec2(0u, ", sign,
               ")))");
  }
  const std::string sign = str("((floatBitsToUint(", x, ") & 0x80000000u) ^ ",
                               *negative ? "0x80000000u" : "0u", ")");
  if (divide) {
    return str("(isnan(", x, ") || ", x, " == 0.0 ? uintBitsToFloat(0x7FC00000u) : uintBitsToFloat(",
               sign, " | 0x7F800000u))");
  }
  return str("(isnan(", x, ") || isinf(", x, ") ? uintBitsToFloat(0x7FC00000u) : uintBitsToFloat(",
             sign, "))");
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
  switch (n.prim) {
  case PrimId::add:
    return boolean ? "(" + a + " || " + b + ")" : arith("+");
  case PrimId::sub:
    return arith("-");
  case PrimId::mul:
    if (c == DType::Float32 || c == DType::Float64) {
      if (const std::string e = by_zero_constant(n, a, b, /*divide=*/false); !e.empty()) return e;
    }
    return boolean ? "(" + a + " && " + b + ")" : arith("*");
  case PrimId::div:
    if (c == DType::Float32 || c == DType::Float64) {
      if (const std::string e = by_zero_constant(n, a, b, /*divide=*/true); !e.empty()) return e;
    }
    return arith("/"); // integers truncate, as C and the prim do
  case PrimId::pow:
    if (c != DType::Float32) {
      unsupported(n.prim, in, "is not generated yet (only float32, float16 and bfloat16)");
    }
    use(options_.float64 ? Helper::PowCoreDouble : Helper::PowCore);
    use(Helper::Pow);
    return "thunder_pow(" + a + ", " + b + ")";
  case PrimId::maximum:
  case PrimId::minimum: {
    const bool max = n.prim == PrimId::maximum;
    if (boolean) return str("(", a, max ? " || " : " && ", b, ")");
    const std::string builtin = str(max ? "max(" : "min(", a, ", ", b, ")");
    // torch propagates NaN; GLSL's max and min leave it undefined.
    if (fp) return nan_propagating(n, a, b, builtin);
    return builtin;
  }
  case PrimId::fmod:
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    // C's fmod: the result takes the dividend's sign.
    if (fp) {
      use(c == DType::Float64 ? Helper::Fmod64 : Helper::Fmod);
      return str("thunder_fmod(", a, ", ", b, ")");
    }
    return str("(", a, " - ", b, " * (", a, " / ", b, "))");
  case PrimId::remainder:
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    // Not GLSL's mod, x - y * floor(x / y), which loses x for huge quotients.
    if (fp) {
      const bool f64 = c == DType::Float64;
      use(f64 ? Helper::Fmod64 : Helper::Fmod);
      use(f64 ? Helper::RemainderFloat64 : Helper::RemainderFloat);
      return str("thunder_remainder(", a, ", ", b, ")");
    }
    use(c == DType::Int64 ? Helper::RemainderInt64 : Helper::RemainderInt);
    return wrap(str("thunder_remainder(", a, ", ", b, ")"), in);
  case PrimId::atan2:
    if (c == DType::Float64) {
      unsupported(n.prim, in, "cannot be written in GLSL, which has no double-precision atan");
    }
    use(Helper::Atan2);
    return str("thunder_atan2(", a, ", ", b, ")");
  default:
    break;
  }
  std::string e = bitwise_compare_or_logical(n, a, b, in, "^^", /*order_bools_as_int=*/true);
  THUNDER_INTERNAL_ASSERT(!e.empty()) << prim_name(n.prim) << " is not binary";
  return e;
}

std::string GlslEmitter::emit() {
  const std::string body = print_body();

  // Extensions, from the storage and compute types in use.
  bool storage8 = false;
  bool storage16 = false;
  bool int64 = false;
  bool float64 = false;
  const auto note = [&](DType d) {
    storage8 |= d == DType::Bool || d == DType::UInt8 || d == DType::Int8;
    storage16 |= d == DType::Float16 || d == DType::BFloat16 || d == DType::Int16;
    int64 |= d == DType::Int64;
    float64 |= d == DType::Float64;
  };
  for (const Buffer& b : kernel_.inputs)
    note(b.dtype);
  for (const Buffer& b : kernel_.outputs)
    note(b.dtype);
  for (const Node& n : kernel_.nodes) {
    if (is_index(n.kind)) continue;
    int64 |= n.dtype == DType::Int64;
    float64 |= n.dtype == DType::Float64;
  }
  std::vector<int> preserved_widths;
  if (options_.preserve_inf_nan_32) preserved_widths.push_back(32);
  if (options_.preserve_inf_nan_64 && float64) preserved_widths.push_back(64);

  std::ostringstream out;
  out << "#version 450\n";
  out << "// Kernel " << kernel_.name << ", generated by thunder-cpp's GLSL emitter.\n";
  // 8- and 16-bit values are only loaded and stored (converted to 32 bits in between), so
  // the storage extensions suffice: no shaderInt8, shaderInt16 or shaderFloat16 needed.
  if (storage8) out << "#extension GL_EXT_shader_8bit_storage : require\n";
  if (storage16) out << "#extension GL_EXT_shader_16bit_storage : require\n";
  if (int64) out << "#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require\n";
  if (!preserved_widths.empty()) out << "#extension GL_EXT_spirv_intrinsics : require\n";
  out << "\nlayout(local_size_x = " << kGlslLocalSize << ") in;\n";
  // SignedZeroInfNanPreserve (execution mode 4461, capability 4466) per float width.
  for (const int width : preserved_widths) {
    out << "spirv_execution_mode(extensions = [\"SPV_KHR_float_controls\"], capabilities = "
           "[4466], 4461, "
        << width << "); // keep NaN, inf and -0 in f" << width << " arithmetic\n";
  }
  out << "\n";
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
  if (!kernel_.checks.empty()) {
    out << "// status: " << kStatusWords << " words, zeroed: the first index out of range\n";
    out << "layout(std430, set = 0, binding = " << binding++
        << ") buffer Status { uint data[]; } status;\n";
  }
  out << "layout(push_constant) uniform PushConstants { uint numel; } pc;\n";
  for (const auto& [type, name] : shared_arrays_)
    out << "shared " << type << " " << name << "[" << kGlslLocalSize << "];\n";
  for (const int h : helpers_)
    out << "\n" << helper_source(static_cast<Helper>(h));
  out << "\nvoid main() {\n";
  if (kernel_.cooperative) {
    // The whole workgroup computes one element (the same for every lane, so the early
    // return keeps the barriers in uniform control flow).
    out << "  uint idx = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;\n";
    out << "  uint lane = gl_LocalInvocationID.x;\n";
  } else {
    out << "  uint idx = gl_GlobalInvocationID.y * (gl_NumWorkGroups.x * " << kGlslLocalSize
        << "u) + gl_GlobalInvocationID.x;\n";
  }
  out << "  if (idx >= pc.numel) return;\n";
  out << body;
  out << "}\n";
  return out.str();
}


} // namespace

std::string emit_glsl(const Kernel& kernel, const GlslOptions& options) {
  THUNDER_INTERNAL_ASSERT(!kernel.loops.empty() && !kernel.outputs.empty())
      << "emit_glsl: kernel " << kernel.name << " was not built by make_kernel";
  return GlslEmitter(kernel, options).emit();
}

} // namespace thunder::codegen
