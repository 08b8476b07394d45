"""Errors of the C++ library reach Python as thunder_cpp.ThunderError (and its subclasses)
with the library's message."""
import pytest
import torch

import thunder_cpp
from test_split import CumprodModel


def test_exception_classes():
    for cls in (thunder_cpp.ArgumentError, thunder_cpp.UnsupportedError, thunder_cpp.BackendError,
                thunder_cpp.ModelError):
        assert issubclass(cls, thunder_cpp.ThunderError)
    assert issubclass(thunder_cpp.ThunderError, RuntimeError)


def test_unknown_backend_is_an_argument_error():
    with pytest.raises(thunder_cpp.ArgumentError, match="unknown backend 'vulcan': valid backends are"):
        thunder_cpp.ThunderCompiler(backend="vulcan")


def test_unavailable_backend_is_a_backend_error_with_the_reason():
    # No GPU here: an explicit cuda backend is refused, never silently replaced.
    try:
        thunder_cpp.select_backend("cuda")
    except thunder_cpp.BackendError as e:
        with pytest.raises(thunder_cpp.BackendError, match="backend 'cuda' is not available: ") as info:
            thunder_cpp.ThunderCompiler(backend="cuda")
        assert str(info.value) == str(e)
    else:
        pytest.skip("this machine has a cuda backend")


def test_thunder_backend_variable_is_respected(monkeypatch):
    monkeypatch.setenv("THUNDER_BACKEND", "vulcan")
    with pytest.raises(thunder_cpp.ArgumentError, match="unknown backend 'vulcan'"):
        thunder_cpp.ThunderCompiler()
    monkeypatch.setenv("THUNDER_BACKEND", "torch")
    assert thunder_cpp.ThunderCompiler().backend == "torch"
    # The explicit option wins over the variable.
    monkeypatch.setenv("THUNDER_BACKEND", "vulcan")
    assert thunder_cpp.ThunderCompiler(backend="torch").backend == "torch"


def test_error_through_torch_compile_keeps_the_thunder_exception():
    model = torch.nn.Linear(4, 4)
    compiled = torch.compile(model, backend="thunder_cpp", options={"backend": "vulcan"})
    with pytest.raises(Exception) as info, torch.no_grad():
        compiled(torch.randn(2, 4))
    chain, e = [], info.value
    while e is not None:
        chain.append(e)
        e = e.__cause__ or getattr(e, "inner_exception", None)
    assert any(isinstance(e, thunder_cpp.ArgumentError) and "unknown backend 'vulcan'" in str(e) for e in chain), chain


def test_strict_mode_refuses_a_split():
    compiler = thunder_cpp.ThunderCompiler(backend="torch", strict=True)
    with pytest.raises(Exception) as info, torch.no_grad():
        torch.compile(CumprodModel(), backend=compiler)(torch.randn(4, 8))
    e = info.value
    while e is not None and not isinstance(e, thunder_cpp.ThunderError):
        e = e.__cause__ or getattr(e, "inner_exception", None)
    assert isinstance(e, thunder_cpp.UnsupportedError), info.value
    assert "strict mode allows no split" in str(e)
    assert "aten::cumprod.default" in str(e) and "missing_op: no ltorch symbol mirrors it" in str(e)


def test_region_called_with_wrong_inputs_raises_the_library_error():
    compiler = thunder_cpp.ThunderCompiler(backend="torch")
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU())
    with torch.no_grad():
        torch.compile(model, backend=compiler)(torch.randn(2, 8))
    region = compiler.graphs[0].regions[0].region
    with pytest.raises(thunder_cpp.ArgumentError, match=r"takes 3 inputs \(.*\), got 1"):
        region([torch.randn(2, 8)])


def test_last_traces_before_any_graph():
    with pytest.raises(thunder_cpp.ArgumentError, match="no graph compiled yet"):
        thunder_cpp.ThunderCompiler(backend="torch").last_traces()


def test_unknown_training_mode():
    with pytest.raises(thunder_cpp.ArgumentError, match="training must be 'aot' or 'eager', got 'sgd'"):
        thunder_cpp.ThunderCompiler(backend="torch", training="sgd")
