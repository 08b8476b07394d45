// Traces a small function with the installed headers, runs it on the torch executor
// and checks the answer against LibTorch eager.
#include <thunder/executors/torch_executor.h>
#include <thunder/thunder.h>

#include <ATen/ATen.h>

#include <iostream>

int main() {
  thunder::TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3}, thunder::DType::Float32);
  auto w = scope.input_tensor("w", {4, 3}, thunder::DType::Float32);
  const thunder::Trace trace = scope.finish(thunder::ltorch::relu(thunder::ltorch::linear(x, w)));
  std::cout << trace.to_string();

  const at::Tensor xs = at::randn({2, 3});
  const at::Tensor ws = at::randn({4, 3});
  const auto out = thunder::TorchExecutor().run(trace, {xs, ws});
  const bool ok = at::allclose(out.at(0), at::relu(at::linear(xs, ws)));
  std::cout << (ok ? "consumer: PASS" : "consumer: FAIL") << "\n";
  return ok ? 0 : 1;
}
