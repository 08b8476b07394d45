"""A captured graph as the plain description thunder_cpp._C builds a Program from.

The graph is the ATen-level graph torch.export gives for a Dynamo GraphModule (the same
operator set, `aten::linear.default`, `aten::scaled_dot_product_attention.default` ...,
that thunder::compile reads from .pt2 archives). Each call_function node becomes one
program node: its target as "aten::<name>.<overload>", its arguments bound to the
schema's argument names (positional as given, the rest by keyword), its outputs named
after the node (a node with several outputs is named by the getitem nodes that read it),
the tensor metadata of every output, and the innermost user frame of its stack trace.

What the description cannot say becomes a split reason the C++ side records as given:
an operator that is no ATen op, an argument no Program can hold, a tensor of a dtype
thunder lacks, an output whose shape or value depends on tensor data.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field

import torch
from torch.fx import Node

# The dtypes thunder has (include/thunder/core/dtype.h), by torch name.
THUNDER_DTYPES = {
    torch.bool: "bool", torch.uint8: "uint8", torch.int8: "int8", torch.int16: "int16",
    torch.int32: "int32", torch.int64: "int64", torch.float16: "float16",
    torch.bfloat16: "bfloat16", torch.float32: "float32", torch.float64: "float64",
}

_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


class Unsupported(Exception):
    """A node the description cannot state faithfully: kind is a SplitReason kind."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def location(node: Node):
    """(file, line) of the innermost frame of the node's stack trace outside generated
    code, or None."""
    found = None
    for file, line in _FRAME.findall(node.meta.get("stack_trace") or ""):
        if not file.startswith("<eval_with_key>"):
            found = (file, int(line))
    return found


def op_name(target) -> str:
    """'aten::add.Tensor' for torch.ops.aten.add.Tensor; a readable name otherwise."""
    if isinstance(target, torch._ops.OpOverload):
        return f"{target._schema.name}.{target._overloadname}"
    if isinstance(target, torch._ops.HigherOrderOperator):
        return f"higher_order::{target.__name__}"
    return getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or str(target)


def tensor_meta(value, what: str):
    """(shape, dtype, device, requires_grad) of a (fake) tensor; Unsupported if thunder
    cannot describe it."""
    if value.dtype not in THUNDER_DTYPES:
        raise Unsupported("unsupported_dtype", f"{what} has dtype {value.dtype}, which thunder lacks")
    shape = []
    for size in value.shape:
        if not isinstance(size, int):
            raise Unsupported("data_dependence", f"{what} has a symbolic size {size} (shape {tuple(value.shape)})")
        shape.append(size)
    if value.layout != torch.strided:
        raise Unsupported("unsupported_arguments", f"{what} has layout {value.layout}; thunder takes strided tensors")
    return (shape, THUNDER_DTYPES[value.dtype], str(value.device), bool(value.requires_grad))


def encode(value, names):
    """A node argument as _C reads it; Unsupported for what a Program cannot hold."""
    if isinstance(value, Node):
        if value not in names:
            raise Unsupported("unsupported_arguments", f"it reads {value.name}, which is no single value")
        return ("name", names[value])
    if value is None:
        return ("none",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", value)
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, torch.dtype):
        if value not in THUNDER_DTYPES:
            raise Unsupported("unsupported_dtype", f"it asks for dtype {value}, which thunder lacks")
        return ("dtype", THUNDER_DTYPES[value])
    if isinstance(value, torch.device):
        return ("device", str(value))
    if isinstance(value, (torch.layout, torch.memory_format)):
        return ("none",)  # as the .pt2 reader: layouts and memory formats are not modelled
    if isinstance(value, (list, tuple)):
        if any(isinstance(item, Node) for item in value):
            if not all(item is None or isinstance(item, Node) for item in value):
                raise Unsupported("data_dependence", f"a list mixes values computed in the graph and constants: {value}")
            return ("names", ["" if item is None else encode(item, names)[1] for item in value])
        return ("list", [encode(item, names) for item in value])
    raise Unsupported("unsupported_arguments", f"an argument of type {type(value).__name__} ({value!r})")


def _reads(node: Node, names):
    """Every value a node reads, for a node described only by what it reads."""
    out = []
    for item in node.all_input_nodes:
        if item in names:
            out.append(names[item])
    return [("args", ("names", out), False)] if out else []


@dataclass
class ProgramNode:
    """One node of the description and the FX nodes it stands for."""
    node: Node
    getitems: list = field(default_factory=list)  # the getitem nodes that read its outputs


def describe(graph: torch.fx.Graph, name: str):
    """(description, program nodes, value name -> FX node) of an ATen-level FX graph.
    Raises Unsupported for a graph whose inputs cannot be described (the whole graph then
    runs in eager)."""
    names: dict[Node, str] = {}  # FX node -> value name
    by_name: dict[str, Node] = {}
    tensors = {}
    inputs, nodes, outputs, plan = [], [], [], []
    producers = set()
    undescribed = {}  # value name -> (split reason kind, the op that made it)

    def define(node: Node, value_name: str):
        names[node] = value_name
        by_name[value_name] = node

    getitems: dict[Node, dict[int, Node]] = {}
    for node in graph.nodes:
        if node.op == "call_function" and node.target is operator.getitem and isinstance(node.args[1], int):
            getitems.setdefault(node.args[0], {})[node.args[1]] = node

    for node in graph.nodes:
        if node.op == "placeholder":
            value = node.meta.get("val")
            if not isinstance(value, torch.Tensor):
                raise Unsupported("unsupported_arguments", f"graph input {node.name} is a {type(value).__name__}, not a tensor")
            tensors[node.name] = tensor_meta(value, f"graph input {node.name}")
            define(node, node.name)
            inputs.append(node.name)
        elif node.op == "output":
            for item in torch.utils._pytree.tree_leaves(node.args[0]):
                if isinstance(item, Node):
                    outputs.append(encode(item, names)[1])
        elif node.op == "call_function" and node.target is operator.getitem and node.args[0] in producers:
            continue  # named as an output of the node it reads
        elif node.op == "call_function":
            plan.append(_describe_node(node, names, define, tensors, nodes, getitems.get(node, {}), undescribed))
            producers.add(node)
        elif node.op == "get_attr":
            continue  # sub-graphs of higher-order ops: their nodes read them in eager
        else:
            raise Unsupported("unsupported_arguments", f"graph node {node.name} is a {node.op}")
    return {"name": name, "inputs": inputs, "outputs": outputs, "tensors": tensors, "nodes": nodes}, plan, by_name


def _describe_node(node, names, define, tensors, nodes, items, undescribed):
    target = op_name(node.target)
    value = node.meta.get("val")
    reason = None
    # Outputs: one tensor, several (named by the getitem nodes that read them), or none.
    out_names, returns_list, item_nodes = [], False, []
    if isinstance(value, (list, tuple)):
        returns_list = isinstance(value, list) or (
            isinstance(node.target, torch._ops.OpOverload) and len(node.target._schema.returns) == 1)
        for i, item in enumerate(value):
            getitem = items.get(i)
            item_nodes.append(getitem)
            value_name = getitem.name if getitem is not None else f"{node.name}_unused{i}"
            out_names.append(value_name)
            if getitem is not None:
                define(getitem, value_name)
            if isinstance(item, torch.Tensor):
                try:
                    tensors[value_name] = tensor_meta(item, f"output {i} of {target}")
                except Unsupported as e:
                    reason = reason or (e.kind, e.message)
            elif item is not None:
                reason = reason or ("data_dependence", f"output {i} is a {type(item).__name__} computed from tensor data")
    elif isinstance(value, torch.Tensor):
        out_names = [node.name]
        define(node, node.name)
        try:
            tensors[node.name] = tensor_meta(value, f"the output of {target}")
        except Unsupported as e:
            reason = (e.kind, e.message)
    elif value is not None:
        out_names = [node.name]
        define(node, node.name)
        reason = ("data_dependence", f"its output is a {type(value).__name__} computed from tensor data")
    elif node.users:
        reason = ("unsupported_arguments", "its output has no recorded value")
        out_names = [node.name]
        define(node, node.name)

    inputs = []
    for item in node.all_input_nodes:
        if reason is None and item in names and names[item] in undescribed:
            kind, producer = undescribed[names[item]]
            reason = (kind, f"it reads {names[item]}, which {producer} made and thunder cannot describe")
    if not isinstance(node.target, torch._ops.OpOverload):
        reason = reason or ("missing_op", "it is not an ATen operator")
    else:
        try:
            inputs = _bind(node, names)
        except Unsupported as e:
            reason = reason or (e.kind, e.message)
    if reason is not None and not inputs:
        inputs = _reads(node, names)
    if reason is not None:
        for value_name in out_names:
            if value_name not in tensors:
                undescribed[value_name] = (reason[0], target)
    nodes.append({"target": target, "inputs": inputs, "outputs": out_names, "returns_list": returns_list,
                  "location": location(node), "reason": reason})
    return ProgramNode(node, item_nodes)


def _bind(node, names):
    """(schema argument name, encoded value, keyword) for each argument given."""
    schema = node.target._schema
    out = []
    for i, argument in enumerate(schema.arguments):
        if not argument.kwarg_only and i < len(node.args):
            out.append((argument.name, encode(node.args[i], names), False))
        elif argument.name in node.kwargs:
            out.append((argument.name, encode(node.kwargs[argument.name], names), True))
    return out
