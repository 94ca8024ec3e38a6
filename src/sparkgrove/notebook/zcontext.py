"""Zeppelin's names in a Jupyter kernel: ``z`` (a ZeppelinContext), and the display system.

``z`` has the API Zeppelin documents for its Python and PySpark interpreters: ``show``,
``input``/``textbox``, ``select``, ``checkbox`` and their ``note*`` forms, ``put``/``get``,
``configure_mpl`` and the ``angular*`` calls. A form returns the value the run was given for
its name (``sparkgrove notebook run -p name=value``), else its default, so a note's forms
become the run's parameters.

The display system renders output that starts with ``%html``, ``%table``, ``%angular`` or
``%text`` (also after a line break, as Zeppelin splits output) as HTML, a table or text.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from sparkgrove.errors import ConfigError

DISPLAY = re.compile(r"(?m)^%(html|table|text|angular)(?:[ \t]+|\n|$)")
DEFAULT_MAX_RESULT = 1000
"""Rows ``z.show`` displays, as Zeppelin's ``zeppelin.spark.maxResult`` default."""


def _option_pairs(options: Iterable[Any]) -> list[tuple[Any, str]]:
    pairs: list[tuple[Any, str]] = []
    for option in options:
        if isinstance(option, tuple | list) and option:
            pairs.append((option[0], str(option[1] if len(option) > 1 else option[0])))
        else:
            pairs.append((option, str(option)))
    return pairs


class ZeppelinContext:
    """The ``z`` object of Zeppelin's Python and PySpark interpreters."""

    def __init__(self, namespace: MutableMapping[str, Any], *,
                 display: Callable[[Any], None] | None = None,
                 max_result: int = DEFAULT_MAX_RESULT) -> None:
        self._ns = namespace
        self._display = display or _ipython_display
        self._store: dict[str, Any] = {}
        self._angular: dict[str, Any] = {}
        self.max_result = max_result
        self.forms: dict[str, dict[str, Any]] = {}

    # ---- forms ----------------------------------------------------------------------------
    def _given(self, name: str) -> tuple[bool, Any]:
        if name in self._ns and not name.startswith("_"):
            return True, self._ns[name]
        return False, None

    def textbox(self, name: str, defaultValue: str = "") -> Any:
        """A text box form: the run's value for ``name``, else ``defaultValue``."""
        self.forms[name] = {"type": "textbox", "default": defaultValue}
        given, value = self._given(name)
        return value if given else defaultValue

    input = textbox
    noteTextbox = textbox
    noteInput = textbox

    def password(self, name: str) -> Any:
        """A password form: the run's value for ``name`` (empty if none)."""
        return self.textbox(name, "")

    def select(self, name: str, options: Iterable[Any], defaultValue: Any = "") -> Any:
        """A select form; the run's value for ``name`` must be one of ``options``."""
        pairs = _option_pairs(options)
        values = [v for v, _ in pairs]
        self.forms[name] = {"type": "select", "default": defaultValue, "options": values}
        given, value = self._given(name)
        if not given:
            return defaultValue
        for option in values:
            if value == option or str(value) == str(option):
                return option
        raise ConfigError(f"The form {name!r} is a select of {', '.join(map(str, values))}; "
                          f"got {value!r}. Pass one of them with -p {name}=VALUE.")

    noteSelect = select

    def checkbox(self, name: str, options: Iterable[Any],
                 defaultChecked: Sequence[Any] | None = None) -> list[Any]:
        """A checkbox form: the checked options (the run's comma-separated value for
        ``name``, each one of ``options``), else ``defaultChecked`` (default: all)."""
        values = [v for v, _ in _option_pairs(options)]
        default = list(values if defaultChecked is None else defaultChecked)
        self.forms[name] = {"type": "checkbox", "default": default, "options": values}
        given, value = self._given(name)
        if not given:
            return default
        chosen = value if isinstance(value, list | tuple) else [
            v.strip() for v in str(value).split(",") if v.strip()]
        by_text = {str(v): v for v in values}
        unknown = [c for c in chosen if str(c) not in by_text]
        if unknown:
            raise ConfigError(f"The form {name!r} is a checkbox of "
                              f"{', '.join(map(str, values))}; got {', '.join(map(str, unknown))}.")
        return [by_text[str(c)] for c in chosen]

    noteCheckbox = checkbox

    # ---- shared values --------------------------------------------------------------------
    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` under ``key`` for later paragraphs."""
        self._store[key] = value

    def get(self, key: str) -> Any:
        """The value kept under ``key`` (``None`` if none)."""
        return self._store.get(key)

    def remove(self, key: str) -> None:
        """Forget ``key``."""
        self._store.pop(key, None)

    def getAsDataFrame(self, key: str) -> Any:
        """The value under ``key``, a tab-separated table text, as a pandas DataFrame."""
        import pandas as pd

        value = self._store.get(key)
        if isinstance(value, str):
            return pd.read_csv(io.StringIO(value), sep="\t")
        return pd.DataFrame(value)

    # ---- angular --------------------------------------------------------------------------
    def angular(self, name: str, noteId: str | None = None,
                paragraphId: str | None = None) -> Any:
        """The angular object ``name`` (``None`` if unbound)."""
        return self._angular.get(name)

    def angularBind(self, name: str, value: Any, noteId: str | None = None,
                    paragraphId: str | None = None) -> None:
        """Bind ``name`` to ``value``; ``{{name}}`` in later ``%angular`` output shows it."""
        self._angular[name] = value

    def angularUnbind(self, name: str, noteId: str | None = None) -> None:
        """Unbind ``name``."""
        self._angular.pop(name, None)

    def angular_values(self) -> Mapping[str, Any]:
        """The bound angular objects (used to render ``%angular`` output)."""
        return dict(self._angular)

    # ---- display --------------------------------------------------------------------------
    def configure_mpl(self, **kwargs: Any) -> None:
        """Zeppelin's matplotlib settings; Jupyter shows figures inline already."""
        import matplotlib

        if kwargs.get("backend"):
            matplotlib.use(str(kwargs["backend"]))

    def show(self, obj: Any, **kwargs: Any) -> None:
        """Show a Spark or pandas DataFrame as a table (at most ``max_result`` rows), or a
        matplotlib figure."""
        limit = int(kwargs.get("max_result", self.max_result))
        if hasattr(obj, "toPandas") and hasattr(obj, "limit"):
            self._display(obj.limit(limit).toPandas())
        elif hasattr(obj, "savefig"):
            self._display(obj)
        elif hasattr(obj, "head") and hasattr(obj, "columns"):
            self._display(obj.head(limit))
        else:
            raise ConfigError(f"z.show takes a Spark or pandas DataFrame or a matplotlib "
                              f"figure; got {type(obj).__name__}.")

    def run(self, *args: Any, **kwargs: Any) -> None:
        """Running other paragraphs by id is Zeppelin's scheduler's; not offered here."""
        raise NotImplementedError("z.run runs Zeppelin paragraphs by id; in Jupyter, run the "
                                  "cells in order (sparkgrove notebook run does).")


def _ipython_display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def render(text: str, angular: Mapping[str, Any] | None = None) -> list[tuple[str, Any]]:
    """Split Zeppelin display output into ``(kind, content)`` parts: ``text``, ``html`` or a
    pandas ``table``. Output with no display directive is one ``text`` part."""
    parts: list[tuple[str, Any]] = []
    matches = list(DISPLAY.finditer(text))
    if not matches:
        return [("text", text)] if text else []
    if matches[0].start() > 0:
        parts.append(("text", text[:matches[0].start()]))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        kind, body = match.group(1), text[match.end():end]
        if kind == "table":
            parts.append(("table", _table(body)))
        elif kind == "angular":
            for name, value in (angular or {}).items():
                body = body.replace("{{" + name + "}}", str(value))
            parts.append(("html", body))
        else:
            parts.append((kind, body))
    return parts


def _table(body: str) -> Any:
    import pandas as pd

    lines = [ln for ln in body.strip("\n").split("\n")]
    if not lines or not lines[0]:
        return pd.DataFrame()
    header, rows = lines[0].split("\t"), [ln.split("\t") for ln in lines[1:] if ln]
    width = len(header)
    return pd.DataFrame([(r + [""] * width)[:width] for r in rows], columns=header)


class DisplaySystem:
    """Captures a cell's printed output and renders it as Zeppelin would."""

    def __init__(self, context: ZeppelinContext) -> None:
        self._context = context
        self._saved: Any = None
        self._buffer: io.StringIO | None = None

    def before(self, *_args: Any) -> None:
        """Start capturing ``sys.stdout``."""
        self._saved, self._buffer = sys.stdout, io.StringIO()
        sys.stdout = self._buffer

    def after(self, *_args: Any) -> None:
        """Stop capturing and show what was printed."""
        if self._buffer is None:
            return
        text, saved = self._buffer.getvalue(), self._saved
        sys.stdout, self._buffer, self._saved = saved, None, None
        from IPython.display import HTML, display

        for kind, content in render(text, self._context.angular_values()):
            if kind == "html":
                display(HTML(content))
            elif kind == "table":
                display(content)
            else:
                saved.write(content)
                saved.flush()
