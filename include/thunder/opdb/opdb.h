// The op database, after PyTorch's OpInfo: for every ltorch op, the dtypes it takes,
// sample inputs (scalars, broadcasting, size-0 and size-1 dims, non-contiguous inputs,
// edge values), a reference (torch eager, run on float64 copies of the inputs), the
// tolerance rule, and error samples with the message a user gets. The tests run every
// op x sample x dtype through the torch executor at both levels; thunder-conformance
// (later) runs the same database on the GPU backends. A torch edge: samples are
// at::Tensors.
#pragma once

#include "thunder/core/symbol.h"
#include "thunder/core/trace.h"
#include "thunder/executors/torch_executor.h"

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace thunder::opdb {

/// One argument of a sample: a tensor (traced as an input proxy), a list of tensors
/// (each traced as an input; an undefined at::Tensor is a None item), or a concrete value
/// (a constant of the trace).
class SampleArg {
public:
  SampleArg(at::Tensor tensor) : data_(std::move(tensor)) {}
  SampleArg(std::vector<at::Tensor> tensors) : data_(std::move(tensors)) {}
  SampleArg(Value value) : data_(std::move(value)) {}
  template <typename T>
    requires std::constructible_from<Value, T> && (!std::same_as<std::decay_t<T>, Value>) &&
             (!std::same_as<std::decay_t<T>, at::Tensor>)
  SampleArg(T value) : data_(Value(value)) {}

  bool is_tensor() const { return std::holds_alternative<at::Tensor>(data_); }
  bool is_tensor_list() const { return std::holds_alternative<std::vector<at::Tensor>>(data_); }
  const at::Tensor& tensor() const { return std::get<at::Tensor>(data_); }
  const std::vector<at::Tensor>& tensors() const {
    return std::get<std::vector<at::Tensor>>(data_);
  }
  const Value& value() const { return std::get<Value>(data_); }
  /// "f32[3, 4]", "[f32[2], f32[3]]" or the value's repr, for sample descriptions.
  std::string describe() const;

private:
  std::variant<at::Tensor, std::vector<at::Tensor>, Value> data_;
};

using Kwargs = std::vector<std::pair<std::string, SampleArg>>;

/// A call of the op: positional and keyword arguments.
struct Sample {
  std::vector<SampleArg> args;
  Kwargs kwargs = {};
  std::string note = {}; ///< What the sample is for ("broadcast", "edge values" ...).
  /// "add(f32[3, 1], f32[5, 1], alpha=2) broadcast".
  std::string describe(std::string_view op) const;
};

/// A call that must fail while tracing, with (part of) the message the user gets.
struct ErrorSample {
  Sample sample;
  std::string message;
};

/// The arguments of a sample as the reference sees them (floating tensors possibly
/// converted to float64).
class RefArgs {
public:
  RefArgs(const Sample& sample, bool float64);
  std::size_t size() const { return args_.size(); }
  const at::Tensor& tensor(std::size_t i) const { return args_.at(i).tensor(); }
  std::vector<at::Tensor> tensors(std::size_t i) const { return args_.at(i).tensors(); }
  const Value& value(std::size_t i) const { return args_.at(i).value(); }
  bool is_tensor(std::size_t i) const { return args_.at(i).is_tensor(); }
  /// A tensor or a number, as a tensor (numbers become Python-scalar "wrapped" tensors).
  at::Tensor tensor_or_scalar(std::size_t i) const;
  at::Scalar scalar(std::size_t i) const;
  std::vector<std::int64_t> ints(std::size_t i) const;
  /// A keyword argument, or nullopt if the sample does not pass it.
  std::optional<SampleArg> kwarg(std::string_view name) const;
  /// The dtype of the first floating tensor argument, or nullopt.
  bool float64() const { return float64_; }

private:
  std::vector<SampleArg> args_;
  Kwargs kwargs_;
  bool float64_;
};

/// Torch eager: computes the op's result (a tensor, or a list of tensors).
using Reference = std::function<c10::IValue(const RefArgs&)>;

struct Tolerance {
  double rtol;
  double atol;
};
/// PyTorch's testing defaults: f64 1e-7/1e-7, f32 1.3e-6/1e-5, f16 1e-3/1e-5, bf16
/// 1.6e-2/1e-5; exact for integers and bool.
Tolerance default_tolerance(DType dtype);
/// For a whole model's outputs, where the rounding of every op composes: f64 1e-7/1e-7,
/// f32 1e-4/1e-4, f16 1e-2/1e-2, bf16 5e-2/5e-2 (rtol/atol, as IREE's model tests use);
/// exact for integers and bool.
Tolerance model_tolerance(DType dtype);

/// One ltorch op's entry.
struct OpInfo {
  const Symbol* symbol = nullptr;
  std::vector<DType> dtypes;
  std::function<std::vector<Sample>(DType)> samples;
  Reference reference;
  std::function<std::vector<ErrorSample>()> error_samples = [] { return std::vector<ErrorSample>{}; };
  std::map<DType, Tolerance> tolerances = {}; ///< Overrides of default_tolerance.

  std::string name() const { return symbol->qualified_name(); }
  Tolerance tolerance(DType dtype) const;
};

/// The op's samples for a dtype. The random generator is reseeded from the op's name and
/// the dtype first, so the samples are the same whichever ops ran before, in any process.
std::vector<Sample> generate_samples(const OpInfo& op, DType dtype);

/// Every op of the database, ordered by qualified name.
const std::vector<OpInfo>& op_database();
/// The entry for "ltorch.add", or nullptr.
const OpInfo* find_op(std::string_view qualified_name);

// ---------------------------------------------------------------------------------------
// Making samples.

/// Floating, integer and bool dtype sets for OpInfo::dtypes.
std::vector<DType> floating_dtypes();                 ///< f32, f16, bf16, f64
std::vector<DType> integer_dtypes();                  ///< i64, i32, i16, i8, u8
std::vector<DType> all_dtypes();                      ///< the above and bool
std::vector<DType> concat(std::vector<DType> a, const std::vector<DType>& b);

struct TensorOptions {
  double low = -3.0;  ///< Values are drawn uniformly in [low, high] (rounded for integers).
  double high = 3.0;
  bool noncontiguous = false; ///< A strided view of a larger tensor.
  bool exclude_zero = false;  ///< Replace zeros by one (divisors).
};

/// A deterministic random tensor: every call draws from one seeded generator, so a
/// database's samples are the same on every run.
at::Tensor make_tensor(const Shape& shape, DType dtype, const TensorOptions& options = {});
/// A 1-D tensor of exactly these values, converted to dtype.
at::Tensor make_values(const std::vector<double>& values, DType dtype);
/// inf, -inf, nan, +-large, +-tiny, +-0 and a few ordinary values (floating dtypes only).
at::Tensor edge_values(DType dtype);

/// Shapes every elementwise op is tried on: [], [5], [3, 4] (also non-contiguous),
/// [0, 3], [1, 4], [2, 1, 3].
std::vector<Sample> unary_samples(DType dtype, const TensorOptions& options = {},
                                  bool with_edge_values = true);
/// Pairs for binary elementwise ops: equal shapes, broadcasting, a 0-dim operand, a
/// Python scalar on either side, size-0 and size-1 dims, non-contiguous operands.
std::vector<Sample> binary_samples(DType dtype, const TensorOptions& lhs = {},
                                   const TensorOptions& rhs = {});

// ---------------------------------------------------------------------------------------
// Running samples.

/// A sample traced by hand: the trace, and its inputs in signature order.
struct TracedSample {
  Trace trace;
  std::vector<c10::IValue> inputs;
};
/// Traces a call of the op on the sample (throws what tracing throws).
TracedSample trace_sample(const OpInfo& op, const Sample& sample);

/// The verdict for one output.
struct Comparison {
  bool pass = false;
  double max_abs = 0; ///< Against the float64 reference.
  /// The error over |reference|, floored at the tolerance's atol (near zero only the
  /// absolute error counts); 0 where the error is 0.
  double max_rel = 0;
  std::string rule;   ///< Which rule passed it (or what failed).
};

/// The tolerance rule (docs/conformance.md): integer and bool results must equal torch's
/// exactly; floating results pass when within the dtype's tolerance of the float64
/// reference, or when no farther from it than kTorchErrorFactor times torch's own result
/// at that dtype. Shapes and dtypes must equal torch's.
inline constexpr double kTorchErrorFactor = 2.0;
Comparison compare(const at::Tensor& result, const at::Tensor& torch_result,
                   const at::Tensor& reference, Tolerance tolerance);

/// Flattens a result (tensor, list or tuple of tensors) into tensors.
std::vector<at::Tensor> flatten_tensors(const c10::IValue& value);

/// The depth of decomposition below a symbol: 0 for a prim, else 1 + the deepest
/// subsymbol.
int decomposition_depth(const BoundSymbol& bsym);

} // namespace thunder::opdb
