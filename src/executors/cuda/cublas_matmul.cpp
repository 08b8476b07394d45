#include "thunder/executors/cuda/cublas_matmul.h"

#include "cuda_api.h"
#include "dynamic_library.h"
#include "thunder/core/error.h"
#include "thunder/executors/cuda/cuda_runtime.h"

#include <dlfcn.h>

#include <algorithm>

namespace thunder::cuda {

struct CublasMatmul::Api : api::BlasApi {};

namespace {

// cuBLAS picks faster kernels with room to work (32 MiB is what NVIDIA advises on Hopper).
constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;

const char* status_name(int status) {
  switch (status) {
  case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
  case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
  case 7: return "CUBLAS_STATUS_INVALID_VALUE";
  case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
  case 11: return "CUBLAS_STATUS_MAPPING_ERROR";
  case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
  case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
  case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
  default: return "an unknown cuBLAS status";
  }
}

int data_type(DType dtype) {
  switch (dtype) {
  case DType::Float32: return api::CUDA_R_32F;
  case DType::Float64: return api::CUDA_R_64F;
  case DType::Float16: return api::CUDA_R_16F;
  case DType::BFloat16: return api::CUDA_R_16BF;
  default: THUNDER_INTERNAL_ASSERT(false) << "cuBLASLt has no " << short_name(dtype);
  }
  return -1;
}

bool driver_has_cublaslt(const std::string& driver) {
  if (driver.empty()) return false;
  void* handle = ::dlopen(driver.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return false;
  const bool has = ::dlsym(handle, "cublasLtMatmul") != nullptr;
  ::dlclose(handle);
  return has;
}

// A matrix as cuBLAS (column-major) stores it: rows, cols and leading dimension, and
// whether the operand is its transpose (T) or itself (N).
struct Stored {
  std::int64_t rows = 0, cols = 0, ld = 0;
  int op = api::CUBLAS_OP_N;
};

// Row-major X[r, c] is column-major X^T: (c x r, ld = row stride). Column-major X is itself.
// `want_transpose`: the product needs X^T (so row-major storage is used as it is).
Stored stored(const MatrixOperand& x) {
  std::int64_t rs = x.row_stride;
  std::int64_t cs = x.col_stride;
  if (x.cols == 1) cs = 1;
  if (x.rows == 1) rs = std::max<std::int64_t>(x.cols, 1);
  if (cs == 1 && rs >= std::max<std::int64_t>(x.cols, 1)) {
    return {x.cols, x.rows, rs, api::CUBLAS_OP_N}; // X^T stored, used as X^T
  }
  return {x.rows, x.cols, cs, api::CUBLAS_OP_T}; // X stored, transposed into X^T
}

} // namespace

std::vector<std::string> cublaslt_candidates(const std::string& driver_library) {
  if (driver_has_cublaslt(driver_library)) return {driver_library};
  return cuda_library_candidates("THUNDER_CUBLASLT_LIBRARY",
                                 {"libcublasLt.so.13", "libcublasLt.so.12"});
}

bool CublasMatmul::supports(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64 || dtype == DType::Float16 ||
         dtype == DType::BFloat16;
}

bool CublasMatmul::takes(const MatrixOperand& m) {
  if (m.rows <= 0 || m.cols <= 0 || m.batch <= 0) return false;
  const Stored s = stored(m);
  if (s.ld < std::max<std::int64_t>(s.rows, 1)) return false;
  // A column-major matrix must not be read as a row-major one (and the other way round).
  const bool row_major = s.op == api::CUBLAS_OP_N;
  return row_major ? (m.cols == 1 || m.col_stride == 1) : (m.rows == 1 || m.row_stride == 1);
}

CublasMatmul::CublasMatmul(CudaRuntime& runtime, bool tf32)
    : runtime_(runtime), tf32_(tf32), api_(std::make_unique<Api>()) {
  library_ = std::make_unique<DynamicLibrary>(
      "cuBLASLt (libcublasLt)", cublaslt_candidates(runtime.driver_library_path()),
      "Set THUNDER_CUBLASLT_LIBRARY to its path (it comes with the CUDA toolkit and with the "
      "nvidia-cublas pip wheel); without it, matrix products run on torch");
  const DynamicLibrary& lib = *library_;
  Api& a = *api_;
  lib.bind(a.cublasLtGetVersion, "cublasLtGetVersion");
  lib.bind(a.cublasLtCreate, "cublasLtCreate");
  lib.bind(a.cublasLtDestroy, "cublasLtDestroy");
  lib.bind(a.cublasLtMatmulDescCreate, "cublasLtMatmulDescCreate");
  lib.bind(a.cublasLtMatmulDescDestroy, "cublasLtMatmulDescDestroy");
  lib.bind(a.cublasLtMatmulDescSetAttribute, "cublasLtMatmulDescSetAttribute");
  lib.bind(a.cublasLtMatrixLayoutCreate, "cublasLtMatrixLayoutCreate");
  lib.bind(a.cublasLtMatrixLayoutDestroy, "cublasLtMatrixLayoutDestroy");
  lib.bind(a.cublasLtMatrixLayoutSetAttribute, "cublasLtMatrixLayoutSetAttribute");
  lib.bind(a.cublasLtMatmulPreferenceCreate, "cublasLtMatmulPreferenceCreate");
  lib.bind(a.cublasLtMatmulPreferenceDestroy, "cublasLtMatmulPreferenceDestroy");
  lib.bind(a.cublasLtMatmulPreferenceSetAttribute, "cublasLtMatmulPreferenceSetAttribute");
  lib.bind(a.cublasLtMatmulAlgoGetHeuristic, "cublasLtMatmulAlgoGetHeuristic");
  lib.bind(a.cublasLtMatmul, "cublasLtMatmul");
  api::cublasLtHandle_t handle = nullptr;
  if (const int status = a.cublasLtCreate(&handle); status != api::CUBLAS_STATUS_SUCCESS) {
    throw BackendError(str("cuda: cublasLtCreate failed: ", status_name(status), " (", status,
                           ") with ", lib.path()));
  }
  handle_ = handle;
}

CublasMatmul::~CublasMatmul() {
  if (handle_ != nullptr) api_->cublasLtDestroy(static_cast<api::cublasLtHandle_t>(handle_));
}

std::string CublasMatmul::description() const {
  return str("cuBLASLt ", api_->cublasLtGetVersion(), " at ", library_->path());
}

void CublasMatmul::run(const MatmulProblem& p, void* stream) {
  const Api& a = *api_;
  const std::string what = str("c[", p.c.batch, ", ", p.c.rows, ", ", p.c.cols, "] = a[", p.a.batch,
                               ", ", p.a.rows, ", ", p.a.cols, "] @ b[", p.b.batch, ", ", p.b.rows,
                               ", ", p.b.cols, "]", p.bias != 0 ? " + bias" : "",
                               p.activation == MatmulActivation::Relu ? ", relu" : "", " in ",
                               short_name(p.dtype));
  THUNDER_INTERNAL_ASSERT(supports(p.dtype) && takes(p.a) && takes(p.b) && p.c.col_stride == 1 &&
                          p.c.row_stride >= p.c.cols && p.a.cols == p.b.rows &&
                          p.a.rows == p.c.rows && p.b.cols == p.c.cols)
      << "cuBLASLt matmul of an unsupported problem: " << what;
  const auto check = [&](int status, const char* call) {
    if (status != api::CUBLAS_STATUS_SUCCESS) {
      throw BackendError(str("cuda: ", call, " failed for ", what, ": ", status_name(status), " (",
                             status, ") on ", runtime_.description()));
    }
  };
  // The product in column-major terms: c^T = b^T a^T, so cuBLAS's A is b and its B is a.
  const Stored sa = stored(p.b);
  const Stored sb = stored(p.a);
  const int type = data_type(p.dtype);
  const bool f64 = p.dtype == DType::Float64;
  const int compute = f64 ? api::CUBLAS_COMPUTE_64F
                          : (tf32_ && p.dtype == DType::Float32 ? api::CUBLAS_COMPUTE_32F_FAST_TF32
                                                               : api::CUBLAS_COMPUTE_32F);
  const int scale = f64 ? api::CUDA_R_64F : api::CUDA_R_32F;

  // Descriptors, destroyed however this function leaves.
  api::cublasLtMatmulDesc_t desc = nullptr;
  api::cublasLtMatrixLayout_t layouts[3] = {};
  api::cublasLtMatmulPreference_t preference = nullptr;
  struct Guard {
    const Api& a;
    api::cublasLtMatmulDesc_t& desc;
    api::cublasLtMatrixLayout_t (&layouts)[3];
    api::cublasLtMatmulPreference_t& preference;
    ~Guard() {
      if (preference != nullptr) a.cublasLtMatmulPreferenceDestroy(preference);
      for (api::cublasLtMatrixLayout_t l : layouts)
        if (l != nullptr) a.cublasLtMatrixLayoutDestroy(l);
      if (desc != nullptr) a.cublasLtMatmulDescDestroy(desc);
    }
  } guard{a, desc, layouts, preference};

  check(a.cublasLtMatmulDescCreate(&desc, compute, scale), "cublasLtMatmulDescCreate");
  check(a.cublasLtMatmulDescSetAttribute(desc, api::CUBLASLT_MATMUL_DESC_TRANSA, &sa.op, sizeof(int)),
        "cublasLtMatmulDescSetAttribute(TRANSA)");
  check(a.cublasLtMatmulDescSetAttribute(desc, api::CUBLASLT_MATMUL_DESC_TRANSB, &sb.op, sizeof(int)),
        "cublasLtMatmulDescSetAttribute(TRANSB)");
  // The epilogue: cuBLASLt's D is c^T, so the bias (one per column of c) is one per row of
  // D, as the BIAS epilogue adds it; the same bias for every batch (its batch stride is 0).
  const bool relu = p.activation == MatmulActivation::Relu;
  if (p.bias != 0 || relu) {
    const std::uint32_t epilogue =
        p.bias != 0 ? (relu ? api::CUBLASLT_EPILOGUE_RELU_BIAS : api::CUBLASLT_EPILOGUE_BIAS)
                    : api::CUBLASLT_EPILOGUE_RELU;
    check(a.cublasLtMatmulDescSetAttribute(desc, api::CUBLASLT_MATMUL_DESC_EPILOGUE, &epilogue,
                                           sizeof epilogue),
          "cublasLtMatmulDescSetAttribute(EPILOGUE)");
    if (p.bias != 0) {
      const void* bias = reinterpret_cast<const void*>(static_cast<std::uintptr_t>(p.bias));
      check(a.cublasLtMatmulDescSetAttribute(desc, api::CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias,
                                             sizeof bias),
            "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
    }
  }
  const auto layout = [&](api::cublasLtMatrixLayout_t& l, const Stored& s, std::int64_t batch,
                          std::int64_t batch_stride) {
    check(a.cublasLtMatrixLayoutCreate(&l, type, static_cast<std::uint64_t>(s.rows),
                                       static_cast<std::uint64_t>(s.cols), s.ld),
          "cublasLtMatrixLayoutCreate");
    if (batch > 1) {
      const int count = static_cast<int>(batch);
      check(a.cublasLtMatrixLayoutSetAttribute(l, api::CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                                               sizeof count),
            "cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)");
      check(a.cublasLtMatrixLayoutSetAttribute(l, api::CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                                               &batch_stride, sizeof batch_stride),
            "cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)");
    }
  };
  layout(layouts[0], sa, p.b.batch, p.b.batch_stride);
  layout(layouts[1], sb, p.a.batch, p.a.batch_stride);
  layout(layouts[2], Stored{p.c.cols, p.c.rows, p.c.row_stride, api::CUBLAS_OP_N}, p.c.batch,
         p.c.batch_stride);

  check(a.cublasLtMatmulPreferenceCreate(&preference), "cublasLtMatmulPreferenceCreate");
  const std::uint64_t workspace_bytes = kWorkspaceBytes;
  check(a.cublasLtMatmulPreferenceSetAttribute(preference, api::CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                               &workspace_bytes, sizeof workspace_bytes),
        "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
  // cuBLASLt assumes 256-byte aligned pointers unless told: a view into a tensor (a slice of
  // a CUDA tensor) is aligned to its element only.
  const auto alignment = [](std::uint64_t address) {
    std::uint32_t bytes = 256;
    while (bytes > 1 && address % bytes != 0)
      bytes /= 2;
    return bytes;
  };
  const std::uint64_t pointers[4] = {p.b.address, p.a.address, p.c.address, p.c.address};
  for (int i = 0; i < 4; ++i) {
    const std::uint32_t bytes = alignment(pointers[i]);
    check(a.cublasLtMatmulPreferenceSetAttribute(
              preference, api::CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES + i, &bytes, sizeof bytes),
          "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT)");
  }
  api::cublasLtMatmulHeuristicResult_t heuristic{};
  int found = 0;
  check(a.cublasLtMatmulAlgoGetHeuristic(static_cast<api::cublasLtHandle_t>(handle_), desc,
                                         layouts[0], layouts[1], layouts[2], layouts[2], preference,
                                         1, &heuristic, &found),
        "cublasLtMatmulAlgoGetHeuristic");
  if (found == 0) {
    throw BackendError(str("cuda: cuBLASLt has no algorithm for ", what, " on ",
                           runtime_.description()));
  }
  // A workspace per stream (work on two streams at once must not share one), grown to what
  // the chosen algorithms ask for (at most kWorkspaceBytes); an outgrown one is reused by
  // the allocator only after the work before it on its stream. A capturing stream's is
  // the most at once: a CUDA graph keeps the address, so it must never be outgrown.
  DeviceMemory* workspace = nullptr;
  if (heuristic.workspaceSize > 0) {
    const std::size_t wanted =
        runtime_.capturing(stream) ? kWorkspaceBytes : heuristic.workspaceSize;
    const std::lock_guard lock(mutex_);
    std::unique_ptr<DeviceMemory>& w = workspaces_[stream];
    if (!w || w->bytes() < wanted) {
      w = std::make_unique<DeviceMemory>(runtime_.allocate(wanted, "cuBLASLt workspace"));
    }
    workspace = w.get();
  }
  const float alpha32 = 1.0f, beta32 = 0.0f;
  const double alpha64 = 1.0, beta64 = 0.0;
  const void* alpha = f64 ? static_cast<const void*>(&alpha64) : &alpha32;
  const void* beta = f64 ? static_cast<const void*>(&beta64) : &beta32;
  const auto ptr = [](std::uint64_t address) {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(address));
  };
  check(a.cublasLtMatmul(static_cast<api::cublasLtHandle_t>(handle_), desc, alpha, ptr(p.b.address),
                         layouts[0], ptr(p.a.address), layouts[1], beta, ptr(p.c.address),
                         layouts[2], ptr(p.c.address), layouts[2], &heuristic.algo,
                         workspace != nullptr ? ptr(workspace->address()) : nullptr,
                         workspace != nullptr ? workspace->bytes() : 0,
                         static_cast<api::CUstream>(stream)),
        "cublasLtMatmul");
}

void CublasMatmul::release_workspace(void* stream) {
  const std::lock_guard lock(mutex_);
  workspaces_.erase(stream);
}

std::size_t CublasMatmul::workspace_bytes(void* stream) {
  const std::lock_guard lock(mutex_);
  const auto it = workspaces_.find(stream);
  return it != workspaces_.end() && it->second ? it->second->bytes() : 0;
}

MatrixOperand strided_operand(std::uint64_t address, const std::vector<std::int64_t>& shape,
                              const std::vector<std::int64_t>& strides) {
  const std::size_t rank = shape.size();
  MatrixOperand m;
  m.address = address;
  m.rows = shape[rank - 2];
  m.cols = shape[rank - 1];
  m.row_stride = strides[rank - 2];
  m.col_stride = strides[rank - 1];
  std::int64_t expected = -1;
  for (std::size_t d = rank - 2; d-- > 0;) {
    if (shape[d] == 1) continue;
    if (expected >= 0 && strides[d] != expected) m.batch_stride = -1;
    if (m.batch == 1 && m.batch_stride >= 0) m.batch_stride = strides[d];
    m.batch *= shape[d];
    expected = strides[d] * shape[d];
  }
  for (std::size_t d = 0; d + 2 < rank; ++d)
    if (shape[d] == 0) m.batch = 0;
  return m;
}

} // namespace thunder::cuda
