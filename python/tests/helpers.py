"""Shared by the thunder_cpp tests: the backends to run on and the comparison rule."""
import pytest
import torch

import thunder_cpp


def backends():
    """The thunder backends this machine has; the others are skipped with the reason."""
    out = []
    for name in ("torch", "spirv", "cuda"):
        try:
            thunder_cpp.select_backend(name)
            out.append(pytest.param(name, id=name))
        except thunder_cpp.ThunderError as e:
            out.append(pytest.param(name, id=name, marks=pytest.mark.skip(reason=str(e))))
    return out


# Whole-model tolerances (docs/conformance.md, thunder::opdb::model_tolerance).
MODEL_TOLERANCE = {torch.float64: (1e-7, 1e-7), torch.float32: (1e-4, 1e-4),
                   torch.float16: (1e-2, 1e-2), torch.bfloat16: (5e-2, 5e-2)}


def assert_close_to_reference(result, torch_result, reference):
    """docs/conformance.md's rule: same dtype and shape as torch; within the dtype's
    tolerance of the float64 reference, or no more than 2x torch's own error from it."""
    assert result.dtype == torch_result.dtype and result.shape == torch_result.shape, (
        f"thunder gave {result.dtype}{list(result.shape)}, torch {torch_result.dtype}{list(torch_result.shape)}")
    if not result.is_floating_point():
        assert torch.equal(result, torch_result)
        return
    rtol, atol = MODEL_TOLERANCE[result.dtype]
    reference = reference.to(torch.float64)
    error = (result.to(torch.float64) - reference).abs()
    if bool((error <= atol + rtol * reference.abs()).all()):
        return
    torch_error = (torch_result.to(torch.float64) - reference).abs().max().item()
    assert error.max().item() <= 2 * torch_error, (
        f"largest error {error.max().item():.3g} against the float64 reference; torch's own is "
        f"{torch_error:.3g}, tolerance rtol={rtol} atol={atol}")
