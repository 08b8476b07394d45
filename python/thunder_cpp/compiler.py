"""ThunderCompiler: the torch.compile backend.

    model = torch.compile(model, backend=thunder_cpp.ThunderCompiler())

For each graph Dynamo captures, the backend
  1. lowers it to ATen with torch.export (the operator set thunder::compile reads from .pt2
     archives: aten::linear, aten::layer_norm, aten::scaled_dot_product_attention, ...);
  2. describes that graph (_convert.py) and hands it to the C++ ThunderCompiler, which asks
     thunder for each node whether an ltorch symbol takes it, groups consecutive nodes it
     takes into regions and compiles each through thunder::compile on the selected backend
     (torch or spirv), recording a SplitReason for each node it leaves out;
  3. builds an FX graph that calls the compiled regions and runs the other nodes as they
     are, in PyTorch eager, and returns it.
A graph that needs gradients goes to AOTAutograd instead, and its forward and backward
graphs (ATen already) take steps 2 and 3.
`explain()` prints the graphs, their regions, the executor of each, and every reason;
`last_traces()` gives a region's traces.
"""
from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass, field

import torch
import torch.utils._pytree as pytree
from functorch.compile import make_boxed_func
from torch._functorch.aot_autograd import aot_module_simplified

from . import _C
from ._convert import Unsupported, describe, op_name


@dataclass
class SplitReason:
    """Why a node runs in PyTorch eager rather than on thunder."""
    kind: str  # missing_op, unsupported_arguments, meta_failure, unsupported_dtype, data_dependence
    op: str  # "aten::cumprod.default"
    message: str
    node: str  # the FX node's name
    location: str | None = None  # "model.py:12"

    def __str__(self):
        where = f" ({self.location})" if self.location else ""
        return f"{self.node}: {self.op}{where}: {self.kind}: {self.message}"


@dataclass
class RegionReport:
    """A run of consecutive nodes of a graph and what runs it."""
    index: int
    executor: str  # "thunder (torch)", "thunder (spirv: llvmpipe ...)", "torch eager"
    ops: list  # the node targets, in order
    inputs: list
    outputs: list
    region: object = None  # _C.Region for thunder regions

    @property
    def thunder(self) -> bool:
        return self.region is not None

    def last_traces(self) -> list[str]:
        """The traces thunder made for the specialization the last call ran, first (the
        interpreted region) to last (what runs)."""
        if self.region is None:
            raise _C.ArgumentError(f"region {self.index} runs in PyTorch eager; thunder made no traces for it")
        return self.region.last_traces()

    def stats(self) -> dict:
        return self.region.stats() if self.region is not None else {}


@dataclass
class GraphReport:
    """One graph Dynamo captured and what the backend made of it."""
    index: int
    what: str = "dynamo graph"  # or "forward of graph N" / "backward of graph N" (AOTAutograd)
    regions: list = field(default_factory=list)
    reasons: list = field(default_factory=list)
    fallback: str | None = None  # why the whole graph runs in eager, if it does
    note: str | None = None  # what became of it otherwise (handed to AOTAutograd)
    num_nodes: int = 0

    @property
    def split(self) -> bool:
        """Whether any part of the graph runs outside thunder."""
        return self.fallback is not None or bool(self.reasons)

    def thunder_regions(self):
        return [r for r in self.regions if r.thunder]


class ThunderCompiler:
    """A torch.compile backend that runs what thunder supports and the rest in eager.

    backend: "torch", "spirv", "auto" (or None: THUNDER_BACKEND, else auto). An explicit
        backend that is not available here raises thunder_cpp.BackendError with the reason.
    strict: a node thunder cannot take raises thunder_cpp.UnsupportedError instead of
        running in eager.
    cache_dir: where compiled kernels are kept (THUNDER_CACHE_DIR when None).
    training: what a graph that needs gradients becomes: "aot" (default), its forward and
        backward as AOTAutograd traces them (post-dispatch ATen: addmm, native_layer_norm,
        gelu_backward ...), each split and compiled like any graph, so the operators thunder
        has no symbols for yet run in eager; "eager": the whole graph in eager.
    """

    def __init__(self, backend: str | None = None, strict: bool = False, cache_dir: str | None = None,
                 training: str = "aot"):
        if training not in ("aot", "eager"):
            raise _C.ArgumentError(f"training must be 'aot' or 'eager', got {training!r}")
        self._compiler = _C.Compiler(backend=backend or "", strict=strict, cache_dir=cache_dir or "")
        self.strict = strict
        self.training = training
        self.graphs: list[GraphReport] = []

    def __repr__(self):
        return f"thunder_cpp.ThunderCompiler(backend={self.backend!r}, strict={self.strict}, training={self.training!r})"

    @property
    def backend(self) -> str:
        """The backend thunder regions run on."""
        return self._compiler.backend

    def __call__(self, gm: torch.fx.GraphModule, example_inputs):
        report = GraphReport(index=len(self.graphs))
        self.graphs.append(report)
        reason = _eager_only_reason(example_inputs)
        if reason is not None:
            return self._fall_back(report, gm, reason)
        if torch.is_grad_enabled() and any(t.requires_grad for t in example_inputs):
            if self.training == "eager":
                return self._fall_back(report, gm, "it needs gradients and training='eager'")
            # AOTAutograd traces the forward and the backward into ATen graphs and hands
            # each to thunder, which compiles the parts it has symbols for.
            report.note = ("it needs gradients: AOTAutograd traces its forward and backward, "
                           "compiled as the graphs that follow")
            return aot_module_simplified(gm, example_inputs, fw_compiler=self._compile_aten("forward", report.index),
                                         bw_compiler=self._compile_aten("backward", report.index))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exported = torch.export.export(gm, tuple(example_inputs), strict=False)
        except Exception as e:  # noqa: BLE001 - any failure of export leaves the graph to eager
            if self.strict:
                raise _C.UnsupportedError(f"graph {report.index}: torch.export could not lower it to ATen: {e}") from e
            return self._fall_back(report, gm, f"torch.export could not lower it to ATen: {type(e).__name__}: {e}")
        try:
            return self._compile(report, exported)
        except Unsupported as e:
            if self.strict:
                raise _C.UnsupportedError(f"graph {report.index}: {e.message}") from None
            return self._fall_back(report, gm, f"{e.kind}: {e.message}")

    def _fall_back(self, report, gm, reason):
        report.fallback = reason
        warnings.warn(f"thunder_cpp: graph {report.index} runs in PyTorch eager: {reason}", stacklevel=2)
        return gm.forward

    def _compile(self, report, exported):
        signature = exported.graph_signature
        if any(spec.kind != torch.export.graph_signature.OutputKind.USER_OUTPUT for spec in signature.output_specs):
            raise Unsupported("unsupported_arguments", "the graph mutates its inputs or buffers")
        kinds = torch.export.graph_signature.InputKind
        lifted = []  # tensors the exporter lifted into inputs; they come first
        seen_user = False
        for spec in signature.input_specs:
            if spec.kind == kinds.USER_INPUT:
                seen_user = True
                continue
            if seen_user:
                raise Unsupported("unsupported_arguments", "lifted parameters follow user inputs")
            if spec.kind in (kinds.PARAMETER, kinds.BUFFER):
                lifted.append(exported.state_dict[spec.target] if spec.target in exported.state_dict
                              else exported.constants[spec.target])
            elif spec.kind == kinds.CONSTANT_TENSOR:
                lifted.append(exported.constants[spec.target])
            else:
                raise Unsupported("unsupported_arguments", f"graph input {spec.arg.name} is a {spec.kind.name}")
        runner = self._split(report, exported.graph, exported.graph_module)
        out_spec = exported.call_spec.out_spec

        def compiled_graph(*args):
            return pytree.tree_unflatten(runner(*lifted, *args), out_spec)

        compiled_graph.report = report
        return compiled_graph

    def _compile_aten(self, what, parent):
        """An AOTAutograd fw_compiler / bw_compiler: the graph is ATen already."""

        def compile_graph(gm, example_inputs):
            report = GraphReport(index=len(self.graphs), what=f"{what} of graph {parent}")
            self.graphs.append(report)
            try:
                runner = self._split(report, gm.graph, gm)
            except Unsupported as e:
                if self.strict:
                    raise _C.UnsupportedError(f"graph {report.index}: {e.message}") from None
                report.fallback = f"{e.kind}: {e.message}"
                warnings.warn(f"thunder_cpp: graph {report.index} runs in PyTorch eager: {report.fallback}", stacklevel=2)
                runner = gm
            return make_boxed_func(runner)

        return compile_graph

    def _split(self, report, graph, root):
        """Splits and compiles an ATen graph; returns the GraphModule that runs it: thunder's
        regions called, the other nodes as they are."""
        description, plan, by_name = describe(graph, f"graph{report.index}")
        compiled = self._compiler.compile(description)
        report.num_nodes = len(plan)
        for r in compiled.reasons:
            report.reasons.append(SplitReason(r["kind"], r["op"], r["message"], plan[r["node"]].node.name, r["location"]))
        g = torch.fx.Graph()
        env = {}
        for node in graph.nodes:
            if node.op == "placeholder":
                env[node] = g.placeholder(node.name)
                env[node].meta = dict(node.meta)
            elif node.op == "get_attr":
                env[node] = g.get_attr(node.target)
        for index, region in enumerate(compiled.regions):
            ops = [op_name(plan[i].node.target) for i in region.nodes]
            if region.thunder:
                executor = f"thunder ({region.backend}" + (f": {region.device}" if region.backend != "torch" else "") + ")"
                attr = f"_thunder_region{index}"
                setattr(root, attr, region)
                call = g.call_function(_run_region, (g.get_attr(attr), [env[by_name[x]] for x in region.inputs]))
                for k, name in enumerate(region.outputs):
                    env[by_name[name]] = g.call_function(operator.getitem, (call, k))
                report.regions.append(RegionReport(index, executor, ops, list(region.inputs), list(region.outputs), region))
            else:
                for i in region.nodes:
                    entry = plan[i]
                    env[entry.node] = g.node_copy(entry.node, lambda x: env[x])
                    for item in entry.getitems:
                        if item is not None:
                            env[item] = g.node_copy(item, lambda x: env[x])
                report.regions.append(RegionReport(index, "torch eager", ops, list(region.inputs), list(region.outputs)))
        output = next(n for n in graph.nodes if n.op == "output")
        g.output(pytree.tree_map(lambda x: env[x] if isinstance(x, torch.fx.Node) else x, output.args[0]))
        return torch.fx.GraphModule(root, g)

    def explain(self, traces: bool = False) -> str:
        """The graphs compiled so far: regions, executors, and the reason for every split;
        with traces=True also the last trace of each thunder region (what runs)."""
        lines = [f"thunder_cpp.ThunderCompiler (backend {self.backend}): {len(self.graphs)} graph(s)"]
        for g in self.graphs:
            name = f"graph {g.index}" + (f" ({g.what})" if g.what != "dynamo graph" else "")
            if g.fallback is not None:
                lines.append(f"{name}: runs in PyTorch eager: {g.fallback}")
                continue
            if g.note is not None:
                lines.append(f"{name}: {g.note}")
                continue
            verdict = "no split" if not g.reasons else f"split, {len(g.reasons)} node(s) in eager"
            lines.append(f"{name}: {g.num_nodes} nodes, {len(g.regions)} region(s), {verdict}")
            for r in g.regions:
                summary = ", ".join(_count(r.ops))
                lines.append(f"  region {r.index}: {r.executor}: {len(r.ops)} node(s): {summary}")
                if r.thunder:
                    lines.append(f"    inputs {len(r.inputs)}, outputs {len(r.outputs)}")
                    if traces:
                        lines.extend("    " + line for line in r.last_traces()[-1].splitlines())
            for reason in g.reasons:
                lines.append(f"  split: {reason}")
        return "\n".join(lines)

    def last_traces(self, graph: int = -1, region: int | None = None) -> list[str]:
        """The traces of a thunder region (default: the first of the last graph)."""
        if not self.graphs:
            raise _C.ArgumentError("no graph compiled yet: call the compiled model first")
        report = self.graphs[graph]
        regions = report.thunder_regions() if region is None else [r for r in report.regions if r.index == region]
        if not regions:
            raise _C.ArgumentError(f"graph {report.index} has no thunder region"
                                   + (f" {region}" if region is not None else "")
                                   + (f" ({report.fallback})" if report.fallback else ""))
        return regions[0].last_traces()


def _run_region(region, inputs):
    return region(inputs)


def _count(ops):
    counts = {}
    for op in ops:
        counts[op] = counts.get(op, 0) + 1
    return [f"{op} x{n}" if n > 1 else op for op, n in counts.items()]


def _eager_only_reason(example_inputs):
    if any(not isinstance(t, torch.Tensor) for t in example_inputs):
        kinds = sorted({type(t).__name__ for t in example_inputs if not isinstance(t, torch.Tensor)})
        return f"it takes inputs that are not tensors ({', '.join(kinds)}); compile with dynamic=False"
    return None


_SHARED: dict = {}


def shared_compiler(**options) -> ThunderCompiler:
    """The ThunderCompiler behind backend="thunder_cpp" for these options (one per set)."""
    key = tuple(sorted(options.items()))
    if key not in _SHARED:
        _SHARED[key] = ThunderCompiler(**options)
    return _SHARED[key]


def dynamo_backend(gm, example_inputs, options=None):
    """backend="thunder_cpp": torch.compile(m, backend="thunder_cpp", options={"backend": "torch"})."""
    return shared_compiler(**(options or {}))(gm, example_inputs)
