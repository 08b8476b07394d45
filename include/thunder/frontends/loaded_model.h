// LoadedModel: what every front end gives thunder::compile: the Program and the module's
// tensors its parameter, buffer and constant inputs name. A torch edge (at::Tensor).
#pragma once

#include "thunder/interpreter/program.h"

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace thunder {

/// A loaded model: the program and the tensors its parameter, buffer and constant inputs
/// name (by their target, "fc.weight").
struct LoadedModel {
  Program program;
  std::map<std::string, at::Tensor> state;
  std::string torch_version; ///< The torch that wrote the file, where it says.
  std::string format;        ///< "torch.export" or "TorchScript".
};

} // namespace thunder
