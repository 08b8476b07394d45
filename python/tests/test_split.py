"""Graphs thunder takes only in part: the nodes it cannot take run in PyTorch eager, each
with its recorded reason, and the result is still right. Several graphs from one model
(graph breaks) and recompiles on guard misses."""
import copy

import pytest
import torch

import thunder_cpp
from helpers import backends


class CumprodModel(torch.nn.Module):
    """linear -> relu | cumprod (no ltorch symbol) | tanh * 2 + y."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)

    def forward(self, x):
        y = torch.relu(self.fc(x))
        z = torch.cumprod(y, dim=1)  # the op thunder lacks
        return torch.tanh(z) * 2 + y


@pytest.mark.parametrize("backend", backends())
def test_unsupported_op_is_split_with_reason(backend):
    torch.manual_seed(0)
    model = CumprodModel()
    compiler = thunder_cpp.ThunderCompiler(backend=backend)
    x = torch.randn(4, 8)
    with torch.no_grad():
        expected = model(x)
        result = torch.compile(model, backend=compiler, dynamic=False)(x)
    torch.testing.assert_close(result, expected, rtol=1e-4, atol=1e-4)

    (graph,) = compiler.graphs
    assert graph.split
    assert [r.executor.split(" (")[0] for r in graph.regions] == ["thunder", "torch eager", "thunder"]
    assert graph.regions[1].ops == ["aten::cumprod.default"]
    (reason,) = graph.reasons
    assert reason.kind == "missing_op"
    assert reason.op == "aten::cumprod.default"
    assert reason.message == "no ltorch symbol mirrors it"
    assert reason.location is not None and reason.location.endswith(f"test_split.py:{_line_of('torch.cumprod(y')}")
    report = compiler.explain()
    assert "split, 1 node(s) in eager" in report and "aten::cumprod.default" in report
    with_traces = compiler.explain(traces=True)
    assert "def region0(" in with_traces and "def region2(" in with_traces, with_traces
    # Each thunder region ran once, with its own traces.
    for region in graph.thunder_regions():
        assert region.stats()["calls"] == 1
        assert region.last_traces()
    with pytest.raises(thunder_cpp.ArgumentError, match="runs in PyTorch eager"):
        graph.regions[1].last_traces()
    assert compiler.last_traces(region=2)[0].startswith("# Constructed by Interpreting graph0 region 2")


class ComplexModel(torch.nn.Module):
    def forward(self, x):
        y = x.sin()
        z = torch.view_as_complex(y.reshape(4, 4, 2))
        z = z * z
        return torch.view_as_real(z).reshape(4, 8).cos()


def test_dtype_thunder_lacks_is_split_with_reason():
    compiler = thunder_cpp.ThunderCompiler(backend="torch")
    x = torch.randn(4, 8)
    result = torch.compile(ComplexModel(), backend=compiler, dynamic=False)(x)
    torch.testing.assert_close(result, ComplexModel()(x))
    (graph,) = compiler.graphs
    assert [r.thunder for r in graph.regions] == [True, False, True]
    assert [r.kind for r in graph.reasons] == ["unsupported_dtype"] * 3
    assert [r.op for r in graph.reasons] == [
        "aten::view_as_complex.default", "aten::mul.Tensor", "aten::view_as_real.default"]
    assert "complex64" in graph.reasons[0].message


class BreakingModel(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(8, 16)
        self.b = torch.nn.Linear(16, 4)

    def forward(self, x):
        y = torch.nn.functional.gelu(self.a(x))
        torch._dynamo.graph_break()
        return torch.softmax(self.b(y), dim=-1)


@pytest.mark.parametrize("backend", backends())
def test_graph_break_compiles_every_graph(backend):
    torch.manual_seed(0)
    model = BreakingModel()
    compiler = thunder_cpp.ThunderCompiler(backend=backend)
    x = torch.randn(3, 8)
    with torch.no_grad():
        expected = model(x)
        result = torch.compile(model, backend=compiler, dynamic=False)(x)
    torch.testing.assert_close(result, expected, rtol=1e-4, atol=1e-4)
    assert len(compiler.graphs) == 2, compiler.explain()
    for graph in compiler.graphs:
        assert not graph.split, compiler.explain()
        (region,) = graph.regions
        assert region.thunder and region.stats()["calls"] == 1
    assert "aten::gelu.default" in compiler.graphs[0].regions[0].ops
    assert "aten::softmax.int" in compiler.graphs[1].regions[0].ops


def test_guard_miss_recompiles():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Tanh())
    compiler = thunder_cpp.ThunderCompiler(backend="torch")
    compiled = torch.compile(model, backend=compiler, dynamic=False)
    with torch.no_grad():
        for batch in (2, 5, 2):
            x = torch.randn(batch, 8)
            torch.testing.assert_close(compiled(x), model(x))
    # Dynamo's guards on the shape missed once: a second graph, for batch 5.
    assert len(compiler.graphs) == 2
    assert [g.regions[0].stats()["calls"] for g in compiler.graphs] == [2, 1]


def test_registered_backend_name():
    torch.manual_seed(0)
    model = CumprodModel()
    x = torch.randn(4, 8)
    with torch.no_grad():
        result = torch.compile(model, backend="thunder_cpp", options={"backend": "torch"})(x)
        torch.testing.assert_close(result, model(x))
    report = thunder_cpp.explain(backend="torch")
    assert "aten::cumprod.default" in report and "missing_op" in report


def test_training_compiles_forward_and_backward_through_aot_autograd():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.GELU(), torch.nn.LayerNorm(8), torch.nn.Linear(8, 2))
    reference = copy.deepcopy(model)
    compiler = thunder_cpp.ThunderCompiler(backend="torch")
    x = torch.randn(4, 8)
    result = torch.compile(model, backend=compiler, dynamic=False)(x)
    result.sum().backward()
    expected = reference(x)
    expected.sum().backward()
    torch.testing.assert_close(result, expected)
    for got, want in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(got.grad, want.grad)
    parent, forward, backward = compiler.graphs
    assert "AOTAutograd" in parent.note
    assert forward.what == "forward of graph 0" and backward.what == "backward of graph 0"
    # Post-dispatch ATen: thunder takes addmm and mm; what has no symbol yet runs in eager.
    assert any(r.thunder and "aten::addmm.default" in r.ops for r in forward.regions), compiler.explain()
    assert "aten::gelu_backward.default" in {r.op for r in backward.reasons}
    assert all(r.stats()["calls"] == 1 for g in (forward, backward) for r in g.thunder_regions())
    assert "graph 2 (backward of graph 0)" in compiler.explain()


def test_training_eager_option_leaves_the_graph_to_eager():
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 4)
    compiler = thunder_cpp.ThunderCompiler(backend="torch", training="eager")
    x = torch.randn(2, 8)
    with pytest.warns(UserWarning, match="needs gradients and training='eager'"):
        result = torch.compile(model, backend=compiler)(x)
    result.sum().backward()  # eager kept autograd
    assert model.weight.grad is not None
    assert "training='eager'" in compiler.graphs[0].fallback
    assert "runs in PyTorch eager" in compiler.explain()


def _line_of(text):
    with open(__file__) as f:
        for number, line in enumerate(f, 1):
            if text in line and "_line_of" not in line:
                return number
    raise AssertionError(text)


class DataDependentModel(torch.nn.Module):
    def forward(self, x):
        y = x.sin()
        s = y.sum().item()  # a Python number computed from tensor data
        z = y * s
        return z.cos(), torch.nonzero(z > 0).float().sum()  # a data-dependent shape


def test_data_dependence_is_split_with_reason():
    compiler = thunder_cpp.ThunderCompiler(backend="torch")
    x = torch.randn(4, 8)
    with torch._dynamo.config.patch(capture_scalar_outputs=True, capture_dynamic_output_shape_ops=True):
        result = torch.compile(DataDependentModel(), backend=compiler, dynamic=False)(x)
    torch.testing.assert_close(result, DataDependentModel()(x))
    (graph,) = compiler.graphs
    assert graph.fallback is None, graph.fallback
    kinds = {r.op: r.kind for r in graph.reasons}
    assert kinds["aten::item.default"] == "data_dependence"
    assert kinds["aten::mul.Tensor"] == "data_dependence"
    assert kinds["aten::nonzero.default"] == "data_dependence"
    assert graph.regions[0].thunder and graph.regions[0].ops == ["aten::sin.default", "aten::sum.default"]
    assert any(r.thunder and "aten::cos.default" in r.ops for r in graph.regions), compiler.explain()
