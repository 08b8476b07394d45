#include "thunder/executors/codegen/cuda_emitter.h"

#include "kernel_printer.h"
#include "thunder/core/error.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

namespace thunder::codegen {
namespace {

using prims::PrimId;

// Helper functions a kernel may need, printed before it in this (enum) order.
enum class Helper {
  F16ToFloat,
  FloatToF16,
  RoundF16,
  Bf16ToFloat,
  FloatToBf16,
  RoundBf16,
  RemainderFloat,
  RemainderInt,
  CheckedIndex,
};

const char* helper_source(Helper helper) {
  switch (helper) {
  case Helper::CheckedIndex:
    return "// An index read from memory, if in [0, extent); else 0, and the first such index\n"
           "// and its check's number go to the status words, which the runner turns into an\n"
           "// error after the launch.\n"
           "__device__ __forceinline__ unsigned int thunder_checked_index(long long v, long long "
           "extent,\n"
           "                                                             unsigned int check, "
           "unsigned int* status) {\n"
           "  if (v >= 0LL && v < extent) return (unsigned int)v;\n"
           "  if (atomicCAS(status, 0u, check + 1u) == 0u) {\n"
           "    status[1] = (unsigned int)(unsigned long long)v;\n"
           "    status[2] = (unsigned int)((unsigned long long)v >> 32);\n"
           "  }\n"
           "  return 0u;\n"
           "}\n";
  case Helper::F16ToFloat:
    // Outside NVRTC (__CUDA_ARCH__ unset) the kernel is thunder's CUDA host emulator's,
    // whose prelude has the same conversions for the host.
    return "__device__ __forceinline__ float thunder_f16_to_float(unsigned short h) {\n"
           "#ifdef __CUDA_ARCH__\n"
           "  float f;\n"
           "  asm(\"cvt.f32.f16 %0, %1;\" : \"=f\"(f) : \"h\"(h));\n"
           "  return f;\n"
           "#else\n"
           "  return thunder_host_f16_to_float(h); // thunder's CUDA host emulator\n"
           "#endif\n"
           "}\n";
  case Helper::FloatToF16:
    return "// Round to nearest even, as torch's conversions.\n"
           "__device__ __forceinline__ unsigned short thunder_float_to_f16(float f) {\n"
           "#ifdef __CUDA_ARCH__\n"
           "  unsigned short h;\n"
           "  asm(\"cvt.rn.f16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f));\n"
           "  return h;\n"
           "#else\n"
           "  return thunder_host_float_to_f16(f); // thunder's CUDA host emulator\n"
           "#endif\n"
           "}\n";
  case Helper::RoundF16:
    return "__device__ __forceinline__ float thunder_round_f16(float x) {\n"
           "  return thunder_f16_to_float(thunder_float_to_f16(x));\n"
           "}\n";
  case Helper::Bf16ToFloat:
    return "__device__ __forceinline__ float thunder_bf16_to_float(unsigned short b) {\n"
           "  return __uint_as_float(((unsigned int)b) << 16);\n"
           "}\n";
  case Helper::FloatToBf16:
    return "// float -> bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN.\n"
           "__device__ __forceinline__ unsigned short thunder_float_to_bf16(float x) {\n"
           "  unsigned int u = __float_as_uint(x);\n"
           "  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (unsigned short)0x7FC0u;\n"
           "  return (unsigned short)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);\n"
           "}\n";
  case Helper::RoundBf16:
    return "__device__ __forceinline__ float thunder_round_bf16(float x) {\n"
           "  return thunder_bf16_to_float(thunder_float_to_bf16(x));\n"
           "}\n";
  case Helper::RemainderFloat:
    return "// Python's remainder, as ATen computes it: fmod, moved to the divisor's sign.\n"
           "__device__ __forceinline__ float thunder_remainder(float a, float b) {\n"
           "  float r = fmodf(a, b);\n"
           "  return (r != 0.0f && ((r < 0.0f) != (b < 0.0f))) ? r + b : r;\n"
           "}\n"
           "__device__ __forceinline__ double thunder_remainder(double a, double b) {\n"
           "  double r = fmod(a, b);\n"
           "  return (r != 0.0 && ((r < 0.0) != (b < 0.0))) ? r + b : r;\n"
           "}\n";
  case Helper::RemainderInt:
    return "// Python's remainder: the result takes the divisor's sign.\n"
           "__device__ __forceinline__ int thunder_remainder(int a, int b) {\n"
           "  int r = a % b;\n"
           "  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;\n"
           "}\n"
           "__device__ __forceinline__ long long thunder_remainder(long long a, long long b) {\n"
           "  long long r = a % b;\n"
           "  return (r != 0LL && ((r < 0LL) != (b < 0LL))) ? r + b : r;\n"
           "}\n";
  }
  return "";
}

const char* cuda_storage_type(DType dtype) {
  switch (dtype) {
  case DType::Bool:
  case DType::UInt8:
    return "unsigned char";
  case DType::Int8:
    return "signed char";
  case DType::Int16:
    return "short";
  case DType::Int32:
    return "int";
  case DType::Int64:
    return "long long";
  case DType::Float16:
  case DType::BFloat16:
    return "unsigned short";
  case DType::Float32:
    return "float";
  case DType::Float64:
    return "double";
  }
  return "";
}

class CudaEmitter final : public KernelPrinter {
public:
  explicit CudaEmitter(const Kernel& kernel) : KernelPrinter(kernel, "emit_cuda") {}
  std::string emit();

private:
  const char* int64_type() const override { return "long long"; }
  const char* index_type() const override { return "unsigned int"; }
  std::string float_literal(double value, bool is_double) const override;
  const char* int64_suffix() const override { return "LL"; }
  std::string cast(const char* type, const std::string& expr) const override {
    return str("((", type, ")(", expr, "))");
  }
  std::string wrap(const std::string& expr, DType dtype) const override;
  std::string integer_arith(const char* op, const std::string& a, const std::string& b,
                            DType dtype) const override;
  std::string round_to(DType dtype, const std::string& expr) override;
  std::string load(const Node& n) override;
  std::string store(int output, const Buffer& buffer, const std::string& value) override;
  std::string unary(const Node& n, const std::string& a, DType in) override;
  std::string binary(const Node& n, const std::string& a, const std::string& b,
                     DType in) override;
  const char* workgroup_barrier() const override { return "__syncthreads()"; }
  std::string checked_index(const Node& n, const std::string& value, DType /*in*/) override {
    use(Helper::CheckedIndex);
    return str("thunder_checked_index(", cast("long long", value), ", ", n.integer, "LL, ", n.loop,
               "u, status)");
  }
  void use(Helper h) { helpers_.insert(static_cast<int>(h)); }
};

std::string CudaEmitter::float_literal(double value, bool is_double) const {
  // A finite double past float's range is an infinity as a float (and converting it with a
  // cast would be undefined).
  if (!is_double && std::isfinite(value) && std::abs(value) > std::numeric_limits<float>::max()) {
    value = std::copysign(std::numeric_limits<double>::infinity(), value);
  }
  if (std::isnan(value)) {
    return is_double ? "__longlong_as_double(0x7FF8000000000000LL)" : "__int_as_float(0x7FC00000)";
  }
  if (std::isinf(value)) {
    if (is_double) {
      return value > 0 ? "__longlong_as_double(0x7FF0000000000000LL)"
                       : "__longlong_as_double((long long)0xFFF0000000000000ULL)";
    }
    return value > 0 ? "__int_as_float(0x7F800000)" : "__int_as_float((int)0xFF800000u)";
  }
  char buffer[64];
  // The shortest text that reads back to the same float (or double); float literals carry
  // their suffix, or C++ would compute in double.
  const auto [end, ec] =
      is_double ? std::to_chars(buffer, buffer + sizeof(buffer), value)
                : std::to_chars(buffer, buffer + sizeof(buffer), static_cast<float>(value));
  THUNDER_INTERNAL_ASSERT(ec == std::errc()) << "to_chars failed";
  std::string text(buffer, end);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  if (!is_double) text += "f";
  return text[0] == '-' ? "(" + text + ")" : text;
}

std::string CudaEmitter::wrap(const std::string& expr, DType dtype) const {
  switch (dtype) {
  case DType::UInt8:
    return "(" + expr + " & 255)";
  case DType::Int8:
    return "((int)(signed char)" + expr + ")";
  case DType::Int16:
    return "((int)(short)" + expr + ")";
  default:
    return expr;
  }
}

// Signed overflow is undefined in C++ and NVRTC optimizes on it (x + 1 > x folds to
// true); torch wraps. Unsigned arithmetic wraps, and converting back is two's complement.
std::string CudaEmitter::integer_arith(const char* op, const std::string& a, const std::string& b,
                                       DType dtype) const {
  if (dtype == DType::Int64) {
    return str("((long long)((unsigned long long)", a, " ", op, " (unsigned long long)", b, "))");
  }
  return wrap(str("((int)((unsigned int)", a, " ", op, " (unsigned int)", b, "))"), dtype);
}

std::string CudaEmitter::round_to(DType dtype, const std::string& expr) {
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

std::string CudaEmitter::load(const Node& n) {
  const Buffer& buffer = kernel_.inputs[static_cast<std::size_t>(n.integer)];
  const std::string element = str("in", n.integer, "[", name_of(n.operands[0]), "]");
  switch (buffer.dtype) {
  case DType::Bool:
    return "(" + element + " != 0)";
  case DType::UInt8:
  case DType::Int8:
  case DType::Int16:
    return "((int)" + element + ")";
  case DType::Float16:
    use(Helper::F16ToFloat);
    return "thunder_f16_to_float(" + element + ")";
  case DType::BFloat16:
    use(Helper::Bf16ToFloat);
    return "thunder_bf16_to_float(" + element + ")";
  default:
    return element;
  }
}

std::string CudaEmitter::store(int output, const Buffer& buffer, const std::string& value) {
  const std::string target = str("out", output, "[idx] = ");
  switch (buffer.dtype) {
  case DType::Bool:
    return target + "(unsigned char)(" + value + " ? 1 : 0)";
  case DType::Float16:
    use(Helper::FloatToF16);
    return target + "thunder_float_to_f16(" + value + ")";
  case DType::BFloat16:
    use(Helper::FloatToBf16);
    return target + "thunder_float_to_bf16(" + value + ")";
  case DType::UInt8:
  case DType::Int8:
  case DType::Int16:
    return target + "(" + cuda_storage_type(buffer.dtype) + ")" + value;
  default:
    return target + value;
  }
}

std::string CudaEmitter::unary(const Node& n, const std::string& a, DType in) {
  const DType c = compute_dtype(in);
  const bool fp = is_floating(c);
  const bool f32 = c == DType::Float32;
  const bool boolean = c == DType::Bool;
  // CUDA's math library: the f-suffixed function on float, the plain one on double.
  const auto math = [&](const char* name) {
    if (!fp) unsupported(n.prim, in, "is not defined on integers here (ltorch promotes them)");
    return str(name, f32 ? "f(" : "(", a, ")");
  };
  switch (n.prim) {
  case PrimId::neg:
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    return fp ? "(-" + a + ")" : integer_arith("-", zero(in), a, in);
  case PrimId::abs:
    if (boolean) return a;
    if (fp) return math("fabs");
    // abs(INT_MIN) is INT_MIN in torch, undefined in C++.
    return str("(", a, " < ", zero(in), " ? ", integer_arith("-", zero(in), a, in), " : ", a, ")");
  case PrimId::floor:
    return fp ? math("floor") : a;
  case PrimId::ceil:
    return fp ? math("ceil") : a;
  case PrimId::trunc:
    return fp ? math("trunc") : a;
  case PrimId::round:
    return fp ? math("rint") : a; // torch rounds half to even, as rint does
  case PrimId::sign:
    if (boolean) return a;
    // torch: sign(NaN) and sign(-0.0) are 0.
    return str("(", a, " > ", zero(in), " ? ", literal(std::int64_t{1}, in), " : (", a, " < ",
               zero(in), " ? ", literal(std::int64_t{-1}, in), " : ", zero(in), "))");
  case PrimId::bitwise_not:
    return boolean ? "(!" + a + ")" : wrap("(~" + a + ")", in);
  case PrimId::exp:
    return math("exp");
  case PrimId::exp2:
    return math("exp2");
  case PrimId::log:
    return math("log");
  case PrimId::log2:
    return math("log2");
  case PrimId::sin:
    return math("sin");
  case PrimId::cos:
    return math("cos");
  case PrimId::tan:
    return math("tan");
  case PrimId::log1p:
    return math("log1p");
  case PrimId::expm1:
    return math("expm1");
  case PrimId::tanh:
    return math("tanh");
  case PrimId::erf:
    return math("erf");
  case PrimId::sqrt:
    return math("sqrt");
  case PrimId::rsqrt:
    return math("rsqrt");
  case PrimId::reciprocal:
    return "(" + literal(1.0, in) + " / " + a + ")";
  case PrimId::isnan:
    return fp ? "isnan(" + a + ")" : "false";
  case PrimId::isinf:
    return fp ? "isinf(" + a + ")" : "false";
  case PrimId::isfinite:
    return fp ? "isfinite(" + a + ")" : "true";
  case PrimId::logical_not:
    return boolean ? "(!" + a + ")" : "(" + a + " == " + zero(in) + ")";
  default:
    THUNDER_INTERNAL_ASSERT(false) << prim_name(n.prim) << " is not unary";
  }
  return "";
}

std::string CudaEmitter::binary(const Node& n, const std::string& a, const std::string& b,
                                DType in) {
  const DType c = compute_dtype(in);
  const bool fp = is_floating(c);
  const bool f32 = c == DType::Float32;
  const bool boolean = c == DType::Bool;
  const auto arith = [&](const char* op) {
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    if (fp || std::strcmp(op, "/") == 0) {
      const std::string e = str("(", a, " ", op, " ", b, ")");
      return fp ? e : wrap(e, in);
    }
    return integer_arith(op, a, b, in);
  };
  const auto math = [&](const char* name) { return str(name, f32 ? "f(" : "(", a, ", ", b, ")"); };
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
    if (!fp) unsupported(n.prim, in, "is not generated yet on integers");
    return math("pow"); // C's pow: the results torch gives for x <= 0 and y == 0
  case PrimId::maximum:
  case PrimId::minimum: {
    const bool max = n.prim == PrimId::maximum;
    if (boolean) return str("(", a, max ? " || " : " && ", b, ")");
    // fmax/fmin return the other operand for a NaN; torch propagates it.
    if (fp) return nan_propagating(n, a, b, math(max ? "fmax" : "fmin"));
    return str(max ? "max(" : "min(", a, ", ", b, ")");
  }
  case PrimId::fmod:
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    return fp ? math("fmod") : wrap(str("(", a, " % ", b, ")"), in);
  case PrimId::remainder:
    if (boolean) unsupported(n.prim, in, "is not defined (torch refuses it too)");
    use(fp ? Helper::RemainderFloat : Helper::RemainderInt);
    return wrap(str("thunder_remainder(", a, ", ", b, ")"), in);
  case PrimId::atan2:
    if (!fp) unsupported(n.prim, in, "is not defined on integers here (ltorch promotes them)");
    return math("atan2");
  default:
    break;
  }
  std::string e = bitwise_compare_or_logical(n, a, b, in, "!=", /*order_bools_as_int=*/false);
  THUNDER_INTERNAL_ASSERT(!e.empty()) << prim_name(n.prim) << " is not binary";
  return e;
}

std::string CudaEmitter::emit() {
  const std::string body = print_body();
  std::ostringstream out;
  out << "// Kernel " << kernel_.name << ", generated by thunder-cpp's CUDA emitter.\n";
  for (const int h : helpers_)
    out << "\n" << helper_source(static_cast<Helper>(h));
  out << "\nextern \"C\" __global__ void __launch_bounds__(" << kCudaBlockSize << ") "
      << kernel_.name << "(\n";
  const auto declare = [&](const Buffer& b, bool input, const std::string& name) {
    out << "    " << (input ? "const " : "") << cuda_storage_type(b.dtype) << "* __restrict__ "
        << name << ", // " << b.name << " " << short_name(b.dtype) << shape_to_string(b.shape)
        << ", strides " << Value::ints(b.strides).repr() << "\n";
  };
  for (std::size_t i = 0; i < kernel_.inputs.size(); ++i)
    declare(kernel_.inputs[i], true, str("in", i));
  for (std::size_t i = 0; i < kernel_.outputs.size(); ++i)
    declare(kernel_.outputs[i], false, str("out", i));
  if (!kernel_.checks.empty()) {
    out << "    unsigned int* __restrict__ status, // " << kStatusWords
        << " words, zeroed: the first index out of range\n";
  }
  out << "    unsigned int numel) {\n";
  if (kernel_.cooperative) {
    // The whole block computes one element (the same for every thread, so the early
    // return never splits a block at a barrier).
    out << "  unsigned int idx = blockIdx.x;\n";
    out << "  unsigned int lane = threadIdx.x;\n";
  } else {
    out << "  unsigned int idx = blockIdx.x * " << kCudaBlockSize << "u + threadIdx.x;\n";
  }
  out << "  if (idx >= numel) return;\n";
  for (const auto& [type, name] : shared_arrays_)
    out << "  __shared__ " << type << " " << name << "[" << kCudaBlockSize << "];\n";
  out << body;
  out << "}\n";
  return out.str();
}

} // namespace

std::string emit_cuda(const Kernel& kernel) {
  THUNDER_INTERNAL_ASSERT(!kernel.loops.empty() && !kernel.outputs.empty())
      << "emit_cuda: kernel " << kernel.name << " was not built by make_kernel";
  return CudaEmitter(kernel).emit();
}

} // namespace thunder::codegen
