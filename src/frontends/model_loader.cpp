#include "thunder/frontends/model_loader.h"

#include "thunder/core/error.h"
#include "thunder/frontends/export_reader.h"
#include "thunder/frontends/torchscript_reader.h"

#include <caffe2/serialize/inline_container.h>

#include <filesystem>

namespace thunder {

std::string model_format(const std::string& path) {
  if (!std::filesystem::exists(path)) throw ModelError(str(path, ": no such file"));
  std::vector<std::string> records;
  try {
    records = caffe2::serialize::PyTorchStreamReader(path).getAllRecords();
  } catch (const c10::Error& e) {
    throw ModelError(str(path, ": not a model file: neither a torch.export archive (.pt2) nor a ",
                         "TorchScript file, which are both zip archives (",
                         e.what_without_backtrace(), ")"));
  }
  bool code = false, data_pkl = false;
  for (const std::string& record : records) {
    // The reader strips the archive's top directory: "models/model.json", "code/...".
    if (record == "archive_format" ||
        (record.rfind("models/", 0) == 0 && record.size() > 5 &&
         record.compare(record.size() - 5, 5, ".json") == 0)) {
      return "torch.export";
    }
    code = code || record.rfind("code/", 0) == 0;
    data_pkl = data_pkl || record == "data.pkl";
  }
  if (code && data_pkl) return "TorchScript";
  throw ModelError(str(path, ": a zip archive, but neither a torch.export archive (no ",
                       "models/*.json or archive_format) nor a TorchScript file (no code/ and ",
                       "data.pkl); save models with torch.export.save or torch.jit.save"));
}

LoadedModel load_model(const std::string& path) {
  return model_format(path) == "TorchScript" ? load_torchscript(path) : load_exported_program(path);
}

} // namespace thunder
