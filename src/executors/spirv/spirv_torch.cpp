#include "thunder/executors/spirv/spirv_torch.h"

#include "builtin_kernels.h"

#include "thunder/core/error.h"
#include "thunder/executors/codegen/glsl_emitter.h"
#include "thunder/executors/memory_plan.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/common_subexpression_elimination.h"
#include "thunder/passes/fusion.h"
#include "thunder/passes/matmul_epilogues.h"
#include "thunder/passes/region_splitting.h"
#include "thunder/passes/rematerialization.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>

namespace thunder::spirv {
namespace {

bool is_spirv_region(const BoundSymbol& bsym, const SpirvExecutor& spirv) {
  return is_fusion_region(bsym) && bsym.executor == spirv.name();
}

// The torch executor's check, and CPU tensors only: the runner uploads them itself.
c10::IValue check_input(const Value& proxy_value, const c10::IValue& input, std::size_t index) {
  c10::IValue checked = check_trace_input(proxy_value, input, index);
  if (checked.isTensor() && !checked.toTensor().device().is_cpu()) {
    throw ArgumentError(str("spirv executor: input ", index, " ('", proxy_value.proxy()->name(),
                            "') is on ", checked.toTensor().device().str(),
                            "; the spirv executor takes CPU tensors and copies them"));
  }
  return checked;
}

} // namespace

// What the runner may touch of a ResidentTensors.
class ResidentAccess {
public:
  static ResidentTensors::Entry& entry(ResidentTensors& r, const std::string& name) {
    return r.entries_[name];
  }
};

ResidentTensors::~ResidentTensors() = default;

std::uint64_t ResidentTensors::bytes() const {
  std::uint64_t total = 0;
  for (const auto& [name, entry] : entries_)
    total += entry.buffer ? entry.buffer->size() : 0;
  return total;
}

void ResidentTensors::clear() {
  entries_.clear();
}

// What the runner may touch of a PlannedMemory.
class PlanAccess {
public:
  static std::vector<PlannedMemory::Request>& requests(PlannedMemory& p) { return p.requests_; }
  static std::vector<std::size_t>& offsets(PlannedMemory& p) { return p.offsets_; }
  static std::vector<std::unique_ptr<Buffer>>& arenas(PlannedMemory& p) { return p.arenas_; }
  static std::size_t arena_limit(const PlannedMemory& p) { return p.arena_limit_; }
  static std::size_t max_arena_bytes(const PlannedMemory& p) { return p.max_arena_bytes_; }
  static bool& unplannable(PlannedMemory& p) { return p.unplannable_; }
  static void set(PlannedMemory& p, std::vector<PlannedMemory::Request> requests,
                  const MemoryLayout& layout, std::uint64_t live_bytes, std::size_t arena_limit) {
    p.clear();
    p.arena_limit_ = arena_limit;
    p.requests_ = std::move(requests);
    p.offsets_ = layout.offsets;
    p.arena_bytes_ = layout.arena_bytes;
    p.live_bytes_ = live_bytes;
  }
};

PlannedMemory::PlannedMemory(std::size_t max_arena_bytes) : max_arena_bytes_(max_arena_bytes) {}
PlannedMemory::~PlannedMemory() = default;

void PlannedMemory::release_arena() {
  arenas_.clear();
}

void PlannedMemory::clear() {
  unplannable_ = false;
  requests_.clear();
  offsets_.clear();
  arena_bytes_ = 0;
  live_bytes_ = 0;
  arena_limit_ = 0;
  arenas_.clear();
}

namespace {

// Runs one trace. Regions are recorded into a pending batch that is submitted (flushed)
// before the next torch call and at the end; only values something outside the batch reads
// are downloaded.
//
// A dry runner (`dry`) goes through the same steps without touching the device: it compiles
// what the run would, asks for the same buffers in the same order and releases them at the
// same points, but its buffers are placeholders and nothing is uploaded, dispatched or
// downloaded. What it leaves is the record of those requests, as a plan (PlannedMemory):
// so the first run of a trace takes its buffers from an arena laid out for it, not from a
// pool that grows one buffer at a time. Where the trace needs a value computed on the host
// (a call on torch), a dry run cannot go on, and throws Undecided.
class Runner {
public:
  struct Undecided {};

  Runner(const SpirvExecutor& spirv, const Trace& trace, ExecutionReport& report, bool strict,
         ResidentTensors* resident, PlannedMemory* planned, bool dry = false)
      : spirv_(spirv), trace_(trace), report_(report), strict_(strict), resident_(resident),
        planned_(planned), dry_(dry) {
    for (std::size_t i = 0; i < trace.bound_symbols.size(); ++i) {
      const BoundSymbol& bsym = trace.bound_symbols[i];
      if (bsym.symbol == &python_del()) continue;
      for (const Proxy* p : bsym.input_proxies())
        users_[p->name()].push_back(i);
    }
    trace.output.for_each_proxy([&](const Proxy& p) { returned_.insert(p.name()); });
  }

  std::vector<at::Tensor> run(const std::vector<c10::IValue>& inputs) {
    if (inputs.size() != trace_.inputs.size()) {
      throw ArgumentError(str(trace_.function_name, " takes ", trace_.inputs.size(),
                              " inputs, got ", inputs.size()));
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      env_[trace_.inputs[i].proxy()->name()] = check_input(trace_.inputs[i], inputs[i], i);
    }
    c10::NoGradGuard no_grad;
    VulkanRuntime& rt = spirv_.runtime();
    const std::uint64_t held_before = dry_ ? 0 : rt.memory_stats().in_use;
    if (!dry_) rt.reset_peak_memory();
    const std::uint64_t arena_before = dry_ ? 0 : open_arena();
    for (std::size_t i = 0; i < trace_.bound_symbols.size(); ++i) {
      const BoundSymbol& bsym = trace_.bound_symbols[i];
      if (bsym.symbol == &python_del()) {
        for (const Proxy* p : bsym.input_proxies())
          release(p->name());
      } else if (is_spirv_region(bsym, spirv_)) {
        run_region(i, bsym);
      } else if (bsym.executor == spirv_.name() &&
                 (bsym.symbol == &prims::symbol(prims::PrimId::matmul) ||
                  matmul_epilogue_of(bsym))) {
        run_matmul(i, bsym);
      } else if (bsym.executor == spirv_.name() && codegen::is_attention(bsym)) {
        run_attention(i, bsym);
      } else if (bsym.executor == spirv_.name() && is_view_prim(bsym)) {
        run_view(i, bsym);
      } else if (bsym.executor == spirv_.name()) {
        throw ArgumentError(str("spirv executor: ", bsym.call_string(),
                                " is assigned to spirv but not in a fusion region; run fuse "
                                "after assign_executors (prepare_spirv_trace does both)"));
      } else {
        run_on_torch(bsym, bsym.executor.empty() ? std::string(kFallbackExecutor) : bsym.executor);
      }
    }
    flush();
    if (dry_) {
      save_plan();
      return {};
    }
    // Runs are serialized (run_spirv_trace), so the runtime's peak since the reset is this
    // run's; what others freed meanwhile could only lower it.
    const std::uint64_t peak = rt.memory_stats().peak;
    // Resident inputs held before the run count too: the run read them; so does an arena
    // kept from the run before.
    report_.peak_device_bytes =
        (peak > held_before ? peak - held_before : 0) + resident_before_ + arena_before;
    save_plan();

    std::vector<at::Tensor> outputs;
    trace_.output.for_each_proxy([&](const Proxy& p) {
      const auto it = env_.find(p.name());
      THUNDER_INTERNAL_ASSERT(it != env_.end()) << "output " << p.name() << " never computed";
      outputs.push_back(it->second.toTensor());
    });
    return outputs;
  }

private:
  struct DeviceValue {
    std::unique_ptr<Buffer> buffer;
    Shape shape;
    DType dtype;
  };

  // A view of a device value of the pending batch, or of a resident input's device copy:
  // strides over its buffer, no copy.
  struct View {
    std::string base; // In device_values_, or in released_bases_ once `del`ed.
    StridedLayout layout;
    // The device copy of a resident input (owned by the ResidentTensors), or null. Such a
    // view is computed on the host too (torch's view), for readers outside the batch.
    const Buffer* resident = nullptr;
  };

  // An unfused view prim of spirv (given to it by rematerialize for a matmul that reads the
  // view in place): strides over the viewed device buffer, or torch's view of a host tensor.
  void run_view(std::size_t index, const BoundSymbol& bsym) {
    const std::string& in = bsym.args.at(0).as_tensor()->name();
    std::optional<View> source;
    if (const auto it = device_values_.find(in); it != device_values_.end()) {
      source = View{in, contiguous_layout(it->second.shape)};
    } else if (const auto view = views_.find(in); view != views_.end()) {
      source = view->second;
    } else if (resident_ != nullptr && resident_->wants(in) && host_tensor(in).is_contiguous()) {
      // A view of a resident input (a linear's transposed weight): over its device copy,
      // which stays from call to call. Rematerialize checked the view's strides on a
      // contiguous input; another layout takes the host path below, as before.
      const at::Tensor& t = host_tensor(in);
      const Buffer* copy = uploaded_already(in);
      if (copy == nullptr) copy = resident_upload(in, t);
      source = View{in, StridedLayout{Shape(t.sizes().begin(), t.sizes().end()), t.strides().vec(), 0},
                    copy};
    }
    report_.prims[spirv_.name()] += 1;
    if (!source || source->resident != nullptr) {
      // On the host: torch's view reads the same storage (a matmul uploads its span as is).
      torch_.run_bound_symbol(bsym, env_, TorchExecutionLevel::Prims);
      if (!source) return;
    }
    std::optional<StridedLayout> layout = view_layout(bsym, source->layout);
    THUNDER_INTERNAL_ASSERT(layout.has_value())
        << bsym.call_string() << " is no strided view of " << in
        << "; rematerialize gives spirv only views strides express";
    views_[bsym.output.as_tensor()->name()] =
        View{source->base, std::move(*layout), source->resident};
    members_.insert(index);
  }

  const DeviceValue& view_base(const View& view) const {
    if (const auto it = device_values_.find(view.base); it != device_values_.end())
      return it->second;
    const auto it = released_bases_.find(view.base);
    THUNDER_INTERNAL_ASSERT(it != released_bases_.end())
        << "the buffer of " << view.base << " is gone while a view of it lives";
    return it->second;
  }

  void run_on_torch(const BoundSymbol& bsym, const std::string& executor) {
    if (dry_) throw Undecided{};
    flush();
    torch_.run_bound_symbol(bsym, env_, TorchExecutionLevel::Prims);
    report_.prims[executor] += codegen::prim_count(bsym);
  }

  const at::Tensor& host_tensor(const std::string& name) const {
    const auto it = env_.find(name);
    THUNDER_INTERNAL_ASSERT(it != env_.end() && it->second.isTensor())
        << "spirv region input " << name << " is not a computed tensor";
    return it->second.toTensor();
  }

  void run_region(std::size_t index, const BoundSymbol& region) {
    // Inputs computed on the host keep their strides; values of this batch are contiguous.
    std::map<std::string, codegen::Strides> strides;
    for (const Proxy* p : region.input_proxies()) {
      if (p->kind() != ProxyKind::Tensor || device_values_.count(p->name()) != 0) continue;
      const at::Tensor& t = host_tensor(p->name());
      if (!t.is_contiguous())
        strides[p->name()] = codegen::Strides(t.strides().begin(), t.strides().end());
    }
    std::shared_ptr<const CompiledRegion> compiled;
    try {
      compiled = spirv_.compile(region, strides);
    } catch (const UnsupportedError& e) {
      // Too many buffers for the device, or one prim it cannot do: halves are tried in
      // turn, down to single prims; only a prim that cannot run alone goes to torch.
      if (region.subsymbols.size() > 1) {
        const std::size_t mid = region.subsymbols.size() / 2;
        const Value& outputs = region.output;
        const BoundSymbol second = part_of(region, mid, region.subsymbols.size(), outputs);
        run_region(index, part_of(region, 0, mid, outputs, &second));
        run_region(index, second);
        return;
      }
      if (strict_) throw;
      if (dry_) throw Undecided{};
      report_.fallbacks.push_back({region.symbol->qualified_name(), e.what()});
      // The rest of this region may read what its earlier parts left on the device.
      flush(/*download_all=*/true);
      for (const BoundSymbol& sub : region.subsymbols)
        run_on_torch(sub, std::string(kFallbackExecutor));
      return;
    }
    VulkanRuntime& rt = spirv_.runtime();
    const codegen::Kernel& kernel = compiled->kernel;

    std::vector<const Buffer*> bindings;
    for (const codegen::Buffer& in : kernel.inputs) {
      if (const auto it = device_values_.find(in.name); it != device_values_.end()) {
        bindings.push_back(it->second.buffer.get());
        continue;
      }
      if (const Buffer* uploaded = uploaded_already(in.name)) {
        bindings.push_back(uploaded);
        continue;
      }
      const at::Tensor& t = host_tensor(in.name);
      THUNDER_INTERNAL_ASSERT(Shape(t.sizes().begin(), t.sizes().end()) == in.shape &&
                              t.scalar_type() == to_scalar_type(in.dtype))
          << "spirv region input " << in.name << " is " << t.scalar_type() << t.sizes()
          << ", the kernel reads " << shape_to_string(in.shape);
      bindings.push_back(upload(in.name, t));
    }
    for (const codegen::Buffer& out : kernel.outputs) {
      std::int64_t numel = 1;
      for (const std::int64_t s : out.shape)
        numel *= s;
      const std::size_t bytes =
          static_cast<std::size_t>(numel) * c10::elementSize(to_scalar_type(out.dtype));
      DeviceValue value{request(bytes, /*host_written=*/false), out.shape, out.dtype};
      bindings.push_back(value.buffer.get());
      device_values_[out.name] = std::move(value);
    }
    // A kernel that indexes by values it reads (index_select) reports an index out of range
    // in its status words, read back when the batch is done (flush).
    if (!kernel.checks.empty() && !dry_) {
      auto status = std::make_unique<Buffer>(rt.create_buffer(codegen::kStatusWords * 4));
      report_.check_bytes += status->size();
      const std::array<std::uint32_t, codegen::kStatusWords> zeros{};
      rt.upload(*status, std::as_bytes(std::span(zeros)));
      bindings.push_back(status.get());
      statuses_.emplace_back(std::move(status), &kernel);
    }
    if (kernel.num_invocations > 0 && !dry_) {
      if (!batch_) batch_.emplace(rt.batch());
      const auto numel = static_cast<std::uint32_t>(kernel.num_invocations);
      // Two-dimensional grids past the 65535 groups every device allows in x (the shader
      // linearizes its position over both).
      const std::int64_t groups = codegen::workgroup_count(kernel);
      const std::int64_t groups_x = std::min<std::int64_t>(groups, 65535);
      const std::int64_t groups_y = (groups + groups_x - 1) / groups_x;
      batch_->dispatch(*compiled->pipeline, bindings, std::as_bytes(std::span(&numel, 1)),
                       static_cast<std::uint32_t>(groups_x), static_cast<std::uint32_t>(groups_y),
                       1, /*read_only=*/kernel.inputs.size());
    }
    compiled_.push_back(std::move(compiled));
    members_.insert(index);
    ++report_.regions;
    report_.prims[spirv_.name()] += codegen::flatten_to_prims(region.subsymbols).size();
  }

  // An operand of a hand-written kernel (shaders/): its buffer and how it lies there, in
  // elements, or, before upload, the host tensor to upload.
  struct KernelOperand {
    StridedLayout layout;
    const Buffer* buffer = nullptr;
    std::optional<at::Tensor> upload; // Set where the buffer is still to be made.
    std::string upload_key;
  };

  // The operand `name` of a kernel that reads layouts `readable` accepts: a device value of
  // the batch (contiguous), a view (its strides and offset over the viewed buffer, which the
  // kernel's executor asked for: reads_any_view_layout), or a host tensor, uploaded as it
  // lies (transposed, expanded, sliced: no copy) where the kernel reads that layout and its
  // span fits a buffer, else as a contiguous copy.
  template <typename Readable>
  KernelOperand kernel_operand(const std::string& name, std::size_t max_bytes,
                               const Readable& readable) {
    KernelOperand op;
    if (const auto it = device_values_.find(name); it != device_values_.end()) {
      op.layout = contiguous_layout(it->second.shape);
      op.buffer = it->second.buffer.get();
      return op;
    }
    if (const auto it = views_.find(name); it != views_.end()) {
      op.layout = it->second.layout;
      THUNDER_INTERNAL_ASSERT(readable(op.layout))
          << "view " << name << " of " << it->second.base << " is not one the kernel reads";
      op.buffer = it->second.resident != nullptr ? it->second.resident
                                                 : view_base(it->second).buffer.get();
      return op;
    }
    const at::Tensor& t = host_tensor(name);
    const StridedLayout as_lies{t.sizes().vec(), t.strides().vec(), 0};
    // The upload starts at the tensor's first element.
    const bool as_is = readable(as_lies) && span_bytes(t) <= max_bytes;
    op.layout = as_is ? as_lies : contiguous_layout(t.sizes().vec());
    op.upload_key = as_is ? name : name + "#contiguous";
    if (const Buffer* uploaded = uploaded_already(op.upload_key)) {
      op.buffer = uploaded;
    } else {
      // A dry run needs only the copy's size: an uninitialized tensor of it, nothing copied.
      op.upload = as_is ? t : dry_ ? at::empty(t.sizes(), t.options()) : t.contiguous();
    }
    return op;
  }

  // The layout of a matmul operand; a bias (rank 1) as a row.
  static std::optional<MatmulLayout> operand_layout(const StridedLayout& layout) {
    std::vector<std::int64_t> sizes = layout.shape, strides = layout.strides;
    if (sizes.size() == 1) {
      sizes.insert(sizes.begin(), 1);
      strides.insert(strides.begin(), 0);
    }
    if (std::find(sizes.begin(), sizes.end(), 0) != sizes.end()) return MatmulLayout{};
    return matmul_layout_of(sizes, strides, layout.offset);
  }

  // A matmul operand (or an epilogue's bias): read where its batch dims fall in two strided
  // groups.
  KernelOperand matmul_operand(const std::string& name, std::size_t max_bytes) {
    return kernel_operand(name, max_bytes, [](const StridedLayout& l) {
      return operand_layout(l).has_value();
    });
  }

  const Buffer* uploaded(KernelOperand& op) {
    if (op.buffer != nullptr) return op.buffer;
    // The other operand may be the same tensor (x @ x), uploaded a moment ago.
    if (const Buffer* uploaded = uploaded_already(op.upload_key)) {
      op.buffer = uploaded;
    } else {
      op.buffer = upload(op.upload_key, *op.upload);
    }
    return op.buffer;
  }

  // Device memory: a request takes the smallest free buffer it fits, split where that leaves
  // a useful remainder, which stays free as a part of the same memory (VulkanRuntime::part);
  // free parts of one buffer are joined again when a request finds nothing and when the
  // batch ends. So intermediates that died make room for later ones of any size without new
  // memory, as the blocks of a caching allocator do: with whole buffers only, three
  // [2, 6, 32] results after attention's qkv projection took a new buffer while 12 KiB of
  // dead weight sat free, and the peak passed eager's. A buffer released while the batch
  // is still being recorded may be read by a dispatch of that batch: only later dispatches
  // of the batch may write it (the batch's barriers order them, parts of one buffer as one
  // buffer); host writes (uploads) wait for the batch's submit.
  using Pool = std::multimap<std::size_t, std::unique_ptr<Buffer>>;
  // A remainder smaller than this stays with the request.
  static constexpr std::size_t kSmallestPart = 256;

  std::unique_ptr<Buffer> take(Pool& pool, std::size_t bytes) {
    VulkanRuntime& rt = spirv_.runtime();
    const std::size_t align = rt.storage_offset_alignment();
    bytes = std::max<std::size_t>(bytes, 4);
    // What a request takes when it splits a buffer: the next part starts aligned.
    const std::size_t need = (bytes + align - 1) / align * align;
    auto it = pool.lower_bound(bytes);
    if (it == pool.end()) {
      coalesce(pool);
      it = pool.lower_bound(bytes);
      if (it == pool.end()) return nullptr;
    }
    std::unique_ptr<Buffer> buffer = std::move(it->second);
    pool.erase(it);
    if (buffer->size() < need || buffer->size() - need < std::max(kSmallestPart, align))
      return buffer;
    auto rest = std::make_unique<Buffer>(rt.part(*buffer, buffer->offset() + need, buffer->size() - need));
    pool.emplace(rest->size(), std::move(rest));
    return std::make_unique<Buffer>(rt.part(*buffer, buffer->offset(), need));
  }

  // Joins the free parts of each buffer that lie side by side. Buffers are visited in the
  // pool's order (not by address), so which one a later request takes, and the peak, are
  // the same from run to run.
  void coalesce(Pool& pool) {
    std::vector<std::pair<const void*, std::vector<std::unique_ptr<Buffer>>>> by_memory;
    for (auto& [size, buffer] : pool) {
      const void* memory = buffer->memory_id();
      auto it = std::find_if(by_memory.begin(), by_memory.end(),
                             [&](const auto& entry) { return entry.first == memory; });
      if (it == by_memory.end()) {
        by_memory.emplace_back(memory, std::vector<std::unique_ptr<Buffer>>());
        it = std::prev(by_memory.end());
      }
      it->second.push_back(std::move(buffer));
    }
    pool.clear();
    for (auto& [memory, parts] : by_memory) {
      std::sort(parts.begin(), parts.end(),
                [](const auto& a, const auto& b) { return a->offset() < b->offset(); });
      for (std::size_t i = 0; i < parts.size();) {
        std::size_t j = i + 1;
        std::size_t end = parts[i]->offset() + parts[i]->size();
        while (j < parts.size() && parts[j]->offset() == end) {
          end += parts[j]->size();
          ++j;
        }
        std::unique_ptr<Buffer> joined =
            j == i + 1 ? std::move(parts[i])
                       : std::make_unique<Buffer>(spirv_.runtime().part(
                             *parts[i], parts[i]->offset(), end - parts[i]->offset()));
        pool.emplace(joined->size(), std::move(joined));
        i = j;
      }
    }
  }

  std::unique_ptr<Buffer> new_buffer(std::size_t bytes) {
    VulkanRuntime& rt = spirv_.runtime();
    try {
      return std::make_unique<Buffer>(rt.create_buffer(bytes));
    } catch (const BackendError&) {
      // Out of memory, perhaps: the free buffers no recorded dispatch uses go back first
      // (those released during the pending batch may still be bound by it).
      if (free_.empty()) throw;
      free_.clear();
      return std::make_unique<Buffer>(rt.create_buffer(bytes));
    }
  }

  // The plan's arena (buffers of at most the plan's arena limit each), made if the plan
  // has none yet; returns the bytes of an arena held from before the run (0 if made now or
  // if there is no plan). A device with no room for it runs from the pool, as without a plan.
  std::uint64_t open_arena() {
    if (planned_ == nullptr || !planned_->planned()) return 0;
    std::vector<std::unique_ptr<Buffer>>& arenas = PlanAccess::arenas(*planned_);
    const bool held = !arenas.empty();
    if (!held) {
      const auto total = static_cast<std::size_t>(planned_->arena_bytes());
      const std::size_t limit = PlanAccess::arena_limit(*planned_);
      try {
        for (std::size_t at = 0; at < total; at += limit) {
          arenas.push_back(std::make_unique<Buffer>(
              spirv_.runtime().create_buffer(std::min(limit, total - at))));
        }
      } catch (const BackendError&) {
        arenas.clear();
        return 0; // Out of memory: the pool serves this run.
      }
    }
    replay_ = true;
    report_.planned_bytes = planned_->arena_bytes();
    return held ? planned_->arena_bytes() : 0;
  }

  // A buffer of `bytes` for a dispatch to write (host_written: for an upload, which the
  // host writes before the pending batch runs): its planned place in the arena, or from the
  // pool. Recorded either way.
  std::unique_ptr<Buffer> request(std::size_t bytes, bool host_written) {
    bytes = buffer_word_bytes(bytes);
    const std::uint64_t now = ++clock_;
    std::unique_ptr<Buffer> buffer = dry_ ? std::make_unique<Buffer>(spirv_.runtime().placeholder(bytes))
                                          : planned_part(bytes, host_written);
    const bool as_planned = !dry_ && buffer != nullptr;
    if (!buffer && host_written) {
      buffer = take(free_, bytes);
      if (!buffer) buffer = new_buffer(bytes);
    } else if (!buffer) {
      buffer = output_buffer(bytes);
    }
    ++report_.buffer_requests;
    if (as_planned) ++report_.planned_requests;
    requests_.push_back({bytes, host_written});
    // An upload lands before any dispatch of the pending batch runs: its memory must be
    // free of everything the batch touches, as if it were requested when the batch began.
    lifetimes_.push_back({bytes, host_written ? batch_start_ : now, kOpen});
    request_of_[buffer.get()] = requests_.size() - 1;
    return buffer;
  }

  static constexpr std::uint64_t kOpen = ~std::uint64_t{0};


  // The next request's place in the arena, where the plan has it: the same size and kind
  // as recorded, and no range held (or, for an upload, touched in this batch) overlaps it.
  // Otherwise the run has left the recorded path: the pool serves the rest of it.
  std::unique_ptr<Buffer> planned_part(std::size_t bytes, bool host_written) {
    if (!replay_) return nullptr;
    const std::size_t k = requests_.size();
    const std::vector<PlannedMemory::Request>& plan = PlanAccess::requests(*planned_);
    replay_ = k < plan.size() && plan[k] == PlannedMemory::Request{bytes, host_written};
    if (!replay_) return nullptr;
    const std::size_t offset = PlanAccess::offsets(*planned_)[k];
    const std::size_t end = offset + bytes;
    const auto overlaps = [&](std::size_t first, std::size_t stop) {
      return first < end && offset < stop;
    };
    for (const auto& [first, stop] : arena_live_)
      replay_ = replay_ && !overlaps(first, stop);
    if (host_written) {
      for (const auto& [first, stop] : arena_in_batch_)
        replay_ = replay_ && !overlaps(first, stop);
    }
    if (!replay_) return nullptr;
    arena_live_[offset] = end;
    arena_in_batch_.emplace_back(offset, end);
    const std::size_t limit = PlanAccess::arena_limit(*planned_);
    auto part = std::make_unique<Buffer>(spirv_.runtime().part(
        *PlanAccess::arenas(*planned_).at(offset / limit), offset % limit, bytes));
    arena_offset_[part.get()] = offset;
    return part;
  }

  // A buffer no value needs any more: its request's lifetime ends now. Memory of the arena
  // stays the plan's; any other goes to `pool`.
  void retire(std::unique_ptr<Buffer> buffer, Pool& pool) {
    const std::uint64_t now = ++clock_;
    if (const auto it = request_of_.find(buffer.get()); it != request_of_.end()) {
      lifetimes_[it->second].last = now;
      request_of_.erase(it);
    }
    if (const auto it = arena_offset_.find(buffer.get()); it != arena_offset_.end()) {
      arena_live_.erase(it->second);
      arena_offset_.erase(it);
      return;
    }
    if (dry_) return; // a placeholder
    pool.emplace(buffer->size(), std::move(buffer));
  }

  // After a run that left the plan's path, or had none: the plan made from its requests
  // replaces the old one (whose arena goes; none of its parts is held any more).
  void save_plan() {
    if (planned_ == nullptr) return;
    // The same requests as planned (followed, or with no room for the arena this time):
    // the plan stands.
    if (requests_.empty() || requests_ == PlanAccess::requests(*planned_)) {
      if (!planned_->planned()) PlanAccess::unplannable(*planned_) = true; // nothing to plan
      return;
    }
    for (BufferLifetime& l : lifetimes_) {
      if (l.last == kOpen) l.last = clock_;
    }
    VulkanRuntime& rt = spirv_.runtime();
    const std::size_t align = rt.storage_offset_alignment();
    // An arena buffer is bound in parts, each at most maxStorageBufferRange, and is made no
    // larger either (create_buffer's limit).
    std::size_t limit = PlanAccess::max_arena_bytes(*planned_);
    if (limit == 0) limit = static_cast<std::size_t>(rt.max_storage_buffer_range());
    limit = limit / align * align;
    const bool fits = std::all_of(requests_.begin(), requests_.end(), [&](const auto& r) {
      return (r.bytes + align - 1) / align * align <= limit;
    });
    if (!fits) {
      planned_->clear(); // A request no arena holds: the pool serves every run.
      PlanAccess::unplannable(*planned_) = true;
      return;
    }
    PlanAccess::set(*planned_, std::move(requests_), plan_memory(lifetimes_, align, limit),
                    peak_live_bytes(lifetimes_, align), limit);
  }

  // A buffer a dispatch of the pending batch writes.
  std::unique_ptr<Buffer> output_buffer(std::size_t bytes) {
    bytes = std::max<std::size_t>(bytes, 4);
    if (auto buffer = take(free_in_batch_, bytes)) return buffer;
    if (auto buffer = take(free_, bytes)) return buffer;
    // Free parts of one buffer may lie side by side across the two pools: joined, they are
    // free for dispatches of this batch only (what uploads may no longer use, until submit).
    // Only parts of buffers that have parts free in the batch move.
    std::set<const void*> in_batch;
    for (const auto& [size, buffer] : free_in_batch_)
      in_batch.insert(buffer->memory_id());
    bool moved = false;
    for (auto it = free_.begin(); it != free_.end();) {
      if (in_batch.count(it->second->memory_id()) == 0) {
        ++it;
        continue;
      }
      free_in_batch_.emplace(it->first, std::move(it->second));
      it = free_.erase(it);
      moved = true;
    }
    if (moved) {
      if (auto buffer = take(free_in_batch_, bytes)) return buffer;
    }
    return new_buffer(bytes);
  }

  // The buffer the host tensor `name` (an upload key) was copied into in this batch, or a
  // resident input's in this run; null if none.
  const Buffer* uploaded_already(const std::string& key) const {
    if (const auto it = uploads_.find(key); it != uploads_.end()) return it->second.get();
    if (const auto it = resident_used_.find(key); it != resident_used_.end()) return it->second;
    return nullptr;
  }

  // A resident input: its device copy, uploaded first where the host tensor is another one,
  // was modified in place since, or outgrew the copy. The copy is never pooled: it outlives
  // the run.
  const Buffer* resident_upload(const std::string& name, const at::Tensor& t) {
    if (dry_) { // its own buffer in a real run, never a request
      std::unique_ptr<Buffer>& copy = dry_resident_[name];
      copy = std::make_unique<Buffer>(spirv_.runtime().placeholder(span_bytes(t)));
      resident_used_[name] = copy.get();
      return copy.get();
    }
    ResidentTensors::Entry& e = ResidentAccess::entry(*resident_, name);
    const std::size_t bytes = span_bytes(t);
    const std::size_t size = buffer_word_bytes(bytes);
    const bool same = e.buffer && e.host.is_same(t) && e.version == t._version() &&
                      e.data == t.const_data_ptr() && e.sizes == t.sizes().vec() &&
                      e.strides == t.strides().vec() && e.buffer->size() >= size;
    if (same) {
      report_.resident_bytes += bytes;
      resident_before_ += e.buffer->size();
    } else {
      if (!e.buffer || e.buffer->size() < size) {
        e.buffer.reset();
        e.buffer = new_buffer(size);
      }
      if (bytes > 0) {
        spirv_.runtime().upload(
            *e.buffer, std::span(static_cast<const std::byte*>(t.const_data_ptr()), bytes));
      }
      report_.uploaded_bytes += bytes;
      e.host = t;
      e.version = t._version();
      e.data = t.const_data_ptr();
      e.sizes = t.sizes().vec();
      e.strides = t.strides().vec();
    }
    resident_used_[name] = e.buffer.get();
    return e.buffer.get();
  }

  // The host tensor `name` copied into a buffer now (once per batch).
  const Buffer* upload(const std::string& name, const at::Tensor& t) {
    THUNDER_INTERNAL_ASSERT(uploads_.count(name) == 0 && resident_used_.count(name) == 0)
        << name << " uploaded twice in one batch: the first buffer may be bound already";
    // A resident input itself (not a contiguous copy a matmul made of it).
    if (resident_ != nullptr && resident_->wants(name)) {
      if (const auto it = env_.find(name);
          it != env_.end() && it->second.isTensor() && it->second.toTensor().is_same(t)) {
        return resident_upload(name, t);
      }
    }
    report_.uploaded_bytes += span_bytes(t);
    const std::size_t bytes = span_bytes(t);
    std::unique_ptr<Buffer> buffer = request(bytes, /*host_written=*/true);
    if (bytes > 0 && !dry_) {
      spirv_.runtime().upload(*buffer,
                              std::span(static_cast<const std::byte*>(t.const_data_ptr()), bytes));
    }
    const Buffer* out = buffer.get();
    uploads_[name] = std::move(buffer);
    return out;
  }

  // `del name`: the value's buffer is free for what comes after (its last reader is
  // recorded already), and the host tensor is dropped.
  void release(const std::string& name) {
    env_.erase(name);
    resident_used_.erase(name); // the device copy stays with its ResidentTensors
    const auto viewed = [&](const std::string& base) {
      return std::any_of(views_.begin(), views_.end(),
                         [&](const auto& view) { return view.second.base == base; });
    };
    if (const auto it = views_.find(name); it != views_.end()) {
      const std::string base = it->second.base;
      views_.erase(it);
      // The last view of a value released before goes: its buffer is free now.
      if (const auto b = released_bases_.find(base); b != released_bases_.end() && !viewed(base)) {
        retire(std::move(b->second.buffer), free_in_batch_);
        released_bases_.erase(b);
      }
    }
    if (const auto it = device_values_.find(name); it != device_values_.end()) {
      if (viewed(name)) {
        // A view still reads it: the buffer waits for the view's release.
        released_bases_[name] = std::move(it->second);
      } else {
        retire(std::move(it->second.buffer), free_in_batch_);
      }
      device_values_.erase(it);
    }
    // The host tensor's upload, and the contiguous copy a matmul may have made of it.
    for (const std::string& key : {name, name + "#contiguous"}) {
      if (const auto it = uploads_.find(key); it != uploads_.end()) {
        retire(std::move(it->second), free_in_batch_);
        uploads_.erase(it);
      }
    }
  }

  // prims.matmul, or an epilogue call of the matmul_epilogues pass (bias and relu applied
  // on the f32 accumulator before the one rounding), as the matmul kernel, recorded into
  // the pending batch like a region: its operands are this batch's device values, views or
  // uploads, its result stays on the device. An epilogue call's result may be the product
  // reshaped ([M, N] as [B, S, N]).
  void run_matmul(std::size_t index, const BoundSymbol& bsym) {
    const TensorProxy& a = *bsym.args.at(0).as_tensor();
    const TensorProxy& b = *bsym.args.at(1).as_tensor();
    const TensorProxy& c = *bsym.output.as_tensor();
    const std::optional<MatmulEpilogue> epilogue = matmul_epilogue_of(bsym);
    const DType dtype = c.dtype();
    VulkanRuntime& rt = spirv_.runtime();
    const std::size_t rank = a.shape().size();
    MatmulProblem problem;
    problem.m = a.shape()[rank - 2];
    problem.k = a.shape()[rank - 1];
    problem.n = b.shape()[rank - 1];
    for (std::size_t d = 0; d + 2 < rank; ++d)
      problem.batch *= a.shape()[d];
    const Pipeline* pipeline = nullptr;
    std::vector<MatmulDispatch> dispatches;
    KernelOperand op_a, op_b, op_bias;
    const CooperativeMatrix kernel = spirv_.matmul_cooperative_matrix();
    std::string module;
    try {
      module = matmul_module(dtype, kernel);
      const auto max_bytes = static_cast<std::size_t>(rt.max_storage_buffer_range());
      op_a = matmul_operand(a.name(), max_bytes);
      op_b = matmul_operand(b.name(), max_bytes);
      problem.a = *operand_layout(op_a.layout);
      problem.b = *operand_layout(op_b.layout);
      if (epilogue) {
        problem.relu = epilogue->activation == MatmulActivation::Relu;
        problem.bias = epilogue->bias;
        if (epilogue->bias) {
          op_bias = matmul_operand(bsym.args.at(2).as_tensor()->name(), max_bytes);
          const MatmulLayout bias = *operand_layout(op_bias.layout);
          problem.bias_offset = bias.offset;
          problem.bias_stride = bias.col;
        }
      }
      dispatches = plan_matmul(problem);
      pipeline = &spirv_.builtin_kernels().pipeline(rt, module, matmul_layout(dtype, kernel));
    } catch (const UnsupportedError& e) {
      if (strict_) throw;
      if (dry_) throw Undecided{};
      report_.fallbacks.push_back({bsym.symbol->qualified_name(), e.what()});
      if (epilogue) {
        run_epilogue_on_torch(bsym, *epilogue);
      } else {
        run_on_torch(bsym, std::string(kFallbackExecutor));
      }
      return;
    }
    const std::size_t bytes =
        static_cast<std::size_t>(c.numel()) * c10::elementSize(to_scalar_type(dtype));
    DeviceValue value{request(bytes, /*host_written=*/false), c.shape(), dtype};
    const Buffer* a_buffer = uploaded(op_a);
    const Buffer* b_buffer = uploaded(op_b);
    // With no bias the binding is A's (read-only, never read).
    const Buffer* bias_buffer = problem.bias ? uploaded(op_bias) : a_buffer;
    const std::array<const Buffer*, 4> bindings{a_buffer, b_buffer, bias_buffer, value.buffer.get()};
    for (const MatmulDispatch& d : dispatches) {
      if (dry_) break;
      if (!batch_) batch_.emplace(rt.batch());
      batch_->dispatch(*pipeline, bindings, std::as_bytes(std::span(&d.push, 1)), d.groups_x,
                       d.groups_y, d.groups_z, /*read_only=*/3);
    }
    if (!dry_ && !dispatches.empty()) report_.kernels[module] += 1;
    device_values_[c.name()] = std::move(value);
    members_.insert(index);
    report_.prims[spirv_.name()] += epilogue ? bsym.subsymbols.size() : 1;
  }

  // ltorch.scaled_dot_product_attention as the fused attention kernel (shaders/attention.comp),
  // recorded into the pending batch like a matmul: query, key, value and mask are read
  // through their strides (device values, views or uploads), the result stays on the device.
  // A call whose indices outgrow the kernel's 32 bits runs on torch, reported as a fallback.
  void run_attention(std::size_t index, const BoundSymbol& bsym) {
    std::string why_not;
    const std::optional<codegen::AttentionCall> call =
        codegen::plan_attention(bsym, kAttentionLimits, &why_not);
    THUNDER_INTERNAL_ASSERT(call) << bsym.call_string() << " is assigned to spirv, but the fused "
                                  << "attention does not take it: " << why_not;
    const std::vector<std::string> names = codegen::attention_operands(bsym);
    const bool masked = call->mask != codegen::AttentionMask::None;
    THUNDER_INTERNAL_ASSERT(names.size() == (masked ? 4u : 3u))
        << bsym.call_string() << ": query, key, value and the mask are not tensors";
    VulkanRuntime& rt = spirv_.runtime();
    const TensorProxy& out = *bsym.output.as_tensor();
    std::vector<KernelOperand> ops;
    std::optional<AttentionDispatch> dispatch;
    const Pipeline* pipeline = nullptr;
    std::string module;
    try {
      const auto max_bytes = static_cast<std::size_t>(rt.max_storage_buffer_range());
      for (const std::string& name : names)
        ops.push_back(kernel_operand(name, max_bytes, [](const StridedLayout&) { return true; }));
      std::vector<codegen::TensorLayout> layouts;
      for (const KernelOperand& op : ops)
        layouts.push_back({op.layout.shape, op.layout.strides});
      const codegen::AttentionStrides strides =
          codegen::attention_strides(*call, kAttentionLimits.max_batch_dims + 2, layouts[0],
                                     layouts[1], layouts[2], masked ? &layouts[3] : nullptr);
      AttentionOffsets offsets{ops[0].layout.offset, ops[1].layout.offset, ops[2].layout.offset};
      if (masked) offsets.mask = ops[3].layout.offset;
      dispatch = plan_attention_dispatch(*call, strides, offsets);
      module = attention_module(*call);
      pipeline = &spirv_.builtin_kernels().pipeline(rt, module, attention_layout(*call));
    } catch (const UnsupportedError& e) {
      if (strict_) throw;
      if (dry_) throw Undecided{};
      report_.fallbacks.push_back({bsym.symbol->qualified_name(), e.what()});
      run_on_torch(bsym, std::string(kFallbackExecutor));
      return;
    }
    const std::size_t bytes =
        static_cast<std::size_t>(out.numel()) * c10::elementSize(to_scalar_type(out.dtype()));
    DeviceValue value{request(bytes, /*host_written=*/false), out.shape(), out.dtype()};
    std::array<const Buffer*, 5> bindings{};
    for (std::size_t i = 0; i < ops.size(); ++i)
      bindings[i] = uploaded(ops[i]);
    if (!masked) bindings[3] = bindings[0]; // bound, never read
    bindings[4] = value.buffer.get();
    if (dispatch && !dry_) {
      if (!batch_) batch_.emplace(rt.batch());
      batch_->dispatch(*pipeline, bindings, std::as_bytes(std::span(&dispatch->push, 1)),
                       dispatch->groups_x, dispatch->groups_y, dispatch->groups_z,
                       /*read_only=*/4);
      report_.kernels[module] += 1;
    }
    device_values_[out.name()] = std::move(value);
    members_.insert(index);
    report_.prims[spirv_.name()] += codegen::prim_count(bsym);
  }

  // An epilogue call of the matmul_epilogues pass on torch (an operand the kernel cannot
  // take): as the calls it replaced compute it, f16/bf16 in f32 rounded once.
  void run_epilogue_on_torch(const BoundSymbol& bsym, const MatmulEpilogue& epilogue) {
    if (dry_) throw Undecided{};
    flush(); // Operands made in the pending batch come back to the host.
    const auto tensor = [&](const Value& v) { return host_tensor(v.as_tensor()->name()); };
    const at::Tensor bias = epilogue.bias ? tensor(bsym.args.at(2)) : at::Tensor();
    const TensorProxy& c = *bsym.output.as_tensor();
    env_[c.name()] = matmul_epilogue_on_torch(tensor(bsym.args.at(0)), tensor(bsym.args.at(1)),
                                              epilogue.bias ? &bias : nullptr, epilogue, c);
    report_.prims[std::string(kFallbackExecutor)] += bsym.subsymbols.size();
  }

  // Subsymbols [begin, end) of a region as a region of their own: its inputs are what they
  // read and do not define; its outputs what they define that `later` reads or that is in
  // `outputs` (the whole region's).
  static BoundSymbol part_of(const BoundSymbol& region, std::size_t begin, std::size_t end,
                             const Value& outputs, const BoundSymbol* later = nullptr) {
    BoundSymbol part;
    part.symbol = region.symbol;
    part.executor = region.executor;
    part.location = region.location;
    part.subsymbols.assign(region.subsymbols.begin() + static_cast<std::ptrdiff_t>(begin),
                           region.subsymbols.begin() + static_cast<std::ptrdiff_t>(end));
    std::set<std::string> defined, seen;
    for (const BoundSymbol& member : part.subsymbols) {
      const auto read = [&](const Value& v) {
        v.for_each_proxy([&](const Proxy& p) {
          if (defined.count(p.name()) == 0 && seen.insert(p.name()).second) {
            part.args.push_back(find_value(member, p.name()));
          }
        });
      };
      for (const Value& arg : member.args)
        read(arg);
      for (const auto& [name, value] : member.kwargs)
        read(value);
      for (const Proxy* p : member.output_proxies())
        defined.insert(p->name());
    }
    std::set<std::string> wanted;
    outputs.for_each_proxy([&](const Proxy& p) { wanted.insert(p.name()); });
    if (later != nullptr) {
      for (const Proxy* p : later->input_proxies())
        wanted.insert(p->name());
    }
    std::vector<Value> out;
    for (const BoundSymbol& member : part.subsymbols) {
      if (member.output.is_proxy() && wanted.count(member.output.proxy()->name()) != 0) {
        out.push_back(member.output);
      }
    }
    if (out.size() == 1) {
      part.output = out.front();
    } else if (!out.empty()) {
      part.output = Value(std::move(out));
    }
    return part;
  }

  // The Value of the proxy `name` among a bound symbol's arguments.
  static Value find_value(const BoundSymbol& bsym, const std::string& name) {
    std::optional<Value> found;
    const auto search = [&](const Value& v, const auto& self) -> void {
      if (found) return;
      if (v.is_proxy() && v.proxy()->name() == name) {
        found = v;
      } else if (v.is_list()) {
        for (const Value& item : v.as_list())
          self(item, self);
      }
    };
    for (const Value& arg : bsym.args)
      search(arg, search);
    for (const auto& [key, value] : bsym.kwargs)
      search(value, search);
    THUNDER_INTERNAL_ASSERT(found.has_value())
        << name << " is not an argument of " << bsym.call_string();
    return *found;
  }

  bool read_outside_batch(const std::string& name) const {
    if (returned_.count(name) != 0) return true;
    const auto it = users_.find(name);
    if (it == users_.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(),
                       [&](std::size_t user) { return members_.count(user) == 0; });
  }

  // Submits the pending batch and brings back what the rest of the trace reads.
  void flush(bool download_all = false) {
    if (members_.empty()) return;
    if (batch_) {
      batch_->submit();
      ++report_.batches;
      report_.barriers += batch_->barrier_count();
    }
    VulkanRuntime& rt = spirv_.runtime();
    for (const auto& [status, kernel] : statuses_) {
      std::array<std::uint32_t, codegen::kStatusWords> words{};
      rt.download(*status, std::as_writable_bytes(std::span(words)));
      if (std::string error = codegen::index_error_message(*kernel, words.data()); !error.empty()) {
        throw ArgumentError("spirv executor: " + error);
      }
    }
    statuses_.clear();
    for (auto& [name, value] : device_values_) {
      if (dry_ || (!download_all && !read_outside_batch(name))) continue;
      at::Tensor t = at::empty(std::vector<std::int64_t>(value.shape.begin(), value.shape.end()),
                               at::TensorOptions().dtype(to_scalar_type(value.dtype)));
      const std::size_t bytes = t.numel() * t.element_size();
      if (bytes > 0) {
        rt.download(*value.buffer, std::span(static_cast<std::byte*>(t.data_ptr()), bytes));
      }
      env_[name] = std::move(t);
    }
    // A view something after the batch reads: its base brought back, viewed with its strides.
    for (const auto& [name, view] : views_) {
      // A view of a resident input is on the host already (run_view made it there too).
      if (dry_ || view.resident != nullptr || (!download_all && !read_outside_batch(name))) continue;
      const DeviceValue& base = view_base(view);
      at::Tensor t = at::empty(std::vector<std::int64_t>(base.shape.begin(), base.shape.end()),
                               at::TensorOptions().dtype(to_scalar_type(base.dtype)));
      const std::size_t bytes = t.numel() * t.element_size();
      if (bytes > 0) {
        rt.download(*base.buffer, std::span(static_cast<std::byte*>(t.data_ptr()), bytes));
      }
      env_[name] = t.as_strided(view.layout.shape, view.layout.strides, view.layout.offset);
    }
    batch_.reset();
    // The batch is done: every buffer it used is free for anything, host writes included.
    for (auto& [name, value] : device_values_)
      retire(std::move(value.buffer), free_);
    for (auto& [name, buffer] : uploads_)
      retire(std::move(buffer), free_);
    for (auto& [size, buffer] : free_in_batch_)
      free_.emplace(size, std::move(buffer));
    for (auto& [name, value] : released_bases_)
      retire(std::move(value.buffer), free_);
    coalesce(free_);
    // Host writes from now on may take any memory the batch used.
    batch_start_ = ++clock_;
    arena_in_batch_.clear();
    released_bases_.clear();
    views_.clear();
    device_values_.clear();
    uploads_.clear();
    free_in_batch_.clear();
    compiled_.clear();
    members_.clear();
  }

  const SpirvExecutor& spirv_;
  const Trace& trace_;
  ExecutionReport& report_;
  bool strict_;
  ResidentTensors* resident_;
  PlannedMemory* planned_;
  bool dry_;
  std::map<std::string, std::unique_ptr<Buffer>> dry_resident_; // A dry run's stand-ins.
  std::map<std::string, const Buffer*> resident_used_; // Resident inputs read in this run.
  std::uint64_t resident_before_ = 0; // Bytes of device copies this run found made.
  TorchExecutor torch_;
  TorchEnvironment env_;
  std::map<std::string, std::vector<std::size_t>> users_; // Top-level readers, by name.
  std::set<std::string> returned_;
  // The pending batch: its regions (trace positions), their device values and uploads.
  std::optional<Batch> batch_;
  std::set<std::size_t> members_;
  std::map<std::string, DeviceValue> device_values_;
  std::map<std::string, std::unique_ptr<Buffer>> uploads_;
  std::map<std::string, View> views_;                // Views of device values, by name.
  std::map<std::string, DeviceValue> released_bases_; // `del`ed, but a view still reads them.
  Pool free_in_batch_; // Released while the pending batch is recorded.
  Pool free_;          // Released before it, or by a submitted batch.
  std::vector<std::shared_ptr<const CompiledRegion>> compiled_;
  // The status buffers of the batch's kernels that check indices, with their kernels.
  std::vector<std::pair<std::unique_ptr<Buffer>, const codegen::Kernel*>> statuses_;
  // Memory planning (PlannedMemory). The clock counts requests and releases; each request is
  // recorded with its lifetime on it, and the request a buffer serves is found by address.
  std::uint64_t clock_ = 0;
  std::uint64_t batch_start_ = 0; // Host writes need memory nothing used since then.
  std::vector<PlannedMemory::Request> requests_;
  std::vector<BufferLifetime> lifetimes_;
  std::map<const Buffer*, std::size_t> request_of_;
  bool replay_ = false; // Requests take their planned place in the arena.
  // The arena's ranges held now (offset -> end), and those taken since the batch began.
  std::map<std::size_t, std::size_t> arena_live_;
  std::map<const Buffer*, std::size_t> arena_offset_; // Of each part of the arena, in it.
  std::vector<std::pair<std::size_t, std::size_t>> arena_in_batch_;
};

} // namespace

Trace prepare_spirv_trace(const Trace& trace, const SpirvExecutor& spirv,
                          const TorchFallbackExecutor& torch, std::vector<Fallback>* fallbacks) {
  const std::vector<const Executor*> executors{&spirv, &torch};
  const Trace assigned =
      common_subexpression_elimination(assign_executors(trace, executors, fallbacks));
  return split_regions_for_memory(
      rematerialize(fuse(fuse_matmul_epilogues(assigned, executors), executors), executors));
}

std::vector<at::Tensor> run_spirv_trace(const SpirvExecutor& spirv, const Trace& trace,
                                        const std::vector<c10::IValue>& inputs,
                                        ExecutionReport* report, bool strict,
                                        ResidentTensors* resident, PlannedMemory* planned) {
  // A Vulkan queue needs external synchronization: one trace at a time submits to it.
  static std::mutex device_mutex;
  const std::lock_guard lock(device_mutex);
  // No plan yet (the trace's first run, or the plan was cleared): a dry run records one, so
  // this run too takes its buffers from an arena.
  if (planned != nullptr && !planned->planned() && !PlanAccess::unplannable(*planned)) {
    ExecutionReport scratch;
    try {
      Runner(spirv, trace, scratch, strict, resident, planned, /*dry=*/true).run(inputs);
    } catch (const Runner::Undecided&) {
      // A value from the host decides the rest: this run takes the pool and records the plan.
    }
  }
  // An arena this run makes is freed again if it fails: a failed call holds nothing after.
  const bool arena_before = planned != nullptr && !PlanAccess::arenas(*planned).empty();
  ExecutionReport local;
  Runner runner(spirv, trace, report != nullptr ? *report : local, strict, resident, planned);
  try {
    return runner.run(inputs);
  } catch (...) {
    if (planned != nullptr && !arena_before) planned->release_arena();
    throw;
  }
}

} // namespace thunder::spirv
