// CudaRuntime: one CUDA device through the driver API, loaded at run time (dlopen of
// libcuda.so.1), so a machine without a driver builds and loads the library and is told
// "no driver" in words. It holds the device's primary context (the one LibTorch uses, so
// device pointers pass between them), a caching allocator, and the kernels loaded from
// NVRTC's CUBIN or PTX. Work goes to the stream the caller names (the torch edge passes
// torch's current stream when it works on CUDA tensors) or to the legacy default stream.
// Each call makes the device's context current and restores the caller's afterwards, so
// LibTorch's idea of the current device is left alone. A driver library that exports
// thunderEmulatorModuleLoadSource is thunder's CUDA host emulator (no GPU: it runs the
// kernels' CUDA C++ on the CPU, see src/executors/cuda/emulator); it gets each kernel's
// source besides NVRTC's image, and the runtime says "host emulator" wherever it names the
// device.
// Every driver call is checked; with sync_after_launch (debug builds, or
// THUNDER_CUDA_SYNC=1) each launch is followed by a synchronize and a check, so a fault
// names the kernel that caused it. Torch-free.
#pragma once

#include "thunder/executors/cuda/nvrtc_compiler.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace thunder::cuda {

struct RuntimeOptions {
  /// The device ordinal; -1: $THUNDER_CUDA_DEVICE, else 0.
  int device = -1;
  /// Synchronize and check after every launch (default: on in debug builds and with
  /// THUNDER_CUDA_SYNC=1).
  bool sync_after_launch = false;
  /// The driver library to open; empty: $THUNDER_CUDA_DRIVER_LIBRARY, else libcuda.so.1.
  /// Tests name thunder's host emulator here.
  std::string driver_library;
};

class CudaRuntime;

/// Device memory from the runtime's caching allocator; returned to its cache when
/// destroyed (reuse is safe: all work is ordered on one stream).
class DeviceMemory {
public:
  DeviceMemory() = default;
  DeviceMemory(CudaRuntime* runtime, std::uint64_t address, std::size_t bytes)
      : runtime_(runtime), address_(address), bytes_(bytes) {}
  ~DeviceMemory();
  DeviceMemory(DeviceMemory&& other) noexcept;
  DeviceMemory& operator=(DeviceMemory&& other) noexcept;
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  std::uint64_t address() const { return address_; }
  std::size_t bytes() const { return bytes_; }

private:
  CudaRuntime* runtime_ = nullptr;
  std::uint64_t address_ = 0;
  std::size_t bytes_ = 0;
};

/// A kernel loaded into the device's context.
struct LoadedKernel {
  std::string name;
  void* module = nullptr;   ///< CUmodule
  void* function = nullptr; ///< CUfunction
};

/// Page-locked host memory of the runtime's, and the event recorded after the last copies
/// that read it (HostStaging).
struct PinnedBuffer {
  void* host = nullptr;
  std::size_t bytes = 0;
  void* event = nullptr; ///< CUevent
};

/// The allocator's counters.
struct MemoryStats {
  std::size_t in_use = 0;          ///< Bytes handed out now.
  std::size_t cached = 0;          ///< Bytes held for reuse.
  std::size_t peak_in_use = 0;
  std::size_t driver_allocations = 0; ///< cuMemAlloc calls.
  std::size_t reuses = 0;             ///< Allocations answered from the cache.
  std::size_t pinned_bytes = 0;       ///< Page-locked staging memory held (HostStaging).
  std::size_t staged_bytes = 0;       ///< Bytes copied to the device through it, in all.
};

class CudaRuntime {
public:
  /// Loads the driver, opens the device and retains its primary context. BackendError,
  /// in words, when there is no driver, no device or no such device.
  explicit CudaRuntime(RuntimeOptions options = {});
  ~CudaRuntime();
  CudaRuntime(const CudaRuntime&) = delete;
  CudaRuntime& operator=(const CudaRuntime&) = delete;

  /// "NVIDIA H100 80GB HBM3 (sm_90, driver 13.0)".
  std::string description() const;
  const std::string& device_name() const { return device_name_; }
  int device_index() const { return device_; }
  GpuArch arch() const { return arch_; }
  /// The driver's CUDA version, "13.0".
  std::string driver_version() const;
  /// True on thunder's CUDA host emulator (THUNDER_CUDA_DRIVER_LIBRARY), not a GPU.
  bool emulated() const;
  /// The file the driver was loaded from.
  const std::string& driver_library_path() const;

  /// Loads compiled code and finds its entry point `name`. BackendError with the driver's
  /// error when the driver refuses it (e.g. PTX newer than the driver). `source`: the CUDA
  /// C++ `code` was compiled from, which is what the host emulator builds and runs.
  std::shared_ptr<const LoadedKernel> load(const CompiledCode& code, const std::string& name,
                                           const std::string& source);

  /// Device memory of at least `bytes` (1 byte minimum). Out of memory: the cache is
  /// released and the allocation tried once more, then a BackendError naming the size,
  /// `what` it was for, and the device's free and total memory.
  DeviceMemory allocate(std::size_t bytes, const std::string& what);
  /// `stream`: a CUstream, or nullptr for the legacy default stream.
  void upload(std::uint64_t device_address, const void* host, std::size_t bytes,
              void* stream = nullptr);
  /// Copies to the host after all work before it on `stream` has finished.
  void download(void* host, std::uint64_t device_address, std::size_t bytes,
                void* stream = nullptr);
  /// Launches `kernel` with `blocks` x `threads` and the kernel's parameters.
  void launch(const LoadedKernel& kernel, unsigned blocks, unsigned threads, void** params,
              void* stream = nullptr);
  /// Waits for the work on `stream`; a fault is reported here.
  void synchronize(const std::string& after = {}, void* stream = nullptr);
  /// Copies `bytes` between two device addresses on `stream`.
  void copy(std::uint64_t destination, std::uint64_t source, std::size_t bytes,
            void* stream = nullptr);
  /// Sets `bytes` (whole 4-byte words) at `address` to zero on `stream`.
  void zero(std::uint64_t address, std::size_t bytes, void* stream = nullptr);

  /// A stream of its own (non-blocking: not ordered with the legacy default stream), for
  /// destroy_stream to give back.
  void* create_stream();
  void destroy_stream(void* stream) noexcept;
  /// CUDA graphs. Between begin_capture and end_capture, the launches, device copies and
  /// fills issued on `stream` (a create_stream one) are recorded, not run: copies to or
  /// from the host and synchronizes are errors there. end_capture instantiates what was
  /// recorded (a CUgraphExec) for launch_graph to replay on any stream; abort_capture
  /// drops a capture whose work failed. launch() leaves out sync_after_launch's
  /// synchronize while its stream captures; launch_graph does it after the replay.
  void begin_capture(void* stream);
  void* end_capture(void* stream);
  void abort_capture(void* stream) noexcept;
  bool capturing(void* stream) const;
  void launch_graph(void* graph, void* stream = nullptr);
  void destroy_graph(void* graph) noexcept;

  MemoryStats memory_stats() const;
  /// Frees what the allocator holds for reuse.
  void release_cached_memory();

private:
  friend class DeviceMemory;
  friend class HostStaging;
  /// A staging buffer of at least `min_bytes` whose earlier copies have finished (waiting
  /// for one only past 256 MiB of pinned memory), or a new one; nullopt when the driver
  /// has no pinned memory to give.
  std::optional<PinnedBuffer> take_pinned(std::size_t min_bytes);
  /// Back to the pool, each with an event recorded on `stream` after the copies from it.
  void return_pinned(std::vector<PinnedBuffer>& buffers, void* stream) noexcept;
  void note_staged(std::size_t bytes);
  void free(std::uint64_t address, std::size_t bytes) noexcept;
  /// Frees the cached blocks; the caller holds mutex_ and the context.
  void free_cached_blocks();
  class ContextGuard;
  void check(int result, const std::string& what) const;

  struct Driver;
  std::unique_ptr<Driver> driver_;
  RuntimeOptions options_;
  int device_ = 0;
  int device_handle_ = 0;
  void* context_ = nullptr;
  std::string device_name_;
  GpuArch arch_;
  int driver_version_ = 0;
  mutable std::mutex mutex_;
  std::map<std::size_t, std::vector<std::uint64_t>> free_blocks_; ///< By block size.
  MemoryStats stats_;
  std::vector<std::shared_ptr<LoadedKernel>> kernels_;
  std::set<void*> capturing_; ///< Streams between begin_capture and end_capture.
  std::vector<PinnedBuffer> pinned_pool_; ///< Staging buffers not held by a HostStaging.
  bool pinned_unavailable_ = false;       ///< cuMemHostAlloc failed once.
};

/// Copies from pageable host memory (a CPU tensor's) through the runtime's page-locked
/// staging buffers: the host copies into one, and the copy from there to the device is
/// asynchronous (from pageable memory, the driver's copy waits for the host). One per
/// run: a buffer goes back to the runtime when it is full or the run ends, with an event
/// recorded after the copies from it on the run's stream, and is handed out again only
/// once that event has completed, so a copy in flight never reads a buffer being refilled.
/// Past 256 MiB of pinned memory, a busy buffer is waited for rather than another pinned.
/// Where no pinned memory can be had, it copies from pageable memory instead.
class HostStaging {
public:
  HostStaging(CudaRuntime& runtime, void* stream) : runtime_(runtime), stream_(stream) {}
  ~HostStaging();
  HostStaging(const HostStaging&) = delete;
  HostStaging& operator=(const HostStaging&) = delete;

  void upload(std::uint64_t device_address, const void* host, std::size_t bytes);

private:
  CudaRuntime& runtime_;
  void* stream_;
  std::vector<PinnedBuffer> held_; ///< The buffer being filled (at most one).
  std::size_t used_ = 0;           ///< Bytes of held_.back() filled.
};

} // namespace thunder::cuda
