"""thunder_cpp: thunder-cpp's torch.compile backend.

    import thunder_cpp
    compiler = thunder_cpp.ThunderCompiler()            # backend from THUNDER_BACKEND, else auto
    model = torch.compile(model, backend=compiler)
    with torch.no_grad():
        out = model(x)
    print(compiler.explain())                           # regions, executors, split reasons
    print(compiler.last_traces()[-1])                   # what runs, as thunder traced it

It is also registered as backend="thunder_cpp" (options={"backend": "spirv", "strict": True}).
Errors from the C++ library are thunder_cpp.ThunderError (subclasses ArgumentError,
UnsupportedError, BackendError, ModelError) with the library's message.
"""
import torch  # noqa: F401  (loads LibTorch before the extension that links it)

from ._C import ArgumentError, BackendError, ModelError, ThunderError, UnsupportedError, select_backend
from .compiler import GraphReport, RegionReport, SplitReason, ThunderCompiler, dynamo_backend, shared_compiler

__all__ = [
    "ThunderCompiler", "ThunderError", "ArgumentError", "UnsupportedError", "BackendError", "ModelError",
    "SplitReason", "GraphReport", "RegionReport", "select_backend", "explain", "dynamo_backend",
]


def explain(**options) -> str:
    """The report of the compiler behind backend="thunder_cpp" with these options."""
    return shared_compiler(**options).explain()


def _register():
    from torch._dynamo import list_backends, register_backend

    if "thunder_cpp" not in list_backends(exclude_tags=()):
        register_backend(name="thunder_cpp")(dynamo_backend)


_register()
