#include "thunder/frontends/model_io.h"

#include "thunder/core/dtype.h"
#include "thunder/core/error.h"
#include "thunder/executors/torch_executor.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <fstream>

namespace thunder {
namespace {

at::Tensor read_tensor(const nlohmann::json& j, const std::string& where) {
  const auto data = j.at("data").get<std::vector<double>>();
  const auto shape = j.at("shape").get<std::vector<std::int64_t>>();
  const std::string dtype_name = j.at("dtype").get<std::string>();
  const std::optional<DType> dtype = parse_dtype(dtype_name);
  if (!dtype) throw ModelError(str(where, ": unknown dtype '", dtype_name, "'"));
  std::int64_t numel = 1;
  for (const std::int64_t d : shape) {
    if (d < 0) throw ModelError(str(where, ": negative size in shape ", shape_to_string(shape)));
    numel *= d;
  }
  if (numel != static_cast<std::int64_t>(data.size())) {
    throw ModelError(str(where, ": shape ", shape_to_string(shape), " needs ", numel,
                         " values, the file has ", data.size()));
  }
  return at::tensor(data, at::kDouble).reshape(shape).to(to_scalar_type(*dtype));
}

std::vector<at::Tensor> read_tensors(const nlohmann::json& file, const char* field,
                                     const std::string& path) {
  std::vector<at::Tensor> out;
  if (!file.contains(field)) return out;
  const nlohmann::json& list = file.at(field);
  for (std::size_t i = 0; i < list.size(); ++i)
    out.push_back(read_tensor(list.at(i), str(path, ": ", field, "[", i, "]")));
  return out;
}

} // namespace

ModelIO read_model_io(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ModelError(str("cannot open inputs file ", path));
  try {
    const nlohmann::json file = nlohmann::json::parse(in);
    ModelIO io;
    io.inputs = read_tensors(file, "inputs", path);
    io.outputs = read_tensors(file, "outputs", path);
    for (const auto& [name, value] : file.items()) {
      if (value.is_string()) io.fields[name] = value.get<std::string>();
    }
    return io;
  } catch (const nlohmann::json::exception& e) {
    throw ModelError(str(path, ": not a valid inputs file (", e.what(), ")"));
  }
}

} // namespace thunder
