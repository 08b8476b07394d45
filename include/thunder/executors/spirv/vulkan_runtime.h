// The runtime stage of the spirv backend (GlslEmitter -> ShadercCompiler -> VulkanRuntime):
// Vulkan loaded at run time through volk, one device chosen by THUNDER_VK_DEVICE, a compute
// queue, storage buffers, compute pipelines from SPIR-V, and batches that record several
// dispatches into one command buffer with the barriers between them. Vulkan types stay in
// the .cpp: callers see only these classes, so the header needs no Vulkan headers.
// Every Vulkan call is checked; a failure is a thunder::BackendError naming the call and
// its VkResult. Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <optional>
#include <string>
#include <vector>

namespace thunder::spirv {

/// The optional Vulkan features the spirv backend uses (all off: f32/i32 buffers only).
/// What a device offers is in DeviceInfo::features; what a runtime enabled when it opened
/// the device is VulkanRuntime::features().
struct DeviceFeatures {
  bool storage_buffer_16bit = false; ///< storageBuffer16BitAccess: f16, bf16, i16 buffers
  bool storage_buffer_8bit = false;  ///< storageBuffer8BitAccess: bool, u8, i8 buffers
  bool shader_float16 = false;       ///< shaderFloat16: f16 arithmetic
  bool shader_int8 = false;          ///< shaderInt8
  bool shader_int16 = false;         ///< shaderInt16
  bool shader_int64 = false;         ///< shaderInt64: i64 buffers and arithmetic
  bool shader_float64 = false;       ///< shaderFloat64: f64 buffers and arithmetic
  /// shaderSignedZeroInfNanPreserveFloat32/64 (float controls, Vulkan 1.2 properties): the
  /// driver keeps NaN, infinities and -0 when a shader asks (generated shaders then do).
  bool preserve_inf_nan_float32 = false;
  bool preserve_inf_nan_float64 = false;
  /// VK_NV_cooperative_matrix with all that shaders/matmul_coop.comp needs: its
  /// cooperativeMatrix feature for compute shaders, a subgroup-scope 16x8x16 shape with f16
  /// A and B and f32 C, subgroups of 32 invocations, shaderFloat16, shaderInt16,
  /// storageBuffer16BitAccess and vulkanMemoryModel (NVIDIA's drivers have it; lavapipe
  /// does not). Enabling it enables the extension and vulkanMemoryModel.
  bool cooperative_matrix = false;
  /// The features present, by their Vulkan names, space-separated; "none" if none.
  std::string to_string() const;
  bool operator==(const DeviceFeatures&) const = default;
};

/// One Vulkan physical device as the loader reports it.
struct DeviceInfo {
  uint32_t index = 0;      ///< position in vkEnumeratePhysicalDevices
  std::string name;        ///< deviceName, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)"
  std::string type;        ///< "discrete GPU", "integrated GPU", "virtual GPU", "CPU", "other"
  std::string driver;      ///< driver name and info (Vulkan 1.2+), else the driver version
  std::string api_version; ///< e.g. "1.3.230"
  uint32_t vendor_id = 0;
  uint32_t device_id = 0;
  DeviceFeatures features; ///< the optional features the device offers
  /// VK_NV_cooperative_matrix's shapes, as "16x8x16 f16*f16+f32->f32"; empty without it.
  std::vector<std::string> cooperative_matrix_shapes;
};

/// How a VulkanRuntime is set up; empty/unset fields fall back to the environment.
struct RuntimeOptions {
  /// Device index or case-insensitive part of its name; empty: THUNDER_VK_DEVICE, and if
  /// that is unset the first discrete GPU, else integrated, virtual, CPU.
  std::string device;
  /// Khronos validation layer and a debug messenger: -1 reads THUNDER_VK_VALIDATION=1.
  int validation = -1;
  /// The most bytes of storage buffers this runtime may hold at once; creating one past it
  /// is the out-of-memory BackendError a full device gives. 0 reads THUNDER_VK_MEMORY_LIMIT
  /// (bytes, or with a K/M/G suffix); unset: the device's own limit only.
  std::uint64_t memory_limit = 0;
  /// Copy through staging buffers even where device memory is host-visible (tests the
  /// path discrete GPUs take on a machine that has only lavapipe).
  bool force_staging = false;
  /// Enable no optional device features (f32/i32 buffers only), as on a minimal device:
  /// -1 reads THUNDER_VK_MINIMAL_FEATURES=1.
  int minimal_features = -1;
  /// Cooperative kernels (a workgroup per element of a long reduction, Kernel::cooperative):
  /// 1 on, 0 off, -1 reads THUNDER_VK_COOPERATIVE (0 or 1); unset, on for GPUs and off for
  /// a CPU device, which gains nothing from a workgroup per row (lavapipe: the same time
  /// within noise, docs/benchmarks.md).
  int cooperative = -1;
  /// A compiled model's weights kept on the device between calls (spirv::ResidentTensors):
  /// 1 on, 0 off, -1 reads THUNDER_VK_RESIDENT_WEIGHTS (0 or 1); unset, on where device
  /// memory is not host-visible (a discrete GPU: no copy over the bus per call) and off where
  /// it is (lavapipe, integrated GPUs: an upload is a memcpy, and weights freed after their
  /// last use leave room for intermediates).
  int resident_weights = -1;
  /// The executor's: a matrix product's bias add and relu folded into the matmul kernel
  /// (SpirvExecutor::runs_matmul_epilogue): 1 on, 0 off, -1 reads
  /// THUNDER_VK_MATMUL_EPILOGUES (0 or 1); unset, on.
  int matmul_epilogues = -1;
  /// The executor's: ltorch.scaled_dot_product_attention as one fused kernel
  /// (shaders/attention.comp) where it takes the call: 1 on, 0 off (decomposed into matrix
  /// products and a softmax), -1 reads THUNDER_VK_FUSED_ATTENTION (0 or 1); unset, on.
  int fused_attention = -1;
  /// f16 matrix products on the cooperative-matrix kernel (shaders/matmul_coop.comp):
  /// -1 reads THUNDER_VK_COOPERATIVE_MATRIX ("0", "1" or "emulated"); unset, on where the
  /// device has DeviceFeatures::cooperative_matrix. On where the device lacks it is a
  /// BackendError saying what is missing. Emulated: the same kernel with its 16x16 tile
  /// products done by plain loops in shared memory, so its tiling, staging and epilogue run
  /// and are tested on any device (lavapipe in CI); slower than the tiled kernel.
  int cooperative_matrix = -1;
  static constexpr int kEmulated = 2; ///< cooperative_matrix's value for "emulated"
};

/// Which kernel a runtime's f16 matrix products run on (RuntimeOptions::cooperative_matrix).
enum class CooperativeMatrix : std::uint8_t { Off, On, Emulated };

/// A RuntimeOptions switch (1 on, 0 off, -1 unset) or, where it is unset, the environment
/// variable `variable` ("0" or "1"); nullopt where neither is set (the caller's default).
/// ArgumentError for any other value of the variable.
std::optional<bool> switch_option(int option, const char* variable);

class VulkanRuntime;
class Batch;

/// A storage buffer in device memory. Movable, not copyable; frees its memory when
/// destroyed (it keeps the device alive, so destruction order does not matter).
class Buffer {
public:
  Buffer(Buffer&&) noexcept;
  Buffer& operator=(Buffer&&) noexcept;
  ~Buffer();
  /// Bytes requested at creation.
  std::size_t size() const;
  /// The memory is mapped: upload and download copy directly, with no staging buffer.
  bool host_visible() const;
  /// The buffer whose memory this one is (a part of): the same for all parts of one
  /// create_buffer (VulkanRuntime::part), and the offset of this one in it.
  const void* memory_id() const;
  std::size_t offset() const;

  struct Impl;

private:
  friend class VulkanRuntime;
  friend class Batch;
  explicit Buffer(std::unique_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

/// What a compute pipeline binds: storage buffers at set 0, bindings 0..buffers-1, and a
/// push-constant block of push_constant_bytes (a multiple of 4; 0 for none).
struct PipelineLayout {
  uint32_t buffers = 0;
  uint32_t push_constant_bytes = 0;
  std::string name = "kernel"; ///< used in messages
};

/// A compute pipeline made from SPIR-V. Movable, not copyable.
class Pipeline {
public:
  Pipeline(Pipeline&&) noexcept;
  Pipeline& operator=(Pipeline&&) noexcept;
  ~Pipeline();
  const PipelineLayout& layout() const;

  struct Impl;

private:
  friend class VulkanRuntime;
  friend class Batch;
  explicit Pipeline(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Dispatches recorded into ONE command buffer and submitted once. Before a dispatch that
/// writes a range of a buffer an earlier one of the batch bound, or reads a range an
/// earlier one may have written, a barrier is recorded; ranges are byte ranges, so parts
/// of one buffer that do not overlap (VulkanRuntime::part) are independent, and so are
/// dispatches that only read what they share. Buffers and pipelines must outlive submit().
class Batch {
public:
  Batch(Batch&&) noexcept;
  Batch& operator=(Batch&&) noexcept;
  ~Batch();

  /// Records `pipeline` over groups_x * groups_y * groups_z workgroups with `buffers`
  /// bound in order and `push_constants` (exactly the layout's size). The first
  /// `read_only` buffers are only read by the kernel; the others may be written.
  void dispatch(const Pipeline& pipeline, std::span<const Buffer* const> buffers,
                std::span<const std::byte> push_constants, uint32_t groups_x, uint32_t groups_y = 1,
                uint32_t groups_z = 1, std::size_t read_only = 0);
  /// Submits the command buffer and waits for its fence. A batch is submitted once.
  void submit();

  std::size_t dispatch_count() const;
  /// Barriers recorded between dependent dispatches (not the final one).
  std::size_t barrier_count() const;

  struct Impl;

private:
  friend class VulkanRuntime;
  explicit Batch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A Vulkan instance and one logical device with a compute queue.
class VulkanRuntime {
public:
  /// Loads Vulkan (BackendError if there is no loader or no device) and opens the device
  /// `options` (or THUNDER_VK_DEVICE) names; a name that matches none lists the devices.
  explicit VulkanRuntime(const RuntimeOptions& options = {});
  ~VulkanRuntime();
  VulkanRuntime(const VulkanRuntime&) = delete;
  VulkanRuntime& operator=(const VulkanRuntime&) = delete;

  /// The devices the loader reports, without opening any (a temporary instance).
  static std::vector<DeviceInfo> list_devices();

  /// The device this runtime opened.
  const DeviceInfo& device() const;
  /// Every device enumerated when this runtime was made.
  const std::vector<DeviceInfo>& devices() const;

  /// The optional features enabled on the device: those it offers, or none with
  /// RuntimeOptions::minimal_features.
  const DeviceFeatures& features() const;

  bool validation_enabled() const;
  /// Warnings and errors the validation layer (or the loader) reported so far.
  std::vector<std::string> validation_messages() const;
  void clear_validation_messages();

  /// Device-local memory is host-visible (lavapipe, integrated GPUs): no staging copies.
  bool unified_memory() const;
  /// Whether generated kernels may be cooperative here (RuntimeOptions::cooperative).
  bool cooperative_kernels() const;
  /// Whether f16 matrix products use the cooperative-matrix kernel, or its emulation
  /// (RuntimeOptions::cooperative_matrix).
  CooperativeMatrix cooperative_matrix() const;
  /// Why it is what it is, in words: "on: ...", "off: <device> lacks what it needs: ...",
  /// "off: THUNDER_VK_COOPERATIVE_MATRIX=0", "emulated: ...".
  const std::string& cooperative_matrix_reason() const;
  /// Whether compiled models keep their weights on this device (RuntimeOptions::resident_weights).
  bool resident_weights() const;
  /// VkPhysicalDeviceLimits::maxStorageBufferRange.
  uint64_t max_storage_buffer_range() const;

  /// Bytes of storage buffers held now, and the most held at once since the last
  /// reset_peak_memory() (or since the runtime opened). Staging copies are not counted.
  struct MemoryStats {
    std::uint64_t in_use = 0;
    std::uint64_t peak = 0;
    std::uint64_t limit = 0; ///< RuntimeOptions::memory_limit; 0: none.
  };
  MemoryStats memory_stats() const;
  /// Starts a new peak from what is held now.
  void reset_peak_memory();

  /// A storage buffer of `bytes` bytes; BackendError if it exceeds maxStorageBufferRange.
  Buffer create_buffer(std::size_t bytes);
  /// A buffer of `bytes` bytes with no memory: what a run that only records the buffers it
  /// would ask for (spirv::run_spirv_trace's dry pass) holds. Uploading to it, downloading
  /// from it, taking a part of it or binding it is an error.
  Buffer placeholder(std::size_t bytes);
  /// `bytes` at `offset` of the memory `of` is part of (Buffer::memory_id), bound and
  /// copied like a buffer of its own; the memory lives while any part of it does. `offset`
  /// must be a multiple of storage_offset_alignment(). Dispatches that bind overlapping
  /// parts of one buffer are ordered by a barrier (Batch). How a pool of freed
  /// buffers serves smaller requests, and gets whole ranges back, without new memory.
  Buffer part(const Buffer& of, std::size_t offset, std::size_t bytes);
  /// VkPhysicalDeviceLimits::minStorageBufferOffsetAlignment.
  std::size_t storage_offset_alignment() const;
  /// Copies `data` into `buffer` at `offset` (through a staging buffer unless mapped).
  void upload(Buffer& buffer, std::span<const std::byte> data, std::size_t offset = 0);
  /// Copies `out.size()` bytes of `buffer` from `offset` into `out`.
  void download(const Buffer& buffer, std::span<std::byte> out, std::size_t offset = 0);

  /// A compute pipeline from validated SPIR-V whose entry point is "main".
  Pipeline create_pipeline(std::span<const uint32_t> spirv, const PipelineLayout& layout);
  /// An empty batch of dispatches on this device.
  Batch batch();

  /// The file the driver's pipeline cache is read from when the runtime opens and written to
  /// when it closes: $THUNDER_CACHE_DIR/spirv/pipelines-<vendor>-<device>-<driver>-<uuid>.bin;
  /// empty when THUNDER_CACHE_DIR is unset (no disk cache).
  const std::string& pipeline_cache_path() const;
  /// Writes the pipeline cache now if pipelines were created since it was read or saved
  /// (a hash line, then vkGetPipelineCacheData's bytes).
  void save_pipeline_cache();
  /// The runtime opened with its pipeline cache file: present, intact (hash), and a cache of
  /// this device (Vulkan header, vendor, device, pipelineCacheUUID). Otherwise it was ignored.
  bool pipeline_cache_loaded() const;

  struct Context;

private:
  std::shared_ptr<Context> ctx_;
};

} // namespace thunder::spirv
