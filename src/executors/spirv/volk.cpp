// volk's implementation, compiled once into thunder_spirv_runtime (the package ships volk
// header-only: /usr/include/volk.h and volk.c). volk loads libvulkan at run time, so the
// library builds and loads on machines with no Vulkan loader and says so when asked.
#define VOLK_IMPLEMENTATION
#include <volk.h>
