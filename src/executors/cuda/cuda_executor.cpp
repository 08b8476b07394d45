#include "thunder/executors/cuda/cuda_executor.h"

#include "dynamic_library.h"
#include "thunder/core/cache_files.h"
#include "thunder/core/error.h"
#include "thunder/executors/codegen/cuda_emitter.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/matmul_epilogues.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

namespace thunder::cuda {
namespace {

bool on_cpu_or_cuda(const Device& device) {
  return device == Device::cpu() || device.type == DeviceType::CUDA;
}

bool is_matmul(const BoundSymbol& bsym) {
  return bsym.symbol == &prims::symbol(prims::PrimId::matmul);
}

bool env_flag(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != 0 && std::string(value) != "0";
}

// On unless the variable says "0".
bool env_flag_default_on(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr || std::string(value) != "0";
}

} // namespace

CudaExecutor::CudaExecutor(CudaExecutorOptions options)
    : Executor("cuda", kPriority), options_(std::move(options)),
      fused_attention_(
          options_.fused_attention.value_or(env_flag_default_on("THUNDER_CUDA_FUSED_ATTENTION"))),
      matmul_epilogues_(options_.matmul_epilogues.value_or(
          env_flag_default_on("THUNDER_CUDA_MATMUL_EPILOGUES"))) {}

CudaExecutor::~CudaExecutor() = default;

CudaRuntime& CudaExecutor::runtime() const {
  return runtime_.get([&] { return std::make_unique<CudaRuntime>(options_.runtime); });
}

NvrtcCompiler& CudaExecutor::compiler() const {
  return compiler_.get([&] { return std::make_unique<NvrtcCompiler>(options_.cache_dir); });
}

CublasMatmul& CudaExecutor::blas() const {
  return blas_.get([&] {
    return std::make_unique<CublasMatmul>(runtime(),
                                          options_.tf32.value_or(env_flag("THUNDER_CUDA_TF32")));
  });
}

bool CudaExecutor::blas_loadable() const {
  const std::lock_guard lock(mutex_);
  if (!blas_loadable_) {
    std::string driver = options_.runtime.driver_library;
    if (const char* env = std::getenv("THUNDER_CUDA_DRIVER_LIBRARY");
        driver.empty() && env != nullptr) {
      driver = env;
    }
    try {
      DynamicLibrary library("cuBLASLt", cublaslt_candidates(driver), "");
      blas_loadable_ = library.find("cublasLtMatmul") != nullptr;
    } catch (const BackendError&) {
      blas_loadable_ = false;
    }
  }
  return *blas_loadable_;
}

Availability CudaExecutor::availability() const {
  try {
    runtime();
    compiler();
    return Availability::yes();
  } catch (const BackendError& e) {
    return Availability::no(e.what());
  }
}

bool CudaExecutor::claims(const BoundSymbol& bsym) const {
  const auto tensor_ok = [](const TensorProxy& t) { return on_cpu_or_cuda(t.device()); };
  if (is_attention(bsym)) {
    if (!fused_attention_ || !plan_fused_attention(bsym)) return false;
    for (const Proxy* p : bsym.input_proxies()) {
      if (p->kind() == ProxyKind::Tensor && !tensor_ok(static_cast<const TensorProxy&>(*p)))
        return false;
    }
    return true;
  }
  if (is_matmul(bsym)) {
    const TensorProxy& a = *bsym.args.at(0).as_tensor();
    return CublasMatmul::supports(a.dtype()) && tensor_ok(a) && blas_loadable();
  }
  // Ask the code generator itself: the prim alone must become a kernel it can print.
  const auto printable = [](const codegen::Kernel& kernel) {
    codegen::emit_cuda(kernel);
    return true;
  };
  return codegen::one_prim_kernel(bsym, tensor_ok, printable).has_value();
}

bool CudaExecutor::fusible(const BoundSymbol& bsym) const {
  return !is_matmul(bsym) && !is_attention(bsym) && claims(bsym);
}

bool CudaExecutor::reads_views_in_place(const BoundSymbol& bsym) const {
  // A claimed attention call is the fused kernel, which reads its operands through strides.
  return is_matmul(bsym) || matmul_epilogue_of(bsym).has_value() ||
         (is_attention(bsym) && bsym.executor == name());
}

bool CudaExecutor::reads_any_view_layout(const BoundSymbol& reader) const {
  return is_attention(reader) && reader.executor == name();
}

bool CudaExecutor::runs_matmul_epilogue(const MatmulEpilogue& epilogue) const {
  return matmul_epilogues_ && epilogue.dtype != DType::Float64 &&
         CublasMatmul::supports(epilogue.dtype) && blas_loadable();
}

bool CudaExecutor::reduces_cooperatively(const BoundSymbol& region) const {
  return codegen::region_kernel_cooperates(region);
}

bool CudaExecutor::reads_view_layout(const Shape& shape,
                                     const std::vector<std::int64_t>& strides) const {
  if (shape.size() < 2) return false;
  const MatrixOperand m =
      strided_operand(0, std::vector<std::int64_t>(shape.begin(), shape.end()), strides);
  return m.batch_stride >= 0 && CublasMatmul::takes(m);
}

std::shared_ptr<CompiledRegion>
CudaExecutor::render(const BoundSymbol& region,
                     const std::map<std::string, codegen::Strides>& input_strides) const {
  THUNDER_INTERNAL_ASSERT(region.symbol != nullptr &&
                          region.symbol->ns == SymbolNamespace::Fusion && region.executor == name())
      << "CudaExecutor takes a cuda fusion region, got " << region.call_string();
  auto out = std::make_shared<CompiledRegion>();
  // "cuda.fusion0" -> "cuda_fusion0": kernel names are identifiers.
  std::string kernel_name = region.symbol->name;
  std::replace(kernel_name.begin(), kernel_name.end(), '.', '_');
  const std::vector<const BoundSymbol*> prims = codegen::flatten_to_prims(region.subsymbols);
  out->kernel = codegen::make_kernel(kernel_name, prims, codegen::region_output_names(region), input_strides);
  out->source = codegen::emit_cuda(out->kernel);
  out->source_hash = stable_hash(out->source);
  return out;
}

std::shared_ptr<const CompiledRegion>
CudaExecutor::compile_for(const BoundSymbol& region, GpuArch arch,
                          const std::map<std::string, codegen::Strides>& input_strides) const {
  std::shared_ptr<CompiledRegion> out = render(region, input_strides);
  out->code = compiler().compile(out->source, out->kernel.name, arch);
  return out;
}

std::shared_ptr<const CompiledRegion>
CudaExecutor::compile(const BoundSymbol& region,
                      const std::map<std::string, codegen::Strides>& input_strides) const {
  std::shared_ptr<CompiledRegion> out = render(region, input_strides);
  CudaRuntime& rt = runtime();
  {
    const std::lock_guard lock(mutex_);
    if (const auto it = kernels_.find(out->source); it != kernels_.end()) {
      ++kernel_hits_;
      return it->second;
    }
  }
  out->code = compiler().compile(out->source, out->kernel.name, rt.arch());
  try {
    out->loaded = rt.load(*out->code, out->kernel.name, out->source);
  } catch (const BackendError&) {
    // A cached image the driver refuses (truncated, or from another driver) is compiled
    // again; a fresh one that fails is the error.
    if (!out->code->from_disk) throw;
    out->code = compiler().compile(out->source, out->kernel.name, rt.arch(),
                                   /*use_disk_cache=*/false);
    out->loaded = rt.load(*out->code, out->kernel.name, out->source);
  }
  const std::lock_guard lock(mutex_);
  return kernels_.emplace(out->source, out).first->second;
}

std::shared_ptr<const CompiledAttention>
CudaExecutor::compile_attention_for(const BoundSymbol& bsym, GpuArch arch) const {
  std::string why_not;
  const std::optional<AttentionPlan> plan = plan_fused_attention(bsym, &why_not);
  if (!plan) {
    throw UnsupportedError(
        str("cuda fused attention does not take ", bsym.call_string(), ": ", why_not));
  }
  auto out = std::make_shared<CompiledAttention>();
  out->config = plan->config;
  out->source = attention_source(plan->config);
  out->code = compiler().compile(out->source, kAttentionKernelName, arch);
  return out;
}

std::shared_ptr<const CompiledAttention>
CudaExecutor::compile_attention(const AttentionConfig& config) const {
  {
    const std::lock_guard lock(mutex_);
    if (const auto it = attention_kernels_.find(config); it != attention_kernels_.end()) {
      return it->second;
    }
  }
  CudaRuntime& rt = runtime();
  auto out = std::make_shared<CompiledAttention>();
  out->config = config;
  out->source = attention_source(config);
  out->code = compiler().compile(out->source, kAttentionKernelName, rt.arch());
  try {
    out->loaded = rt.load(*out->code, kAttentionKernelName, out->source);
  } catch (const BackendError&) {
    // As compile(): a cached image the driver refuses is compiled again.
    if (!out->code->from_disk) throw;
    out->code = compiler().compile(out->source, kAttentionKernelName, rt.arch(),
                                   /*use_disk_cache=*/false);
    out->loaded = rt.load(*out->code, kAttentionKernelName, out->source);
  }
  const std::lock_guard lock(mutex_);
  return attention_kernels_.emplace(config, out).first->second;
}

std::size_t CudaExecutor::kernel_cache_size() const {
  const std::lock_guard lock(mutex_);
  return kernels_.size();
}

std::size_t CudaExecutor::kernel_cache_hits() const {
  const std::lock_guard lock(mutex_);
  return kernel_hits_;
}

} // namespace thunder::cuda
