// Where a tensor lives: the host, a CUDA device or a Vulkan device. Devices print and
// parse as "cpu", "cuda:0", "vulkan:1".
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace thunder {

enum class DeviceType : std::uint8_t { CPU, CUDA, Vulkan };

/// A device: its type and, for GPUs, its index.
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  static Device vulkan(int index = 0) { return {DeviceType::Vulkan, index}; }

  /// "cpu", "cuda:0", "vulkan:1".
  std::string to_string() const;
  /// Parses "cpu", "cuda", "cuda:N", "vulkan", "vulkan:N"; throws ArgumentError otherwise.
  static Device parse(std::string_view text);

  friend auto operator<=>(const Device&, const Device&) = default;
};

} // namespace thunder
