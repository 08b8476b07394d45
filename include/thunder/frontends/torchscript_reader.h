// Reader of TorchScript files (torch.jit.save): torch::jit::load, the forward method's
// graph with every call inlined (torch::jit::Inline), turned into a Program. prim::If and
// prim::Loop stay blocks for the Interpreter to specialize; module attributes are read at
// load time: parameters and buffers become program inputs named by their qualified names
// ("layers.0.weight"), other attributes (flags, sizes, lists) become constants. Source
// lines come from the graph's source ranges (file:line of the scripted Python).
//
// TorchScript records no shapes but for the module's own tensors, so the program has no
// metadata for its user inputs or intermediate values: shapes come from the ltorch metas
// as the JitExtension traces. An operator no ltorch symbol mirrors cannot fall back to the
// torch executor (its output shapes are unknown): it is an UnsupportedError naming the op
// and the source line. No shape propagation is run.
// A torch edge.
#pragma once

#include "thunder/frontends/loaded_model.h"

#include <string>

namespace thunder {

/// Reads a TorchScript file. ModelError for a file torch::jit::load rejects or a module
/// without forward; UnsupportedError for what the Program cannot express (calls that did
/// not inline, module values used as data, attributes of unsupported types).
LoadedModel load_torchscript(const std::string& path);

} // namespace thunder
