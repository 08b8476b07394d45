"""Exports small Hugging Face transformers with torch.export into OUT_DIR, the way
export_models.py does: for each model NAME, NAME.pt2 and NAME.io.json (sample inputs and
the outputs eager torch gives for them). Random weights from small configs, fixed seeds,
eval mode, no KV cache, SDPA attention; nothing is downloaded.
Usage: export_transformers.py [--only NAME[,NAME...]] [--dtype bf16|f16] OUT_DIR
With --dtype, the weights are cast to it before export and each file is NAME_bf16 (or
NAME_f16): a low-precision program, as model.to(torch.bfloat16) gives (for benchmarks;
the test suite exports f32)."""
import argparse
import os
import sys
import warnings

import torch

import transformers
from model_io import write_io

VOCAB = 128
BATCH, SEQ = 2, 16


def gpt2():
    config = transformers.GPT2Config(
        n_layer=2, n_embd=64, n_head=4, vocab_size=VOCAB, n_positions=64,
        bos_token_id=0, eos_token_id=0, use_cache=False, attn_implementation="sdpa")
    return transformers.GPT2LMHeadModel(config), "logits", False


def llama():
    config = transformers.LlamaConfig(
        hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, vocab_size=VOCAB, max_position_embeddings=64,
        bos_token_id=0, eos_token_id=0, use_cache=False, attn_implementation="sdpa")
    return transformers.LlamaForCausalLM(config), "logits", False


def bert():
    config = transformers.BertConfig(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        vocab_size=VOCAB, max_position_embeddings=64, attn_implementation="sdpa")
    return transformers.BertModel(config, add_pooling_layer=False), "last_hidden_state", True


MODELS = {"gpt2": gpt2, "llama": llama, "bert": bert}


class Wrapper(torch.nn.Module):
    """Returns one tensor of the model's output (logits or last_hidden_state)."""

    def __init__(self, model, output):
        super().__init__()
        self.model = model
        self.output = output

    def forward(self, input_ids, attention_mask=None):
        if attention_mask is None:
            return getattr(self.model(input_ids=input_ids), self.output)
        return getattr(self.model(input_ids=input_ids, attention_mask=attention_mask), self.output)


DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16}


def export(name, out_dir, dtype=None):
    torch.manual_seed(0)
    model, output, with_mask = MODELS[name]()
    model = Wrapper(model.eval(), output).eval()
    if dtype:
        model = model.to(DTYPES[dtype])
        name = f"{name}_{dtype}"
    input_ids = torch.randint(0, VOCAB, (BATCH, SEQ), dtype=torch.int64)
    args = (input_ids,)
    if with_mask:
        # The second sequence is padded: its last four tokens are masked out.
        mask = torch.ones(BATCH, SEQ, dtype=torch.int64)
        mask[1, -4:] = 0
        args = (input_ids, mask)
    # Under no_grad, so that torch.no_grad() inside the model (rotary embeddings) leaves no
    # set_grad_enabled region in the graph.
    with torch.no_grad():
        expected = model(*args)
        program = torch.export.export(model, args)
    torch.export.save(program, os.path.join(out_dir, name + ".pt2"))
    write_io(os.path.join(out_dir, name + ".io.json"), args, expected)
    print(f"exported {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated model names (default: all)")
    parser.add_argument("--dtype", choices=sorted(DTYPES), help="cast the weights first")
    parser.add_argument("out_dir")
    options = parser.parse_args()
    names = options.only.split(",") if options.only else list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f"export_transformers.py: unknown model {', '.join(unknown)} "
                 f"(known: {', '.join(MODELS)})")
    os.makedirs(options.out_dir, exist_ok=True)
    transformers.logging.set_verbosity_error()
    warnings.filterwarnings("ignore")
    for name in names:
        export(name, options.out_dir, options.dtype)


if __name__ == "__main__":
    main()
