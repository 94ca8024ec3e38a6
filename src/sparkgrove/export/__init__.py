"""Model export: a registered model's ``TreeModel`` in the formats other systems load.

=========  ================================================================  ==============
format     what it is                                                        needs
=========  ================================================================  ==============
``json``   the portable ``TreeModel`` document (sparkgrove reads it back)    nothing
``onnx``   an ONNX graph with ai.onnx.ml ``TreeEnsemble`` (onnxruntime etc.)  ``onnx``
``pmml``   PMML 4.4 ``TreeModel`` / ``MiningModel`` (JPMML and others)        nothing
=========  ================================================================  ==============

Each file predicts what the ``TreeModel`` predicts for the same rows (tested with onnxruntime
and with JPMML-Evaluator).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sparkgrove.errors import ConfigError
from sparkgrove.staging import write_atomically
from sparkgrove.trees.model import TreeModel


def _json(model: TreeModel) -> bytes:
    return model.to_json().encode("utf-8")


def _onnx(model: TreeModel) -> bytes:
    from sparkgrove.export.onnx_format import to_onnx

    return to_onnx(model)


def _pmml(model: TreeModel) -> bytes:
    from sparkgrove.export.pmml_format import to_pmml

    return to_pmml(model)


FORMATS: dict[str, Callable[[TreeModel], bytes]] = {"json": _json, "onnx": _onnx, "pmml": _pmml}
"""Export formats and their writers."""


def export_model(model: TreeModel, fmt: str) -> bytes:
    """``model`` in format ``fmt`` (``json``, ``onnx`` or ``pmml``)."""
    writer = FORMATS.get(fmt)
    if writer is None:
        raise ConfigError(f"The export format must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    return writer(model)


def write_export(model: TreeModel, fmt: str, path: str | Path) -> Path:
    """Write ``model`` in format ``fmt`` to ``path``: whole, or not at all."""
    return write_atomically(Path(path), export_model(model, fmt), what="the model")


__all__ = ["FORMATS", "export_model", "write_export"]
