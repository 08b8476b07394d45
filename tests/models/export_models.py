"""Exports the test models with torch.export into OUT_DIR: for each model NAME,
NAME.pt2 (torch.export.save) and NAME.io.json (sample inputs and the outputs eager torch
gives for them, as flat lists with dtype and shape). Random weights, fixed seed; nothing
is downloaded. Usage: export_models.py OUT_DIR"""
import os
import sys

import torch
import torch.nn.functional as F
from model_io import write_io


class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 32)
        self.fc2 = torch.nn.Linear(32, 8)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh")) + x[..., :8]


class CNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.head = torch.nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x))), 2)
        return F.log_softmax(self.head(x.flatten(1)), dim=-1)


class Attention(torch.nn.Module):
    def __init__(self, dim=32, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)
        self.norm = torch.nn.LayerNorm(dim)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm(x)).split(d, dim=-1)
        q, k, v = (y.view(b, t, self.heads, d // self.heads).transpose(1, 2) for y in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return x + self.proj(y.transpose(1, 2).reshape(b, t, d))


class WithCumprod(torch.nn.Module):
    """An op no ltorch symbol mirrors: it must fall back to the torch executor."""

    def forward(self, x):
        return torch.cumprod(x, dim=1) * 2


MODELS = {
    "mlp": (MLP, lambda: (torch.randn(4, 16),)),
    "cnn": (CNN, lambda: (torch.randn(2, 3, 8, 8),)),
    "attention": (Attention, lambda: (torch.randn(2, 6, 32),)),
    "cumprod": (WithCumprod, lambda: (torch.rand(3, 5) + 0.5,)),
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
