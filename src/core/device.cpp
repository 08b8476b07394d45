#include "thunder/core/device.h"

#include "thunder/core/error.h"

#include <charconv>

namespace thunder {

std::string Device::to_string() const {
  switch (type) {
  case DeviceType::CPU:
    return "cpu";
  case DeviceType::CUDA:
    return "cuda:" + std::to_string(index);
  case DeviceType::Vulkan:
    return "vulkan:" + std::to_string(index);
  }
  THUNDER_INTERNAL_ASSERT(false) << "device type " << static_cast<int>(type);
  return {};
}

Device Device::parse(std::string_view text) {
  const auto colon = text.find(':');
  const std::string_view kind = text.substr(0, colon);
  int index = 0;
  if (colon != std::string_view::npos) {
    const std::string_view digits = text.substr(colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || index < 0) {
      throw ArgumentError(str("invalid device '", text, "': the index after ':' must be a ",
                              "non-negative integer, as in 'cuda:0'"));
    }
  }
  if (kind == "cpu") {
    if (index != 0) throw ArgumentError(str("invalid device '", text, "': cpu has only index 0"));
    return cpu();
  }
  if (kind == "cuda") return cuda(index);
  if (kind == "vulkan") return vulkan(index);
  throw ArgumentError(str("invalid device '", text, "': expected cpu, cuda[:N] or vulkan[:N]"));
}

} // namespace thunder
