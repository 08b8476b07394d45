// Executor: the one backend abstraction (DESIGN.md "Backends"). An executor says whether
// it is available here (and why not, in words), which bound symbols it takes, and which of
// those it can put in a fusion region. The registry orders executors by priority and turns
// a backend name (THUNDER_BACKEND: cuda | spirv | torch | auto) into the ordered list of
// executors the assign_executors pass walks; the last one is the fallback. Torch-free: the
// torch, spirv and cuda executors implement this interface in their own libraries.
#pragma once

#include "thunder/core/dtype.h"
#include "thunder/core/error.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace thunder {

struct BoundSymbol;

/// Whether an executor can run here; when not, the reason in words ("no Vulkan device").
struct Availability {
  bool available = true;
  std::string reason;

  static Availability yes() { return {true, {}}; }
  static Availability no(std::string reason) { return {false, std::move(reason)}; }
};

/// The activation a matrix product's epilogue applies after its bias.
enum class MatmulActivation : std::uint8_t { None, Relu };

/// What the matmul_epilogues pass folds into one call of a matrix product: a bias over the
/// result's last dim, then an activation. Operands, bias and result have one dtype; f16
/// and bf16 products accumulate in f32 and add the bias in f32 before one rounding (what
/// torch's addmm and linear do).
struct MatmulEpilogue {
  DType dtype = DType::Float32;
  bool bias = false;
  MatmulActivation activation = MatmulActivation::None;
};

/// "relu" or "none": the activation as the trace prints it.
const char* activation_name(MatmulActivation activation);

/// A backend: claims bound symbols and runs them. Name and priority are fixed at
/// construction; higher priority is asked first.
class Executor {
public:
  Executor(std::string name, int priority);
  virtual ~Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  /// "cuda", "spirv", "torch": the backend name, and the prefix of its fusion regions.
  const std::string& name() const { return name_; }
  int priority() const { return priority_; }

  virtual Availability availability() const = 0;
  /// Whether this executor runs the bound symbol (as it is, without decomposing it).
  virtual bool claims(const BoundSymbol& bsym) const = 0;
  /// Whether a bound symbol it claims may go in one of its fusion regions.
  virtual bool fusible(const BoundSymbol& bsym) const;
  /// Whether, running the unfused bound symbol it claims (prims.matmul on spirv), it reads
  /// tensor arguments that are views (prims transpose, broadcast_in_dim, squeeze, reshape,
  /// slice of a value that exists) in place, through strides; then the rematerialize pass
  /// may give it those view prims, unfused, to compute as metadata over the viewed buffer.
  /// False by default: such an executor must also run those view prims unfused.
  virtual bool reads_views_in_place(const BoundSymbol& bsym) const;
  /// Whether a view of this shape and strides (elements) is one those calls read in place
  /// (cuBLASLt needs a unit stride in one of a matrix's dims); rematerialize asks every
  /// executor before it gives a view away. True by default.
  virtual bool reads_view_layout(const std::vector<std::int64_t>& shape,
                                 const std::vector<std::int64_t>& strides) const;
  /// Whether `reader` (a call it reads views for, reads_views_in_place) reads a view through
  /// any strides and offset (cuda's fused attention); else a view it is given must be a
  /// matrix with one batch stride that every executor's reads_view_layout takes, at an
  /// offset only into a trace input. False by default.
  virtual bool reads_any_view_layout(const BoundSymbol& reader) const;
  /// Whether it runs a matrix product with this epilogue as one call (cuBLASLt's BIAS and
  /// RELU_BIAS epilogues on cuda); the matmul_epilogues pass then folds the bias add and
  /// the activation after a prims.matmul it claims into that call. False by default.
  virtual bool runs_matmul_epilogue(const MatmulEpilogue& epilogue) const;
  /// Whether its kernel of this fusion region runs the region's reductions cooperatively, a
  /// workgroup per result (codegen::Kernel::cooperative); fusion then keeps a reduction's
  /// values apart from values that read none where that makes a kernel cooperative (see
  /// fuse). False by default.
  virtual bool reduces_cooperatively(const BoundSymbol& region) const;

private:
  std::string name_;
  int priority_;
};

/// A backend's runtime or compiler, opened on first need and kept; a failure to open (a
/// BackendError: no device, no driver, library not found) is remembered and thrown again,
/// with its first message, on every later call, so availability() is cheap and stable.
/// Thread-safe.
template <typename T>
class OpenOnce {
public:
  /// The object, made by `open` (returning std::unique_ptr<T>) the first time;
  /// BackendError with the reason otherwise.
  template <typename Open>
  T& get(Open&& open) const {
    const std::lock_guard lock(mutex_);
    if (object_) return *object_;
    if (!failure_) {
      try {
        object_ = open();
        return *object_;
      } catch (const BackendError& e) {
        failure_ = e.what();
      }
    }
    throw BackendError(*failure_);
  }

private:
  mutable std::mutex mutex_;
  mutable std::unique_ptr<T> object_;
  mutable std::optional<std::string> failure_;
};

/// The fallback executor's name: prims nobody else claims go to it.
inline constexpr std::string_view kFallbackExecutor = "torch";

/// The executors of this process, ordered by priority (ties: in the order added).
class ExecutorRegistry {
public:
  /// Adds an executor; throws ArgumentError if one of the same name is registered.
  const Executor& add(std::unique_ptr<Executor> executor);
  /// The executor of that name, or nullptr.
  const Executor* find(std::string_view name) const;
  /// All executors, highest priority first.
  std::vector<const Executor*> executors() const;

  /// The ordered executors for a backend name, the fallback (torch) last where it is
  /// registered and available:
  ///   "spirv" -> [spirv, torch]; "torch" -> [torch];
  ///   "auto"  -> the first available of the others by priority (cuda, then spirv), then torch.
  /// An unknown name is an ArgumentError listing the valid ones; a named backend that is
  /// not available (or not built) is a BackendError with the reason, never a silent fallback.
  std::vector<const Executor*> resolve(std::string_view backend) const;

  /// "cuda, spirv, torch, auto": the known backend names, then any other registered one.
  std::string valid_backend_names() const;

private:
  std::vector<std::unique_ptr<Executor>> executors_; // Highest priority first.
};

} // namespace thunder
