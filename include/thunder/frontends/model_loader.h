// The model loader: reads a model file with the front end its content calls for, a
// torch.export archive (.pt2: models/*.json, archive_format) or a TorchScript zip
// (code/, data.pkl), whatever the file's name. A torch edge.
#pragma once

#include "thunder/frontends/loaded_model.h"

#include <string>

namespace thunder {

/// Which front end reads this file: "torch.export" or "TorchScript". ModelError for a
/// missing file or one that is neither (naming the file and what was found).
std::string model_format(const std::string& path);

/// Loads the model with its front end (load_exported_program or load_torchscript).
LoadedModel load_model(const std::string& path);

} // namespace thunder
