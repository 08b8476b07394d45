"""Scripts the TorchScript test models with torch.jit.script and saves them into OUT_DIR:
for each model NAME, NAME.pt (torch.jit.save) and NAME.io.json (sample inputs and the
outputs eager torch gives for them, as flat lists with dtype and shape, as
export_models.py writes them; a model thunder must reject says why in "error", and the
line it must name in "error_at"). Control flow that torch.export keeps as higher-order
ops (torch.cond, while_loop) is exported here too, as NAME.pt2, beside its TorchScript
counterparts. Random weights, fixed seed; nothing is downloaded.
Usage: torchscript_models.py OUT_DIR"""
import inspect
import os
import sys
from typing import List

import torch
import torch.nn.functional as F
from model_io import write_io


class Flag(torch.nn.Module):
    """An `if` on a module attribute: the Interpreter takes one branch."""

    def __init__(self, use_gelu: bool):
        super().__init__()
        self.use_gelu = use_gelu
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x):
        y = self.fc(x)
        if self.use_gelu:
            y = F.gelu(y, approximate="tanh")
        else:
            y = torch.relu(y) * 2.0
        return y + x


class Layers(torch.nn.Module):
    """A loop over a ModuleList, a `for i in range(n)` on an attribute, a loop whose trip
    count is a shape, a list built with append, and a tuple returned."""

    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList([torch.nn.Linear(8, 8) for _ in range(3)])
        self.norm = torch.nn.LayerNorm(8)
        self.repeats = 2

    def forward(self, x):
        outs: List[torch.Tensor] = []
        for layer in self.layers:
            x = torch.tanh(layer(x))
            outs.append(x)
        for i in range(self.repeats):
            x = x * 0.5 + float(i)
        n = x.size(0)
        for i in range(x.dim() - 1):
            x = x + n
        i = 0
        while i < 3:
            i += 1
            x = x - 0.25
        return self.norm(x), torch.cat(outs, dim=-1)


class DataDependent(torch.nn.Module):
    """An `if` on a tensor's data: thunder must say it cannot trace it."""

    def forward(self, x):
        if x.sum(dim=[0, 1]) > 0:
            return x * 2.0
        return x - 1.0


class Cumprod(torch.nn.Module):
    """An op no ltorch symbol mirrors: with no recorded shapes it cannot fall back."""

    def forward(self, x):
        return torch.cumprod(x, dim=1) * 2.0


class ExportCond(torch.nn.Module):
    """torch.cond on a tensor predicate: torch.export keeps both branches as sub-graphs."""

    def forward(self, x):
        cond_ = torch.cond(x.sum() > 0, lambda y: y.sin(), lambda y: y.cos(), (x,))
        return cond_ * 2.0


class ExportWhile(torch.nn.Module):
    """while_loop: its condition is a tensor, always."""

    def forward(self, x):
        from torch._higher_order_ops import while_loop
        while_ = while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 2.0),
                            (torch.zeros((), dtype=torch.int64), x))
        return while_[1]


EXPORTS = {
    "hop_cond": (ExportCond, lambda: (torch.randn(3, 5),), "data-dependent control flow"),
    "hop_while": (ExportWhile, lambda: (torch.randn(3, 5),), "data-dependent control flow"),
}

MODELS = {
    "ts_flag_on": (lambda: Flag(True), lambda: (torch.randn(4, 8),), None),
    "ts_flag_off": (lambda: Flag(False), lambda: (torch.randn(4, 8),), None),
    "ts_layers": (Layers, lambda: (torch.randn(4, 8),), None),
    "ts_data_dependent": (DataDependent, lambda: (torch.randn(3, 5),),
                          "data-dependent control flow"),
    "ts_cumprod": (Cumprod, lambda: (torch.rand(3, 5) + 0.5,), "cannot run as an opaque torch op"),
}


def error_line(model, marker):
    """file:line of the first line of model.forward that starts with marker."""
    lines, first = inspect.getsourcelines(type(model).forward)
    line = first + next(i for i, l in enumerate(lines) if l.strip().startswith(marker))
    return f"{os.path.basename(__file__)}:{line}"


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, (make, inputs, error) in MODELS.items():
        torch.manual_seed(0)
        model = make().eval()
        args = inputs()
        with torch.no_grad():
            expected = model(*args)
        scripted = torch.jit.script(model)
        torch.jit.save(scripted, os.path.join(out_dir, name + ".pt"))
        write_io(os.path.join(out_dir, name + ".io.json"), args, expected, error=error,
                 error_at=error_line(model, "return torch.cumprod" if "opaque" in (error or "")
                                     else "if ") if error else None)
        print(f"scripted {name}")
    for name, (make, inputs, error) in EXPORTS.items():
        torch.manual_seed(0)
        model = make().eval()
        args = inputs()
        with torch.no_grad():
            expected = model(*args)
        torch.export.save(torch.export.export(model, args), os.path.join(out_dir, name + ".pt2"))
        write_io(os.path.join(out_dir, name + ".io.json"), args, expected, error=error,
                 error_at=error_line(model, name.removeprefix("hop_") + "_ =") if error else None)
        print(f"exported {name}")


if __name__ == "__main__":
    main(sys.argv[1])
