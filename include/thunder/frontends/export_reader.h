// Reader of torch.export archives (.pt2, as torch.export.save writes them) in C++, with
// no Python at run time: the zip archive, its JSON graph (models/model.json), and the
// weights and constants (data/...). The result is a Program plus the module's tensors.
// A torch edge: weights become at::Tensors that own the bytes read from the archive.
#pragma once

#include "thunder/interpreter/program.h"

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

namespace thunder {

/// A loaded export: the program and the tensors its parameter, buffer and constant
/// inputs name (by their target, "fc.weight").
struct ExportedProgram {
  Program program;
  std::map<std::string, at::Tensor> state;
  std::string torch_version; ///< The torch that wrote the archive.
};

/// Reads a .pt2 archive. ModelError (naming the file and the part) for a missing or
/// corrupt archive, malformed JSON, an unknown schema version or node kind, or a missing
/// weight; UnsupportedError for valid features not handled yet (pickled weights,
/// symbolic shapes).
ExportedProgram load_exported_program(const std::string& path);

} // namespace thunder
