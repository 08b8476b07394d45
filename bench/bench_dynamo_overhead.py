"""Per-call overhead on a cache hit of torch.compile backends, for a small MLP on the CPU.

    PYTHONPATH=build/<dir>/python python3 bench/bench_dynamo_overhead.py [--iters N] [--batch B]

Compares, on the same inputs, after warm-up (every call a cache hit):
  eager                    the module called directly
  thunder_cpp (torch)      torch.compile(backend=thunder_cpp.ThunderCompiler(backend="torch"))
  thunder_cpp (spirv)      the same on the spirv backend, where this machine has a Vulkan device
  inductor                 torch.compile's default backend; if it cannot compile here (it
                           needs a C++ compiler for CPU kernels), the line says why
For thunder_cpp it also prints the time spent inside thunder's compiled region per call
(guard key lookup and the ATen calls: CompileStats::run_ms / calls), the rest being
Dynamo's guards, the FX runner and the binding. The model is so small that what is measured
is overhead, not arithmetic. Prints the machine (CPU, threads, torch version) first.
"""
import argparse
import platform
import statistics
import time

import torch

import thunder_cpp


class MLP(torch.nn.Module):
    def __init__(self, width=64, depth=3):
        super().__init__()
        self.layers = torch.nn.ModuleList(torch.nn.Linear(width, width) for _ in range(depth))

    def forward(self, x):
        for layer in self.layers:
            x = torch.nn.functional.gelu(layer(x))
        return x


def per_call_us(fn, x, iters, repeats=7):
    """Median over repeats of the mean time of one call, in microseconds."""
    for _ in range(20):
        fn(x)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            fn(x)
        samples.append((time.perf_counter() - start) / iters * 1e6)
    return statistics.median(samples)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1: "
                        "overhead, not parallel kernels, and less noise from a busy machine)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    model = MLP().eval()
    x = torch.randn(args.batch, 64)
    print(f"machine: {cpu_name()}, torch {torch.__version__}, {torch.get_num_threads()} threads, CPU only")
    print(f"model: MLP 3 x (Linear(64, 64) + GELU), input f32[{args.batch}, 64]; {args.iters} calls x 7 repeats, median")
    print(f"{'backend':<24} {'us/call':>10} {'vs eager':>9}  notes")

    rows = []
    with torch.no_grad():
        expected = model(x)
        eager = per_call_us(model, x, args.iters)
        rows.append(("eager", eager, ""))

        for backend in ("torch", "spirv"):
            label = f"thunder_cpp ({backend})"
            try:
                thunder_cpp.select_backend(backend)
            except thunder_cpp.ThunderError as e:
                rows.append((label, None, f"skipped: {e}"))
                continue
            torch._dynamo.reset()
            compiler = thunder_cpp.ThunderCompiler(backend=backend)
            compiled = torch.compile(model, backend=compiler, dynamic=False)
            torch.testing.assert_close(compiled(x), expected, rtol=1e-4, atol=1e-4)
            us = per_call_us(compiled, x, args.iters)
            graph = compiler.graphs[-1]
            stats = graph.regions[0].stats()
            inside = stats["run_ms"] * 1e3 / stats["calls"]
            split = "no split" if not graph.split else f"SPLIT: {len(graph.reasons)} node(s) in eager"
            rows.append((label, us, f"{len(compiler.graphs)} graph(s), {split}; "
                                    f"{inside:.1f} us/call inside thunder's region (averaged over every call)"))

        torch._dynamo.reset()
        try:
            compiled = torch.compile(model, dynamic=False)
            torch.testing.assert_close(compiled(x), expected, rtol=1e-4, atol=1e-4)
            rows.append(("inductor (default)", per_call_us(compiled, x, args.iters), ""))
        except Exception as e:  # noqa: BLE001 - the point is to say why
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            rows.append(("inductor (default)", None, f"FAILED here: {type(e).__name__}: {first[:160]}"))

    for label, us, notes in rows:
        figure = f"{us:10.1f}" if us is not None else f"{'-':>10}"
        ratio = f"{us / eager:8.2f}x" if us is not None else f"{'-':>9}"
        print(f"{label:<24} {figure} {ratio}  {notes}")


if __name__ == "__main__":
    main()
