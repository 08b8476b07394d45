// KernelPrinter: what every kernel emitter shares (GlslEmitter, CudaEmitter). A Kernel's
// DAG is printed the same way in any C-like language: one named local per node, in id
// order, reduction loops around the nodes that depend on their index, the stores grouped
// by output size. A dialect says how to spell types, literals, loads, stores, casts and
// the operations themselves, and which helper functions go before the kernel. Private to
// the codegen library.
#pragma once

#include "thunder/core/error.h"
#include "thunder/executors/codegen/kernel_ir.h"

#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace thunder::codegen {

/// "prims.add": a prim's qualified name, for messages.
std::string prim_name(prims::PrimId id);

/// A scalar as a number of a dtype (NaN, infinities and narrow integers handled).
double as_double(const ScalarValue& value);

class KernelPrinter {
public:
  explicit KernelPrinter(const Kernel& kernel, std::string emitter_name)
      : kernel_(kernel), emitter_name_(std::move(emitter_name)) {}
  virtual ~KernelPrinter() = default;

protected:
  // The dialect.
  /// int64's type name ("int64_t", "long long"); the others are the same in every dialect.
  virtual const char* int64_type() const = 0;
  virtual const char* index_type() const = 0;
  /// A float or double literal; NaN and infinities by bit pattern.
  virtual std::string float_literal(double value, bool is_double) const = 0;
  virtual const char* int64_suffix() const = 0;
  /// `type(expr)` in GLSL, `((type)(expr))` in C++.
  virtual std::string cast(const char* type, const std::string& expr) const = 0;
  /// An int result wrapped to a narrow integer dtype's width.
  virtual std::string wrap(const std::string& expr, DType dtype) const = 0;
  /// `a op b` (+, -, *) on integers of `dtype`, wrapping on overflow as torch does.
  virtual std::string integer_arith(const char* op, const std::string& a, const std::string& b,
                                    DType dtype) const {
    return wrap(str("(", a, " ", op, " ", b, ")"), dtype);
  }
  /// A float rounded to f16 or bf16 and back (what convert_element_type does).
  virtual std::string round_to(DType dtype, const std::string& expr) = 0;
  /// An int (a narrow integer's compute type) sign-extended to int64.
  virtual std::string widen_to_int64(const std::string& expr) { return cast(int64_type(), expr); }
  virtual std::string load(const Node& n) = 0;
  virtual std::string store(int output, const Buffer& buffer, const std::string& value) = 0;
  virtual std::string unary(const Node& n, const std::string& a, DType in) = 0;
  virtual std::string binary(const Node& n, const std::string& a, const std::string& b,
                             DType in) = 0;
  /// A CheckedIndex: `value` (of integer dtype `in`) as an index below n.integer, or 0 after
  /// recording check n.loop and the value in the status buffer.
  virtual std::string checked_index(const Node& n, const std::string& value, DType in) = 0;
  /// The statement that waits for the workgroup and makes its shared-memory writes visible.
  virtual const char* workgroup_barrier() const = 0;

  // Shared machinery.
  /// The type a value of `dtype` is computed in (compute_dtype): bool, int for the narrow
  /// integers, int64, float for f16/bf16/f32, double.
  const char* compute_type(DType dtype) const;
  [[noreturn]] void unsupported(prims::PrimId prim, DType dtype, const std::string& why) const;
  const Node& node(NodeId id) const { return kernel_.nodes[static_cast<std::size_t>(id)]; }
  std::string name_of(NodeId id) const;
  std::string literal(const ScalarValue& value, DType dtype) const;
  std::string int_literal(std::int64_t value, DType dtype) const;
  std::string zero(DType dtype) const { return literal(std::int64_t{0}, dtype); }
  std::string convert(const std::string& a, DType from, DType to);
  /// `(isnan(a) || isnan(b) ? a + b : builtin)`: torch's NaN-propagating maximum/minimum
  /// around a builtin that leaves NaN to chance; constants that are not NaN need no test.
  std::string nan_propagating(const Node& n, const std::string& a, const std::string& b,
                              const std::string& builtin) const;
  /// The bitwise, comparison and logical binary prims, the same in every dialect but for
  /// the spelling of xor on bools and whether bools must become ints to be ordered (GLSL);
  /// empty for any other prim.
  std::string bitwise_compare_or_logical(const Node& n, const std::string& a,
                                         const std::string& b, DType in, const char* bool_xor,
                                         bool order_bools_as_int) const;
  /// The body: every store, each group of one output size in its own guarded block.
  std::string print_body();

  const Kernel& kernel_;
  std::set<int> helpers_; ///< The dialect's helper functions in use, by its own enum.
  /// A cooperative kernel's shared arrays of kWorkgroupSize partial results: (compute type,
  /// name), one per type and role, in order of first use; the dialect declares them.
  std::vector<std::pair<std::string, std::string>> shared_arrays_;

private:
  void line(const std::string& text) { body_ << std::string(indent_ * 2, ' ') << text << "\n"; }
  void emit_block(int scope, const std::vector<NodeId>& roots);
  void emit_node(NodeId id);
  void emit_reduce(NodeId id);
  void emit_arg_reduce(NodeId id);
  /// A cooperative reduction's end: each lane stores its partials (arrays: shared array,
  /// the lane's value), then in log2(kWorkgroupSize) halving steps lane < half combines
  /// with lane + half (`step(half)` prints that), and every lane reads the totals back.
  void combine_lanes(const std::vector<std::pair<std::string, std::string>>& arrays,
                     const std::function<void(const std::string& half)>& step);
  /// acc combined with v by reduction n (sum, prod, amax, amin), as an expression.
  std::string combine(const Node& n, const std::string& acc, const std::string& v);
  /// The shared array of this compute type for this role ("partials", "values", "indices"),
  /// declared on first use.
  std::string shared_array(const char* type, const char* role);
  /// The largest (high) or smallest value of an integer dtype, as a literal.
  std::string int_limit(DType dtype, bool high) const;
  std::string index_expr(const Node& n);
  std::string value_expr(const Node& n);

  std::string emitter_name_;
  std::ostringstream body_;
  int indent_ = 1;
  std::map<NodeId, std::string> names_;
  int next_index_ = 0;
  int next_value_ = 0;
  int next_loop_ = 0;
};

} // namespace thunder::codegen
