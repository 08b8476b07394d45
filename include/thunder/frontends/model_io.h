// Sample inputs and recorded outputs of a model, in the JSON file the export scripts of
// tests/models write beside each model (NAME.io.json) and thunder-run reads (--inputs):
//   {"inputs": [T, ...], "outputs": [T, ...], ...}
//   T = {"dtype": "float32", "shape": [2, 3], "data": [flat values, row-major]}
// Other string-valued fields are kept in `fields` for the caller. A torch edge.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

namespace thunder {

/// A model's sample inputs and the outputs eager torch gave for them.
struct ModelIO {
  std::vector<at::Tensor> inputs;
  std::vector<at::Tensor> outputs;
  /// The file's other fields whose values are strings, by name.
  std::map<std::string, std::string> fields;
};

/// Reads an IO file. ModelError naming the file (and the entry) if it is missing, is not
/// JSON, or holds a tensor with an unknown dtype or data that does not fill its shape.
ModelIO read_model_io(const std::string& path);

} // namespace thunder
