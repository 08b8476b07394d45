"""GPT-2 small in bf16 at batch 8 x 512 on a CUDA GPU: torch eager and torch.compile's default
backend (inductor) timed on the card, and the same model exported for thunder-run, which
bench/gpu_check.sh then times on the cuda backend (issue #7's target: thunder at least as fast
as torch.compile's default backend on the same card).

    python3 bench/gpt2_bf16_gpu.py OUT_DIR [--go FILE] [--iters N] [--layers L] [--batch B] [--seq S]

The model: transformers' GPT2LMHeadModel, GPT-2 small's config (12 layers, 768 wide, 12 heads,
vocabulary 50257, 1024 positions), random weights (seed 0), eval mode, no KV cache, SDPA
attention, cast to bf16. Logits are the output. Writes OUT_DIR/gpt2_small_bf16.pt2, exported
on the CPU for input_ids of [batch, seq] (thunder-run --shapes BATCHxSEQ feeds it).
With --go, torch.compile's compilation runs first and the timing waits until FILE exists, so
that a build running beside it does not share the CPU with the timed calls.
Each figure: the median of --iters calls after warm-up, each call timed by CUDA events.
"""
import argparse
import os
import statistics
import sys
import time
import warnings

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "models"))
from export_transformers import Wrapper  # noqa: E402

import transformers  # noqa: E402


def model_of(layers):
    config = transformers.GPT2Config(
        n_layer=layers, n_embd=768, n_head=12, vocab_size=50257, n_positions=1024,
        bos_token_id=0, eos_token_id=0, use_cache=False, attn_implementation="sdpa")
    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(config).eval()
    return Wrapper(model, "logits").eval().to(torch.bfloat16)


def time_calls(fn, ids, iters):
    with torch.no_grad():
        for _ in range(5):
            fn(ids)
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn(ids)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--go", help="wait for this file before timing")
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--layers", type=int, default=12)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seq", type=int, default=512)
    options = parser.parse_args()
    transformers.logging.set_verbosity_error()
    warnings.filterwarnings("ignore")
    os.makedirs(options.out_dir, exist_ok=True)

    model = model_of(options.layers)
    ids = torch.randint(0, 50257, (options.batch, options.seq), dtype=torch.int64)
    start = time.time()
    with torch.no_grad():
        program = torch.export.export(model, (ids,))
    path = os.path.join(options.out_dir, "gpt2_small_bf16.pt2")
    torch.export.save(program, path)
    print(f"exported {path} ({os.path.getsize(path) / 2**20:.0f} MiB) in {time.time() - start:.0f} s",
          flush=True)
    if not torch.cuda.is_available():
        sys.exit("gpt2_bf16_gpu.py: no CUDA device; exported only")

    model = model.cuda()
    ids = ids.cuda()
    compiled = torch.compile(model)
    start = time.time()
    with torch.no_grad():
        compiled(ids)
        torch.cuda.synchronize()
    print(f"torch.compile (inductor) compiled in {time.time() - start:.0f} s", flush=True)
    if options.go:
        waited = time.time()
        while not os.path.exists(options.go) and time.time() - waited < 900:
            time.sleep(0.5)
    name = torch.cuda.get_device_name()
    print(f"device: {name}; torch {torch.__version__}; GPT-2 small ({options.layers} layers) bf16, "
          f"input_ids [{options.batch}, {options.seq}]; median (min) of {options.iters} calls",
          flush=True)
    for label, fn in (("torch eager", model), ("torch.compile (inductor)", compiled)):
        median, least = time_calls(fn, ids, options.iters)
        print(f"{label}: {median:.3f} ms ({least:.3f})", flush=True)
    with torch.no_grad():
        difference = (compiled(ids).float() - model(ids).float()).abs().max().item()
    print(f"max abs difference, compiled vs eager logits: {difference:.3g}")


if __name__ == "__main__":
    main()
