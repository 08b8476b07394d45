"""The IO file written beside each test model (NAME.io.json), which thunder-run --inputs
and thunder::read_model_io read: sample inputs and the outputs eager torch gave for them,
each tensor as {"dtype", "shape", "data": flat float64 values}; extra string fields ride
along (the TorchScript tests' "error" and "error_at")."""
import json


def tensor_json(t):
    return {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
            "data": t.detach().double().flatten().tolist()}


def write_io(path, inputs, outputs, **fields):
    """outputs: a tensor or a tuple of tensors."""
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    io = {"inputs": [tensor_json(a) for a in inputs],
          "outputs": [tensor_json(o) for o in outputs]}
    io.update({k: v for k, v in fields.items() if v is not None})
    with open(path, "w") as f:
        json.dump(io, f)
