"""Model pages: models and versions, a version's metrics, confusion matrix, ROC curve, feature
importances, lineage and tree; two versions side by side; aliases set, moved and removed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from sparkgrove.console.charts import bars_svg, roc_svg
from sparkgrove.console.pages import redirect, render, workspace_of
from sparkgrove.console.security import form_of
from sparkgrove.errors import ConfigError
from sparkgrove.store.entities import ModelVersion

router = APIRouter()
FULL_TREE_NODES = 1023
"""Trees up to this size are drawn whole by default; larger ones to :data:`DEFAULT_DEPTH`."""
DEFAULT_DEPTH = 6
SCALARS = ("accuracy", "weighted_precision", "weighted_recall", "weighted_f1", "log_loss",
           "area_under_roc", "rmse", "mae", "r2")


def scalar_metrics(version: ModelVersion) -> dict[str, Any]:
    """The version's single-number metrics, in a stable order."""
    found = {k: version.metrics[k] for k in SCALARS if k in version.metrics}
    found.update({k: v for k, v in version.metrics.items()
                  if k not in found and isinstance(v, int | float)})
    return found


@router.get("/models", response_class=HTMLResponse)
def models(request: Request) -> HTMLResponse:
    """Every model with its latest version and aliases."""
    registry = workspace_of(request).registry
    latest = registry.list_models()
    return render(request, "models.html", models=[
        (m, registry.aliases(m.name), scalar_metrics(m)) for m in latest])


@router.get("/models/{name}", response_class=HTMLResponse)
def model(request: Request, name: str) -> HTMLResponse:
    """A model's versions and aliases, with the alias form."""
    registry = workspace_of(request).registry
    versions = registry.versions(name)
    if not versions:
        registry.get(name)  # raises NotFoundError naming the model
    aliases = registry.aliases(name)
    by_version: dict[int, list[str]] = {}
    for alias, number in aliases.items():
        by_version.setdefault(number, []).append(alias)
    return render(request, "model.html", name=name,
                  versions=[(v, by_version.get(v.version, []), scalar_metrics(v))
                            for v in sorted(versions, key=lambda v: -v.version)],
                  aliases=aliases, notice=request.query_params.get("notice"))


def _fold_link(name: str, version: int, tree: int, folded: set[int], depth: str) -> Any:
    def href(node: int) -> str:
        toggled = folded ^ {node}
        query = {"tree": tree, "depth": depth,
                 "fold": ",".join(str(n) for n in sorted(toggled))}
        return f"?{urlencode(query)}#tree"
    return href


def _parse_fold(text: str) -> set[int]:
    try:
        return {int(part) for part in text.split(",") if part.strip()}
    except ValueError as exc:
        raise ConfigError(f"fold must be node numbers separated by commas; got {text!r}.") from exc


@router.get("/models/{name}/compare", response_class=HTMLResponse)
def compare(request: Request, name: str, a: int = 0, b: int = 0) -> HTMLResponse:
    """Two versions side by side: metrics, parameters, lineage, and their differences."""
    registry = workspace_of(request).registry
    versions = {v.version: v for v in registry.versions(name)}
    if not versions:
        registry.get(name)
    numbers = sorted(versions)
    b = b if b in versions else numbers[-1]
    a = a if a in versions else numbers[max(0, numbers.index(b) - 1)]
    left, right = versions[a], versions[b]
    ma, mb = scalar_metrics(left), scalar_metrics(right)
    metric_rows = [(k, ma.get(k), mb.get(k)) for k in dict.fromkeys([*ma, *mb])]
    keys = dict.fromkeys([*left.params, *right.params])
    param_rows = [(k, left.params.get(k), right.params.get(k)) for k in keys]
    lineage_keys = dict.fromkeys([*left.lineage, *right.lineage])
    lineage_rows = [(k, left.lineage.get(k), right.lineage.get(k)) for k in lineage_keys]
    return render(request, "compare.html", name=name, numbers=numbers, a=left, b=right,
                  metric_rows=metric_rows, param_rows=param_rows, lineage_rows=lineage_rows)


@router.get("/models/{name}/{version}", response_class=HTMLResponse)
def version_page(request: Request, name: str, version: int, tree: int = 0, fold: str = "",
                 depth: str = "") -> HTMLResponse:
    """One version: metrics, charts, lineage, exports and one of its trees drawn."""
    from sparkgrove.trees.svg import draw_tree

    ws = workspace_of(request)
    record = ws.registry.get(f"{name}:{version}")
    model = ws.registry.load_tree_model(record)
    if not 0 <= tree < len(model.trees):
        raise ConfigError(f"tree must be from 0 to {len(model.trees) - 1}; got {tree}.")
    nodes = model.trees[tree].n_nodes
    if depth == "":
        depth = "all" if nodes <= FULL_TREE_NODES else str(DEFAULT_DEPTH)
    if depth != "all" and not depth.isdigit():
        raise ConfigError(f"depth must be a whole number or 'all'; got {depth!r}.")
    folded = _parse_fold(fold)
    drawing = draw_tree(model, tree, folded=folded,
                        max_depth=None if depth == "all" else int(depth),
                        fold_href=_fold_link(name, version, tree, folded, depth))
    metrics = record.metrics
    roc = metrics.get("roc_curve")
    importances = list(zip(model.feature_names, model.feature_importances, strict=False))
    lineage = record.lineage
    table = str(lineage.get("table", ""))
    return render(
        request, "version.html", record=record, model=model, scalars=scalar_metrics(record),
        matrix=metrics.get("confusion_matrix"),
        roc=roc_svg(roc["fpr"], roc["tpr"], metrics.get("area_under_roc")) if roc else None,
        importances=bars_svg(importances) if importances else None, lineage=lineage,
        table_link=("/catalog/" + "/".join(table.split(".", 1))) if "." in table else None,
        drawing=drawing, tree=tree, depth=depth, fold=fold,
        aliases=[a for a, v in ws.registry.aliases(name).items() if v == version],
        versions=[v.version for v in ws.registry.versions(name)])


@router.get("/models/{name}/{version}/export/{fmt}")
def export(request: Request, name: str, version: int, fmt: str) -> Response:
    """The version as a file in ``fmt`` (json, onnx, pmml)."""
    from sparkgrove.export import export_model

    ws = workspace_of(request)
    record = ws.registry.get(f"{name}:{version}")
    data = export_model(ws.registry.load_tree_model(record), fmt)
    media = {"json": "application/json", "pmml": "application/xml"}.get(
        fmt, "application/octet-stream")
    return Response(data, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{name}-v{version}.{fmt}"'})


@router.post("/models/{name}/aliases")
async def set_alias(request: Request, name: str) -> Response:
    """Point an alias at a version (moving it when it pointed elsewhere)."""
    form = await form_of(request)
    alias = form.get("alias", "").strip()
    try:
        version = int(form.get("version", ""))
    except ValueError as exc:
        raise ConfigError(f"The version must be a number; got {form.get('version')!r}.") from exc
    registry = workspace_of(request).registry
    await run_in_threadpool(registry.set_alias, name, alias, version)
    return redirect(f"/models/{name}", f"{name}@{alias} now points at version {version}.")


@router.post("/models/{name}/aliases/{alias}/delete")
async def delete_alias(request: Request, name: str, alias: str) -> Response:
    """Remove an alias."""
    await form_of(request)
    registry = workspace_of(request).registry
    await run_in_threadpool(registry.delete_alias, name, alias)
    return redirect(f"/models/{name}", f"{name}@{alias} removed.")
