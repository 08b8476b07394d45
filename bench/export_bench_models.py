"""Exports the benchmark models into OUT_DIR with the test suite's exporter
(tests/models/export_transformers.py): gpt2_12l, a 12-layer GPT-2 of small width
(n_embd 256, 8 heads, vocab 1024; random weights). Usage: export_bench_models.py OUT_DIR"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "models"))
import export_transformers as ex  # noqa: E402
import transformers  # noqa: E402


def gpt2_12l():
    config = transformers.GPT2Config(
        n_layer=12, n_embd=256, n_head=8, vocab_size=1024, n_positions=128,
        bos_token_id=0, eos_token_id=0, use_cache=False, attn_implementation="sdpa")
    return transformers.GPT2LMHeadModel(config), "logits", False


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    transformers.logging.set_verbosity_error()
    ex.MODELS["gpt2_12l"] = gpt2_12l
    ex.export("gpt2_12l", sys.argv[1])
