"""Exports the models of the guard and cache tests into OUT_DIR, as export_models.py does
(NAME.pt2 by torch.export.save, with its example inputs stored in the archive, and
NAME.io.json with the inputs and eager outputs). These graphs have no sizes baked in and no
weights of a fixed dtype, so the compiled module can retrace them for new input shapes and
dtypes:
  pointwise  forward(x, y) = tanh(x) * y + x.mean(-1, keepdim=True)
  embed      forward(tokens, x) = emb(tokens) + x, an int64 input beside a float one
Usage: export_guard_models.py OUT_DIR"""
import os
import sys

import torch
from model_io import write_io


class Pointwise(torch.nn.Module):
    def forward(self, x, y):
        return torch.tanh(x) * y + x.mean(-1, keepdim=True)


class Embed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(10, 8)

    def forward(self, tokens, x):
        return self.emb(tokens) + x


MODELS = {
    "pointwise": (Pointwise, lambda: (torch.randn(4, 16), torch.randn(4, 16))),
    "embed": (Embed, lambda: (torch.randint(0, 10, (2, 5)), torch.randn(2, 5, 8))),
}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, (make, inputs) in MODELS.items():
        torch.manual_seed(0)
        model = make().eval()
        args = inputs()
        with torch.no_grad():
            expected = model(*args)
        program = torch.export.export(model, args)
        torch.export.save(program, os.path.join(out_dir, name + ".pt2"))
        write_io(os.path.join(out_dir, name + ".io.json"), args, expected)
        print(f"exported {name}")


if __name__ == "__main__":
    main(sys.argv[1])
