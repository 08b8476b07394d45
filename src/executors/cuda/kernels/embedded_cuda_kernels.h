// The cuda executor's hand-written kernels (kernels/*.cu beside this header), embedded in the
// library as CUDA C++ text at build time (cmake/EmbedCudaKernels.cmake); NVRTC compiles
// them at run time, as it does the generated kernels. Private to the cuda executor.
#pragma once

#include <string_view>

namespace thunder::cuda {

/// The text of kernels/<stem>.cu ("attention"), or an empty view for a stem not embedded.
std::string_view embedded_cuda_kernel(std::string_view stem);

} // namespace thunder::cuda
