// Reader of torch.export archives (.pt2, as torch.export.save writes them) in C++, with
// no Python at run time: the zip archive, its JSON graph (models/model.json), and the
// weights and constants (data/...). The result is a Program plus the module's tensors.
// A torch edge: weights become at::Tensors that own the bytes read from the archive.
#pragma once

#include "thunder/frontends/loaded_model.h"

#include <string>

namespace thunder {

/// A loaded export (the same struct every front end returns).
using ExportedProgram = LoadedModel;

/// Reads a .pt2 archive. ModelError (naming the file and the part) for a missing or
/// corrupt archive, malformed JSON, an unknown schema version or node kind, or a missing
/// weight; UnsupportedError for valid features not handled yet (pickled weights,
/// symbolic shapes). torch.cond and while_loop become prim::If and prim::While nodes
/// whose blocks are their sub-graphs (names inside prefixed with the sub-graph's name).
ExportedProgram load_exported_program(const std::string& path);

} // namespace thunder
