#include "thunder/executors/spirv/spirv_executor.h"

#include "builtin_kernels.h"

#include "thunder/core/error.h"
#include "thunder/executors/codegen/attention.h"
#include "thunder/executors/codegen/glsl_emitter.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/matmul_epilogues.h"

#include <algorithm>
#include <iostream>
#include <vector>

namespace thunder::spirv {
namespace {

// The Vulkan feature a buffer of this dtype needs on the device, or null for none (f32,
// i32). Emitted kernels only load and store 8- and 16-bit values, converting them to 32 bits
// in between (glsl_emitter.h), so the storage features suffice for them; int64 and float64
// are computed as such and need shaderInt64/shaderFloat64.
const char* storage_feature(DType dtype, const DeviceFeatures& f) {
  switch (dtype) {
  case DType::Float32:
  case DType::Int32:
    return nullptr;
  case DType::Bool:
  case DType::UInt8:
  case DType::Int8:
    return f.storage_buffer_8bit ? nullptr : "storageBuffer8BitAccess";
  case DType::Float16:
  case DType::BFloat16:
  case DType::Int16:
    return f.storage_buffer_16bit ? nullptr : "storageBuffer16BitAccess";
  case DType::Int64:
    return f.shader_int64 ? nullptr : "shaderInt64";
  case DType::Float64:
    return f.shader_float64 ? nullptr : "shaderFloat64";
  }
  return "an unknown feature";
}
// The feature computing in this dtype needs, or null: f16/bf16 compute in f32, narrow
// integers in int, bool in registers (kernel_ir.h's dtype rules).
const char* compute_feature(DType dtype, const DeviceFeatures& f) {
  if (dtype == DType::Int64 && !f.shader_int64) return "shaderInt64";
  if (dtype == DType::Float64 && !f.shader_float64) return "shaderFloat64";
  return nullptr;
}

// Bytes of the buffer the torch edge makes for `t`.
std::uint64_t buffer_bytes(const TensorProxy& t) {
  return buffer_word_bytes(static_cast<std::size_t>(t.numel()) *
                           static_cast<std::size_t>(item_size(t.dtype())));
}

// A prim is claimed only when every tensor it reads or writes is storable: a claimed
// comparison whose bool result left its region would make the whole region fall back.

// Why a kernel cannot run on this device, or empty when it can.
std::string kernel_dtype_problem(const codegen::Kernel& kernel, const DeviceFeatures& features) {
  const auto check_buffer = [&](const codegen::Buffer& b) -> std::string {
    const char* feature = storage_feature(b.dtype, features);
    if (feature == nullptr) return {};
    return str("buffer ", b.name, " is ", torch_name(b.dtype), shape_to_string(b.shape),
               ", which needs the Vulkan feature ", feature,
               ", not enabled on this device (it lacks it, or THUNDER_VK_MINIMAL_FEATURES=1)");
  };
  for (const codegen::Buffer& b : kernel.inputs) {
    if (std::string why = check_buffer(b); !why.empty()) return why;
  }
  for (const codegen::Buffer& b : kernel.outputs) {
    if (std::string why = check_buffer(b); !why.empty()) return why;
  }
  for (const codegen::Node& n : kernel.nodes) {
    if (codegen::is_index(n.kind)) continue;
    if (const char* feature = compute_feature(n.dtype, features)) {
      return str("it computes in ", torch_name(n.dtype), ", which needs the Vulkan feature ",
                 feature, ", not enabled on this device");
    }
  }
  return {};
}

// The features of the executor's device; none where no device opens (availability() says
// why, and an unavailable executor is given no work).
DeviceFeatures device_features(const SpirvExecutor& executor) {
  try {
    return executor.runtime().features();
  } catch (const BackendError&) {
    return {};
  }
}

bool is_matmul(const BoundSymbol& bsym) {
  return bsym.symbol == &prims::symbol(prims::PrimId::matmul);
}

// A call the matmul kernel runs: prims.matmul, or the matmul_epilogues pass's fold.
bool runs_as_matmul(const BoundSymbol& bsym) {
  return is_matmul(bsym) || matmul_epilogue_of(bsym).has_value();
}

// prims.matmul for the matmul kernel: CPU operands (the torch edge uploads them) of a dtype
// it has a variant for, each buffer within the device's maxStorageBufferRange (a bigger one
// stays on torch rather than failing in create_buffer).
bool matmul_claimable(const BoundSymbol& bsym, VulkanRuntime& rt) {
  if (bsym.args.size() != 2 || !bsym.args[0].is_tensor() || !bsym.args[1].is_tensor() ||
      !bsym.output.is_tensor()) {
    return false;
  }
  const TensorProxy* a = bsym.args[0].as_tensor().get();
  const TensorProxy* b = bsym.args[1].as_tensor().get();
  const TensorProxy* c = bsym.output.as_tensor().get();
  const DType dtype = a->dtype();
  const bool half = dtype == DType::Float16 || dtype == DType::BFloat16;
  if (dtype != DType::Float32 && !(half && rt.features().storage_buffer_16bit)) return false;
  for (const TensorProxy* t : {a, b, c}) {
    if (t->device() != Device::cpu() || t->dtype() != dtype) return false;
    if (buffer_bytes(*t) > rt.max_storage_buffer_range()) return false;
  }
  return true;
}

// An sdpa call for the attention kernel: within its limits, CPU operands (the torch edge
// uploads them) of a dtype the device stores, each buffer within maxStorageBufferRange.
bool attention_claimable(const BoundSymbol& bsym, VulkanRuntime& rt) {
  const std::optional<codegen::AttentionCall> call =
      codegen::plan_attention(bsym, kAttentionLimits);
  if (!call) return false;
  // Operands and the output (which may be larger than any operand: broadcast batch dims, Ev
  // > E) each in one buffer; the mask is read as 32-bit words, so it needs no storage feature
  // of its own.
  std::vector<const TensorProxy*> tensors{bsym.output.as_tensor().get()};
  for (const Proxy* p : bsym.input_proxies()) {
    if (p->kind() == ProxyKind::Tensor) tensors.push_back(static_cast<const TensorProxy*>(p));
  }
  for (const TensorProxy* t : tensors) {
    if (t->device() != Device::cpu() || buffer_bytes(*t) > rt.max_storage_buffer_range())
      return false;
  }
  return storage_feature(call->dtype, rt.features()) == nullptr;
}

} // namespace

SpirvExecutor::SpirvExecutor(RuntimeOptions options)
    : Executor("spirv", kPriority), options_(std::move(options)),
      matmul_epilogues_(
          switch_option(options_.matmul_epilogues, "THUNDER_VK_MATMUL_EPILOGUES").value_or(true)),
      fused_attention_(
          switch_option(options_.fused_attention, "THUNDER_VK_FUSED_ATTENTION").value_or(true)),
      compiler_(std::make_unique<ShadercCompiler>()),
      builtin_kernels_(std::make_unique<BuiltinKernels>()) {}

SpirvExecutor::~SpirvExecutor() = default;

VulkanRuntime& SpirvExecutor::runtime() const {
  return runtime_.get([&] {
    auto rt = std::make_unique<VulkanRuntime>(options_);
    if (rt->cooperative_matrix() != CooperativeMatrix::Off) {
      // The kernel has one layout for every device: a device whose driver reads its
      // fragments otherwise must not get wrong products, so it is checked here, before any
      // product runs on it, and the tiled kernel takes them where it fails.
      cooperative_matmul_failure_ = check_f16_matmul(
          *rt, *builtin_kernels_, matmul_module(DType::Float16, rt->cooperative_matrix()));
      rt->reset_peak_memory(); // the check's buffers are no model's
      if (!cooperative_matmul_failure_.empty()) {
        std::cerr << "thunder: warning: spirv: the cooperative-matrix matmul failed its check "
                     "on "
                  << rt->device().name << ", so f16 products run on the tiled kernel: "
                  << cooperative_matmul_failure_ << "\n";
      }
    }
    return rt;
  });
}

CooperativeMatrix SpirvExecutor::matmul_cooperative_matrix() const {
  const CooperativeMatrix mode = runtime().cooperative_matrix();
  return cooperative_matmul_failure_.empty() ? mode : CooperativeMatrix::Off;
}

const std::string& SpirvExecutor::cooperative_matmul_failure() const {
  runtime();
  return cooperative_matmul_failure_;
}

Availability SpirvExecutor::availability() const {
  try {
    runtime();
    return Availability::yes();
  } catch (const BackendError& e) {
    return Availability::no(e.what());
  }
}

bool SpirvExecutor::claims(const BoundSymbol& bsym) const {
  if (is_matmul(bsym) || codegen::is_attention(bsym)) {
    try {
      if (is_matmul(bsym)) return matmul_claimable(bsym, runtime());
      return fused_attention_ && attention_claimable(bsym, runtime());
    } catch (const BackendError&) {
      return false; // No device: availability() says why.
    }
  }
  // Which dtypes run depends on the device's features, so this opens the device (as
  // availability(), asked first, has done already).
  const DeviceFeatures features = device_features(*this);
  // The torch edge copies between host tensors and device buffers.
  const auto tensor_ok = [&](const TensorProxy& t) {
    return t.device() == Device::cpu() && storage_feature(t.dtype(), features) == nullptr;
  };
  // Ask the code generator itself: the prim alone must become a kernel it can print.
  const auto printable = [&](const codegen::Kernel& kernel) {
    if (!kernel_dtype_problem(kernel, features).empty()) return false;
    codegen::emit_glsl(kernel);
    return true;
  };
  return codegen::one_prim_kernel(bsym, tensor_ok, printable).has_value();
}

bool SpirvExecutor::fusible(const BoundSymbol& bsym) const {
  // A matmul and attention are kernels of their own (shaders/), dispatched between regions.
  return !is_matmul(bsym) && !codegen::is_attention(bsym) && claims(bsym);
}

bool SpirvExecutor::reads_views_in_place(const BoundSymbol& bsym) const {
  // The matmul kernel reads A, B and the bias through strides, the attention kernel its
  // operands; the runner (spirv_torch.cpp) computes the view prims given to spirv as strides
  // over the viewed buffer.
  return runs_as_matmul(bsym) || (codegen::is_attention(bsym) && bsym.executor == name());
}

bool SpirvExecutor::reads_any_view_layout(const BoundSymbol& reader) const {
  if (codegen::is_attention(reader)) return reader.executor == name(); // two batch dims at most
  if (!runs_as_matmul(reader) || reader.executor != name()) return false;
  // Batch dims (all but the last two) are at most two: two groups of one stride each.
  return std::all_of(reader.args.begin(), reader.args.end(), [](const Value& arg) {
    return !arg.is_tensor() || arg.as_tensor()->shape().size() <= 4;
  });
}

bool SpirvExecutor::runs_matmul_epilogue(const MatmulEpilogue& epilogue) const {
  if (!matmul_epilogues_) return false;
  if (epilogue.dtype == DType::Float32) return true;
  if (epilogue.dtype != DType::Float16 && epilogue.dtype != DType::BFloat16) return false;
  return device_features(*this).storage_buffer_16bit;
}

bool SpirvExecutor::reduces_cooperatively(const BoundSymbol& region) const {
  try {
    // Off on CPU devices (RuntimeOptions::cooperative): a kernel then loops in one
    // invocation per result whatever the region.
    if (!runtime().cooperative_kernels()) return false;
  } catch (const BackendError&) {
    return false; // availability() says why
  }
  return codegen::region_kernel_cooperates(region);
}

std::shared_ptr<const CompiledRegion>
SpirvExecutor::compile(const BoundSymbol& region,
                       const std::map<std::string, codegen::Strides>& input_strides) const {
  THUNDER_INTERNAL_ASSERT(region.symbol != nullptr &&
                          region.symbol->ns == SymbolNamespace::Fusion && region.executor == name())
      << "SpirvExecutor::compile takes a spirv fusion region, got " << region.call_string();
  auto out = std::make_shared<CompiledRegion>();
  // "spirv.fusion0" -> "spirv_fusion0": kernel names are identifiers.
  std::string kernel_name = region.symbol->name;
  std::replace(kernel_name.begin(), kernel_name.end(), '.', '_');
  std::vector<const BoundSymbol*> prims = codegen::flatten_to_prims(region.subsymbols);
  out->kernel = codegen::make_kernel(kernel_name, prims, codegen::region_output_names(region), input_strides);
  if (const std::string why = kernel_dtype_problem(out->kernel, device_features(*this));
      !why.empty()) {
    throw UnsupportedError(str("spirv executor: region ", region.symbol->name, " (",
                               region.subsymbols.size(), " prims) cannot run here: ", why));
  }
  // The same IR runs one invocation per element where the device is better at that.
  if (!runtime().cooperative_kernels()) out->kernel.cooperative = false;
  const DeviceFeatures features = device_features(*this);
  out->glsl = codegen::emit_glsl(
      out->kernel, {.preserve_inf_nan_32 = features.preserve_inf_nan_float32,
                    .preserve_inf_nan_64 = features.preserve_inf_nan_float64,
                    .float64 = features.shader_float64});
  out->source_hash = stable_hash(out->glsl);

  VulkanRuntime& rt = runtime();
  const std::lock_guard lock(mutex_);
  if (const auto it = pipelines_.find(out->source_hash); it != pipelines_.end()) {
    ++pipeline_hits_;
    out->pipeline = it->second;
    return out;
  }
  CompileOptions options;
  options.name = kernel_name;
  const std::shared_ptr<const SpirvWords> words = compiler_->compile(out->glsl, options);
  PipelineLayout layout;
  // Inputs, outputs, and the status words of a kernel that checks indices.
  layout.buffers = static_cast<uint32_t>(out->kernel.inputs.size() + out->kernel.outputs.size() +
                                         (out->kernel.checks.empty() ? 0 : 1));
  layout.push_constant_bytes = sizeof(uint32_t); // uint numel
  layout.name = kernel_name;
  out->pipeline = std::make_shared<const Pipeline>(rt.create_pipeline(*words, layout));
  pipelines_.emplace(out->source_hash, out->pipeline);
  return out;
}

std::size_t SpirvExecutor::pipeline_cache_size() const {
  const std::lock_guard lock(mutex_);
  return pipelines_.size();
}

std::size_t SpirvExecutor::builtin_pipeline_count() const {
  return builtin_kernels_->size();
}

std::size_t SpirvExecutor::pipeline_cache_hits() const {
  const std::lock_guard lock(mutex_);
  return pipeline_hits_;
}

} // namespace thunder::spirv
