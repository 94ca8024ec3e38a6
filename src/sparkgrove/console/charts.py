"""Small server-drawn SVG charts: a ROC curve and horizontal bars (feature importances)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup


def roc_svg(fpr: Sequence[float], tpr: Sequence[float], auc: float | None, size: int = 260
            ) -> Markup:
    """The ROC curve over the chance diagonal, axes labelled."""
    pad = 34
    inner = size - pad - 10
    points = " ".join(f"{pad + x * inner:.1f},{10 + (1 - y) * inner:.1f}"
                      for x, y in zip(fpr, tpr, strict=True))
    label = f"ROC curve, area {auc:.4f}" if auc is not None else "ROC curve"
    return Markup(  # numbers and an escaped label only
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart roc" viewBox="0 0 {size} {size}" '
        f'width="{size}" height="{size}" role="img" aria-label="{escape(label)}">'
        f'<rect class="frame" x="{pad}" y="10" width="{inner}" height="{inner}"/>'
        f'<line class="chance" x1="{pad}" y1="{10 + inner}" x2="{pad + inner}" y2="10"/>'
        f'<polyline class="curve" points="{points}"/>'
        f'<text x="{pad + inner / 2}" y="{size - 4}" class="axis">false positive rate</text>'
        f'<text x="12" y="{10 + inner / 2}" class="axis" transform="rotate(-90 12 '
        f'{10 + inner / 2})">true positive rate</text></svg>')


def bars_svg(items: Sequence[tuple[str, float]], width: int = 420) -> Markup:
    """One labelled bar per item, longest first, scaled to the largest value."""
    ordered = sorted(items, key=lambda kv: -kv[1])
    top = max((v for _, v in ordered), default=0.0) or 1.0
    row, label_w = 22, 150
    height = row * max(len(ordered), 1) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart bars" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="feature importances">']
    for i, (name, value) in enumerate(ordered):
        y = i * row + 2
        length = max(0.0, value) / top * (width - label_w - 60)
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" class="label">'
                     f'{escape(name[:22])}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row - 6}">'
                     f'<title>{escape(name)}: {value:.4f}</title></rect>'
                     f'<text x="{label_w + length + 4:.1f}" y="{y + 15}" class="value">'
                     f'{value:.3f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # every text is escaped
