"""The ``sparkgrove`` Jupyter kernel: ipykernel with the sparkgrove extension loaded."""

from __future__ import annotations

import json
import sys
from pathlib import Path

KERNEL_NAME = "sparkgrove"


def kernel_spec() -> dict[str, object]:
    """The kernel.json of the sparkgrove kernel (this interpreter, the extension loaded)."""
    return {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.extensions=['sparkgrove.notebook.magics']"],
        "display_name": "sparkgrove (PySpark)",
        "language": "python",
        "metadata": {"debugger": False},
    }


def install_kernel(prefix: str | None = None) -> Path:
    """Install the kernelspec under ``prefix`` (this environment by default)."""
    target = Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    target.mkdir(parents=True, exist_ok=True)
    (target / "kernel.json").write_text(json.dumps(kernel_spec(), indent=2))
    return target
