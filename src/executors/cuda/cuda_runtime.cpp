#include "thunder/executors/cuda/cuda_runtime.h"

#include "cuda_api.h"
#include "dynamic_library.h"
#include "thunder/core/error.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace thunder::cuda {

struct CudaRuntime::Driver : api::DriverApi {
  std::unique_ptr<DynamicLibrary> library;
  /// Only in thunder's host emulator: loads a module from CUDA C++ source.
  api::CUresult (*thunderEmulatorModuleLoadSource)(api::CUmodule*, const char*) = nullptr;
};

// Makes the device's context current for one call and gives the thread back the context
// it had (LibTorch's current device follows the current context).
class CudaRuntime::ContextGuard {
public:
  explicit ContextGuard(const CudaRuntime& rt) : rt_(rt) {
    rt_.check(rt_.driver_->cuCtxGetCurrent(&previous_), "cuCtxGetCurrent");
    if (previous_ != rt_.context_) {
      rt_.check(rt_.driver_->cuCtxSetCurrent(static_cast<api::CUcontext>(rt_.context_)),
                "cuCtxSetCurrent");
    }
  }
  ~ContextGuard() {
    if (previous_ != rt_.context_) rt_.driver_->cuCtxSetCurrent(previous_);
  }
  ContextGuard(const ContextGuard&) = delete;
  ContextGuard& operator=(const ContextGuard&) = delete;

private:
  const CudaRuntime& rt_;
  api::CUcontext previous_ = nullptr;
};

namespace {

bool env_flag(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != 0 && std::strcmp(value, "0") != 0;
}

// Blocks are rounded up so that a freed block serves later requests of similar size.
std::size_t block_size(std::size_t bytes) {
  const std::size_t granule = bytes < (1u << 20) ? 512 : (2u << 20);
  return (std::max<std::size_t>(bytes, 1) + granule - 1) / granule * granule;
}

} // namespace

DeviceMemory::~DeviceMemory() {
  if (runtime_ != nullptr && address_ != 0) runtime_->free(address_, bytes_);
}

DeviceMemory::DeviceMemory(DeviceMemory&& other) noexcept
    : runtime_(other.runtime_), address_(other.address_), bytes_(other.bytes_) {
  other.runtime_ = nullptr;
  other.address_ = 0;
}

DeviceMemory& DeviceMemory::operator=(DeviceMemory&& other) noexcept {
  if (this != &other) {
    if (runtime_ != nullptr && address_ != 0) runtime_->free(address_, bytes_);
    runtime_ = other.runtime_;
    address_ = other.address_;
    bytes_ = other.bytes_;
    other.runtime_ = nullptr;
    other.address_ = 0;
  }
  return *this;
}

CudaRuntime::CudaRuntime(RuntimeOptions options)
    : driver_(std::make_unique<Driver>()), options_(options) {
  std::vector<std::string> candidates{"libcuda.so.1", "libcuda.so"};
  if (const char* path = std::getenv("THUNDER_CUDA_DRIVER_LIBRARY"); path != nullptr && *path) {
    candidates = {path};
  }
  if (!options_.driver_library.empty()) candidates = {options_.driver_library};
  driver_->library = std::make_unique<DynamicLibrary>(
      "the NVIDIA driver (libcuda.so.1)", candidates,
      "The cuda backend needs an NVIDIA GPU and its driver; use THUNDER_BACKEND=spirv or torch "
      "on this machine");
  const DynamicLibrary& lib = *driver_->library;
  Driver& d = *driver_;
  lib.bind(d.cuInit, "cuInit");
  lib.bind(d.cuDriverGetVersion, "cuDriverGetVersion");
  lib.bind(d.cuGetErrorName, "cuGetErrorName");
  lib.bind(d.cuGetErrorString, "cuGetErrorString");
  lib.bind(d.cuDeviceGetCount, "cuDeviceGetCount");
  lib.bind(d.cuDeviceGet, "cuDeviceGet");
  lib.bind(d.cuDeviceGetName, "cuDeviceGetName");
  lib.bind(d.cuDeviceGetAttribute, "cuDeviceGetAttribute");
  lib.bind(d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  lib.bind(d.cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
  lib.bind(d.cuCtxSetCurrent, "cuCtxSetCurrent");
  lib.bind(d.cuCtxGetCurrent, "cuCtxGetCurrent");
  lib.bind(d.cuModuleLoadData, "cuModuleLoadData");
  lib.bind(d.cuModuleUnload, "cuModuleUnload");
  lib.bind(d.cuModuleGetFunction, "cuModuleGetFunction");
  lib.bind(d.cuLaunchKernel, "cuLaunchKernel");
  lib.bind(d.cuMemAlloc, "cuMemAlloc_v2");
  lib.bind(d.cuMemFree, "cuMemFree_v2");
  lib.bind(d.cuMemGetInfo, "cuMemGetInfo_v2");
  lib.bind(d.cuMemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2");
  lib.bind(d.cuMemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2");
  lib.bind(d.cuStreamSynchronize, "cuStreamSynchronize");
  lib.bind(d.cuMemcpyDtoDAsync, "cuMemcpyDtoDAsync_v2");
  lib.bind(d.cuMemsetD32Async, "cuMemsetD32Async");
  lib.bind(d.cuStreamCreate, "cuStreamCreate");
  lib.bind(d.cuStreamDestroy, "cuStreamDestroy_v2");
  lib.bind(d.cuStreamBeginCapture, "cuStreamBeginCapture_v2");
  lib.bind(d.cuStreamEndCapture, "cuStreamEndCapture");
  lib.bind(d.cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags");
  lib.bind(d.cuGraphLaunch, "cuGraphLaunch");
  lib.bind(d.cuGraphExecDestroy, "cuGraphExecDestroy");
  lib.bind(d.cuGraphDestroy, "cuGraphDestroy");
  lib.bind(d.cuMemHostAlloc, "cuMemHostAlloc");
  lib.bind(d.cuMemFreeHost, "cuMemFreeHost");
  lib.bind(d.cuEventCreate, "cuEventCreate");
  lib.bind(d.cuEventRecord, "cuEventRecord");
  lib.bind(d.cuEventQuery, "cuEventQuery");
  lib.bind(d.cuEventSynchronize, "cuEventSynchronize");
  lib.bind(d.cuEventDestroy, "cuEventDestroy_v2");
  d.thunderEmulatorModuleLoadSource =
      reinterpret_cast<decltype(d.thunderEmulatorModuleLoadSource)>(
          lib.find("thunderEmulatorModuleLoadSource"));

#ifndef NDEBUG
  options_.sync_after_launch = true;
#endif
  if (env_flag("THUNDER_CUDA_SYNC")) options_.sync_after_launch = true;

  check(d.cuInit(0), "cuInit");
  d.cuDriverGetVersion(&driver_version_);
  int count = 0;
  check(d.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (count == 0) throw BackendError("cuda: the NVIDIA driver is loaded but sees no GPU");
  device_ = options_.device;
  if (device_ < 0) {
    device_ = 0;
    if (const char* env = std::getenv("THUNDER_CUDA_DEVICE"); env != nullptr && *env != 0) {
      char* end = nullptr;
      const long value = std::strtol(env, &end, 10);
      if (end == env || *end != 0 || value < 0) {
        throw BackendError(str("cuda: THUNDER_CUDA_DEVICE='", env, "' is not a device index"));
      }
      device_ = static_cast<int>(value);
    }
  }
  if (device_ >= count) {
    throw BackendError(str("cuda: device ", device_, " requested, but the driver sees ", count,
                           count == 1 ? " GPU" : " GPUs", " (indices 0..", count - 1, ")"));
  }
  check(d.cuDeviceGet(&device_handle_, device_), "cuDeviceGet");
  char name[256] = {};
  check(d.cuDeviceGetName(name, sizeof name - 1, device_handle_), "cuDeviceGetName");
  device_name_ = name;
  check(d.cuDeviceGetAttribute(&arch_.major, api::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
                               device_handle_),
        "cuDeviceGetAttribute(major)");
  check(d.cuDeviceGetAttribute(&arch_.minor, api::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
                               device_handle_),
        "cuDeviceGetAttribute(minor)");
  api::CUcontext context = nullptr;
  check(d.cuDevicePrimaryCtxRetain(&context, device_handle_), "cuDevicePrimaryCtxRetain");
  context_ = context;
}

CudaRuntime::~CudaRuntime() {
  try {
    const ContextGuard context(*this);
    driver_->cuStreamSynchronize(nullptr);
    release_cached_memory(); // and the staging buffers
    for (const auto& kernel : kernels_) {
      driver_->cuModuleUnload(static_cast<api::CUmodule>(kernel->module));
    }
  } catch (...) {
    // Destruction must not throw; a failing driver at this point has nothing left to lose.
  }
  if (context_ != nullptr) driver_->cuDevicePrimaryCtxRelease(device_handle_);
}

void CudaRuntime::check(int result, const std::string& what) const {
  if (result == api::CUDA_SUCCESS) return;
  const char* name = nullptr;
  const char* text = nullptr;
  driver_->cuGetErrorName(result, &name);
  driver_->cuGetErrorString(result, &text);
  std::string where = device_name_.empty() ? "" : str(" on ", device_name_);
  if (result == api::CUDA_ERROR_NO_DEVICE) {
    throw BackendError(str("cuda: ", what, " failed: no CUDA-capable GPU is visible (",
                           name != nullptr ? name : "?", ")"));
  }
  throw BackendError(str("cuda: ", what, " failed", where, ": ", name != nullptr ? name : "error",
                         " (", text != nullptr ? text : "no description", ", code ", result, ")"));
}

std::string CudaRuntime::driver_version() const {
  return str(driver_version_ / 1000, ".", (driver_version_ % 1000) / 10);
}

const std::string& CudaRuntime::driver_library_path() const {
  return driver_->library->path();
}

bool CudaRuntime::emulated() const {
  return driver_->thunderEmulatorModuleLoadSource != nullptr;
}

std::string CudaRuntime::description() const {
  if (emulated()) return str(device_name_, " (", arch_.name(), ", ", driver_->library->path(), ")");
  return str(device_name_, " (", arch_.name(), ", CUDA driver ", driver_version(), ")");
}

std::shared_ptr<const LoadedKernel> CudaRuntime::load(const CompiledCode& code,
                                                      const std::string& name,
                                                      const std::string& source) {
  const std::lock_guard lock(mutex_);
  const ContextGuard context(*this);
  api::CUmodule module = nullptr;
  if (emulated()) {
    check(driver_->thunderEmulatorModuleLoadSource(&module, source.c_str()),
          str("building kernel ", name, " for the host emulator"));
  } else {
    check(driver_->cuModuleLoadData(&module, code.image.data()),
          str("loading kernel ", name, " (", code.is_cubin ? "CUBIN for " : "PTX for ",
              code.arch.name(), ", driver ", driver_version(), ")"));
  }
  api::CUfunction function = nullptr;
  const int rc = driver_->cuModuleGetFunction(&function, module, name.c_str());
  if (rc != api::CUDA_SUCCESS) {
    driver_->cuModuleUnload(module);
    check(rc, str("finding kernel ", name, " in its module"));
  }
  auto kernel = std::make_shared<LoadedKernel>(LoadedKernel{name, module, function});
  kernels_.push_back(kernel);
  return kernel;
}

DeviceMemory CudaRuntime::allocate(std::size_t bytes, const std::string& what) {
  const std::size_t size = block_size(bytes);
  const std::lock_guard lock(mutex_);
  if (auto it = free_blocks_.find(size); it != free_blocks_.end() && !it->second.empty()) {
    const std::uint64_t address = it->second.back();
    it->second.pop_back();
    stats_.cached -= size;
    stats_.in_use += size;
    stats_.peak_in_use = std::max(stats_.peak_in_use, stats_.in_use);
    ++stats_.reuses;
    return DeviceMemory(this, address, size);
  }
  const ContextGuard context(*this);
  api::CUdeviceptr address = 0;
  int rc = driver_->cuMemAlloc(&address, size);
  if (rc == api::CUDA_ERROR_OUT_OF_MEMORY && capturing_.empty()) {
    // Give back what the cache holds (after the work that may still use it), then retry;
    // not while a stream captures, where a synchronize and a free are not allowed.
    free_cached_blocks();
    rc = driver_->cuMemAlloc(&address, size);
  }
  if (rc == api::CUDA_ERROR_OUT_OF_MEMORY) {
    std::size_t free_bytes = 0;
    std::size_t total = 0;
    driver_->cuMemGetInfo(&free_bytes, &total);
    throw BackendError(str("cuda: out of device memory on ", device_name_, ": ", size,
                           " bytes for ", what, " (free ", free_bytes, " of ", total,
                           " bytes; thunder holds ", stats_.in_use, " bytes in use)"));
  }
  check(rc, str("cuMemAlloc(", size, " bytes for ", what, ")"));
  ++stats_.driver_allocations;
  stats_.in_use += size;
  stats_.peak_in_use = std::max(stats_.peak_in_use, stats_.in_use);
  return DeviceMemory(this, address, size);
}

void CudaRuntime::free(std::uint64_t address, std::size_t bytes) noexcept {
  const std::lock_guard lock(mutex_);
  free_blocks_[bytes].push_back(address);
  stats_.in_use -= bytes;
  stats_.cached += bytes;
}

void CudaRuntime::release_cached_memory() {
  const std::lock_guard lock(mutex_);
  const ContextGuard context(*this);
  free_cached_blocks();
  // And the staging buffers no run holds, once their copies are done.
  for (const PinnedBuffer& b : pinned_pool_) {
    driver_->cuEventSynchronize(static_cast<api::CUevent>(b.event));
    driver_->cuEventDestroy(static_cast<api::CUevent>(b.event));
    driver_->cuMemFreeHost(b.host);
    stats_.pinned_bytes -= b.bytes;
  }
  pinned_pool_.clear();
}

void CudaRuntime::free_cached_blocks() {
  driver_->cuStreamSynchronize(nullptr);
  for (auto& [block, addresses] : free_blocks_) {
    for (const std::uint64_t a : addresses)
      driver_->cuMemFree(a);
  }
  free_blocks_.clear();
  stats_.cached = 0;
}

MemoryStats CudaRuntime::memory_stats() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

void CudaRuntime::upload(std::uint64_t device_address, const void* host, std::size_t bytes,
                         void* stream) {
  if (bytes == 0) return;
  const ContextGuard context(*this);
  check(driver_->cuMemcpyHtoDAsync(device_address, host, bytes, static_cast<api::CUstream>(stream)),
        str("copying ", bytes, " bytes to the device"));
}

void CudaRuntime::download(void* host, std::uint64_t device_address, std::size_t bytes,
                           void* stream) {
  if (bytes == 0) return;
  const ContextGuard context(*this);
  check(driver_->cuMemcpyDtoHAsync(host, device_address, bytes, static_cast<api::CUstream>(stream)),
        str("copying ", bytes, " bytes from the device"));
  synchronize("the copy to the host", stream);
}

void CudaRuntime::launch(const LoadedKernel& kernel, unsigned blocks, unsigned threads,
                         void** params, void* stream) {
  const ContextGuard context(*this);
  check(driver_->cuLaunchKernel(static_cast<api::CUfunction>(kernel.function), blocks, 1, 1,
                                threads, 1, 1, 0, static_cast<api::CUstream>(stream), params,
                                nullptr),
        str("launching ", kernel.name, " (", blocks, " blocks of ", threads, ")"));
  if (options_.sync_after_launch && !capturing(stream)) synchronize("kernel " + kernel.name, stream);
}

bool CudaRuntime::capturing(void* stream) const {
  const std::lock_guard lock(mutex_);
  return capturing_.count(stream) != 0;
}

void CudaRuntime::copy(std::uint64_t destination, std::uint64_t source, std::size_t bytes,
                       void* stream) {
  if (bytes == 0) return;
  const ContextGuard context(*this);
  check(driver_->cuMemcpyDtoDAsync(destination, source, bytes, static_cast<api::CUstream>(stream)),
        str("copying ", bytes, " bytes on the device"));
}

void CudaRuntime::zero(std::uint64_t address, std::size_t bytes, void* stream) {
  THUNDER_INTERNAL_ASSERT(bytes % 4 == 0 && address % 4 == 0)
      << "zero() fills whole 4-byte words, not " << bytes << " bytes";
  if (bytes == 0) return;
  const ContextGuard context(*this);
  check(driver_->cuMemsetD32Async(address, 0, bytes / 4, static_cast<api::CUstream>(stream)),
        str("zeroing ", bytes, " bytes on the device"));
}

void* CudaRuntime::create_stream() {
  const ContextGuard context(*this);
  api::CUstream stream = nullptr;
  check(driver_->cuStreamCreate(&stream, api::CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  return stream;
}

void CudaRuntime::destroy_stream(void* stream) noexcept {
  if (stream == nullptr) return;
  try {
    const ContextGuard context(*this);
    driver_->cuStreamDestroy(static_cast<api::CUstream>(stream));
  } catch (const Error&) {
    // The context could not be made current: the stream goes with it.
  }
}

void CudaRuntime::begin_capture(void* stream) {
  const ContextGuard context(*this);
  check(driver_->cuStreamBeginCapture(static_cast<api::CUstream>(stream),
                                      api::CU_STREAM_CAPTURE_MODE_RELAXED),
        "beginning a CUDA graph capture");
  const std::lock_guard lock(mutex_);
  capturing_.insert(stream);
}

void* CudaRuntime::end_capture(void* stream) {
  const ContextGuard context(*this);
  {
    const std::lock_guard lock(mutex_);
    capturing_.erase(stream);
  }
  api::CUgraph graph = nullptr;
  check(driver_->cuStreamEndCapture(static_cast<api::CUstream>(stream), &graph),
        "ending a CUDA graph capture");
  api::CUgraphExec exec = nullptr;
  const int rc = driver_->cuGraphInstantiateWithFlags(&exec, graph, 0);
  driver_->cuGraphDestroy(graph);
  check(rc, "instantiating a captured CUDA graph");
  return exec;
}

void CudaRuntime::abort_capture(void* stream) noexcept {
  try {
    const ContextGuard context(*this);
    {
      const std::lock_guard lock(mutex_);
      if (capturing_.erase(stream) == 0) return;
    }
    api::CUgraph graph = nullptr;
    driver_->cuStreamEndCapture(static_cast<api::CUstream>(stream), &graph);
    if (graph != nullptr) driver_->cuGraphDestroy(graph);
  } catch (const Error&) {
    // As destroy_stream.
  }
}

void CudaRuntime::launch_graph(void* graph, void* stream) {
  const ContextGuard context(*this);
  check(driver_->cuGraphLaunch(static_cast<api::CUgraphExec>(graph),
                               static_cast<api::CUstream>(stream)),
        "launching a CUDA graph");
  if (options_.sync_after_launch) synchronize("a CUDA graph", stream);
}

void CudaRuntime::destroy_graph(void* graph) noexcept {
  if (graph == nullptr) return;
  try {
    const ContextGuard context(*this);
    driver_->cuGraphExecDestroy(static_cast<api::CUgraphExec>(graph));
  } catch (const Error&) {
    // As destroy_stream.
  }
}

void CudaRuntime::synchronize(const std::string& after, void* stream) {
  const ContextGuard context(*this);
  check(driver_->cuStreamSynchronize(static_cast<api::CUstream>(stream)),
        after.empty() ? std::string("synchronizing") : "synchronizing after " + after);
}

namespace {
// Staging buffers are at least this big (small copies share one), and a copy bigger than
// kMaxStagingBytes goes through in pieces.
constexpr std::size_t kMinStagingBytes = std::size_t{4} << 20;
constexpr std::size_t kMaxStagingBytes = std::size_t{64} << 20;
// Past this much pinned memory, a busy buffer is waited for rather than another made.
constexpr std::size_t kPinnedLimitBytes = std::size_t{256} << 20;
} // namespace

std::optional<PinnedBuffer> CudaRuntime::take_pinned(std::size_t min_bytes) {
  // Under the lock, only the pool's bookkeeping; the driver calls that may wait (an event,
  // pinning memory) are made after it, so other threads' allocations are not held up.
  std::optional<PinnedBuffer> busy;
  {
    const std::lock_guard lock(mutex_);
    if (pinned_unavailable_) return std::nullopt;
    const ContextGuard context(*this);
    // The smallest free buffer that is big enough and whose copies have finished; failing
    // that, past the limit, the smallest big enough one, to wait for.
    std::optional<std::size_t> ready, waiting;
    for (std::size_t i = 0; i < pinned_pool_.size(); ++i) {
      const PinnedBuffer& b = pinned_pool_[i];
      if (b.bytes < min_bytes) continue;
      const bool done =
          driver_->cuEventQuery(static_cast<api::CUevent>(b.event)) != api::CUDA_ERROR_NOT_READY;
      std::optional<std::size_t>& slot = done ? ready : waiting;
      if (!slot || b.bytes < pinned_pool_[*slot].bytes) slot = i;
    }
    if (!ready && waiting && stats_.pinned_bytes >= kPinnedLimitBytes) ready = waiting;
    if (ready) {
      PinnedBuffer b = pinned_pool_[*ready];
      pinned_pool_.erase(pinned_pool_.begin() + static_cast<std::ptrdiff_t>(*ready));
      if (ready != waiting) return b;
      busy = b;
    }
  }
  const ContextGuard context(*this);
  if (busy) {
    check(driver_->cuEventSynchronize(static_cast<api::CUevent>(busy->event)),
          "waiting for copies from a staging buffer");
    return busy;
  }
  PinnedBuffer b;
  b.bytes = std::max(min_bytes, kMinStagingBytes);
  api::CUevent event = nullptr;
  if (driver_->cuMemHostAlloc(&b.host, b.bytes, 0) != api::CUDA_SUCCESS) {
    // Not tried again: copies go from pageable memory from now on.
    const std::lock_guard lock(mutex_);
    pinned_unavailable_ = true;
    return std::nullopt;
  }
  if (driver_->cuEventCreate(&event, api::CU_EVENT_DISABLE_TIMING) != api::CUDA_SUCCESS) {
    driver_->cuMemFreeHost(b.host);
    return std::nullopt;
  }
  b.event = event;
  const std::lock_guard lock(mutex_);
  stats_.pinned_bytes += b.bytes;
  return b;
}

void CudaRuntime::return_pinned(std::vector<PinnedBuffer>& buffers, void* stream) noexcept {
  const std::lock_guard lock(mutex_);
  try {
    const ContextGuard context(*this);
    for (PinnedBuffer& b : buffers) {
      // Handed out again only once the copies recorded before this event have read it.
      if (driver_->cuEventRecord(static_cast<api::CUevent>(b.event),
                                 static_cast<api::CUstream>(stream)) != api::CUDA_SUCCESS) {
        driver_->cuStreamSynchronize(static_cast<api::CUstream>(stream));
      }
      pinned_pool_.push_back(b);
    }
  } catch (const Error&) {
    // No context: the buffers leak rather than be reused under a copy.
  }
  buffers.clear();
}

HostStaging::~HostStaging() {
  if (!held_.empty()) runtime_.return_pinned(held_, stream_);
}

void HostStaging::upload(std::uint64_t device_address, const void* host, std::size_t bytes) {
  const auto* from = static_cast<const std::byte*>(host);
  while (bytes > 0) {
    if (!held_.empty() && used_ == held_.back().bytes) {
      // Full: back to the pool now, with an event after the copies from it, so a run holds
      // one buffer at a time and the pool stays near its limit.
      runtime_.return_pinned(held_, stream_);
    }
    if (held_.empty()) {
      std::optional<PinnedBuffer> b = runtime_.take_pinned(std::min(bytes, kMaxStagingBytes));
      if (!b) {
        // No pinned memory to be had: the rest goes as a pageable copy, slower, not wrong.
        runtime_.upload(device_address, from, bytes, stream_);
        return;
      }
      held_.push_back(*b);
      used_ = 0;
    }
    PinnedBuffer& b = held_.back();
    const std::size_t n = std::min(bytes, b.bytes - used_);
    void* staging = static_cast<std::byte*>(b.host) + used_;
    std::memcpy(staging, from, n);
    runtime_.upload(device_address, staging, n, stream_);
    runtime_.note_staged(n);
    used_ += n;
    from += n;
    device_address += n;
    bytes -= n;
  }
}

void CudaRuntime::note_staged(std::size_t bytes) {
  const std::lock_guard lock(mutex_);
  stats_.staged_bytes += bytes;
}

} // namespace thunder::cuda
