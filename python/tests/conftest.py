"""pytest configuration of the thunder_cpp suite: the package must be importable (the build
puts it in <build>/python; ctest sets PYTHONPATH to it, or pip install ./python)."""
import pytest
import torch

try:
    import thunder_cpp  # noqa: F401
except ImportError as e:  # pragma: no cover - the message is the point
    raise pytest.UsageError(
        f"thunder_cpp is not importable ({e}); build it (cmake with THUNDER_WITH_PYTHON=ON) and set "
        "PYTHONPATH=<build>/python, or pip install ./python") from e


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()
