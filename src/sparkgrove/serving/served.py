"""The models a server answers for, kept current with the registry.

Each served model follows a reference: ``NAME`` (its newest version), ``NAME@ALIAS`` (the version
the alias points at) or ``NAME:VERSION`` (fixed). A watcher thread asks the registry every
``poll_seconds`` which version each reference names; a new version is loaded beside the old one
and swapped in with one assignment, so requests in flight finish on the version they started
with and none fails or waits. A model whose file cannot be read is kept as unavailable, with the
reason, and the other models keep answering.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sparkgrove.errors import (
    ConfigError,
    ModelFormatError,
    ModelUnavailableError,
    NotFoundError,
    SparkgroveError,
    suggest,
)
from sparkgrove.names import check_alias, check_model_name
from sparkgrove.registry import Registry
from sparkgrove.serving.inputs import InputEncoder
from sparkgrove.store.entities import ModelVersion
from sparkgrove.trees.model import TreeModel

LOG = logging.getLogger(__name__)
DEFAULT_POLL_SECONDS = 1.0
DEFAULT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class Reference:
    """What a served model follows."""

    name: str
    version: int | None = None
    alias: str | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        """Read ``NAME``, ``NAME:VERSION`` or ``NAME@ALIAS``."""
        from sparkgrove.registry import parse_model_ref

        if "@" in text:
            name, _, alias = text.partition("@")
            return cls(check_model_name(name), alias=check_alias(alias))
        name, version = parse_model_ref(text)
        return cls(name, version=version)

    def __str__(self) -> str:
        if self.alias:
            return f"{self.name}@{self.alias}"
        return self.name if self.version is None else f"{self.name}:{self.version}"


@dataclass(frozen=True)
class Loaded:
    """One version of a model, ready to predict (or the reason it cannot)."""

    version: ModelVersion | None
    model: TreeModel | None = None
    encoder: InputEncoder | None = None
    error: str = ""

    def ready(self) -> tuple[ModelVersion, TreeModel, InputEncoder]:
        """The version, model and encoder, or :class:`ModelUnavailableError`."""
        if self.version is None or self.model is None or self.encoder is None:
            raise ModelUnavailableError(self.error or "The model is not loaded yet.")
        return self.version, self.model, self.encoder


@dataclass
class ServedModel:
    """A reference and the version that answers for it now."""

    reference: Reference
    current: Loaded = field(default_factory=lambda: Loaded(None, error="not loaded yet"))


class ServedModels:
    """The served models of one server process, refreshed from the registry in the background."""

    def __init__(self, registry: Registry, references: Sequence[str] = (), *,
                 max_rows: int = DEFAULT_MAX_ROWS,
                 poll_seconds: float = DEFAULT_POLL_SECONDS) -> None:
        self.registry = registry
        self.max_rows = max_rows
        self.poll_seconds = poll_seconds
        self.follow_all = not references
        self.models: dict[str, ServedModel] = {}
        for text in references:
            ref = Reference.parse(text)
            if ref.name in self.models:
                raise ConfigError(f"Model {ref.name!r} is named twice ({self.models[ref.name].reference}"
                                  f" and {ref}); a server answers for one reference per model.")
            self.registry.store.get(ref.name)  # an unknown model is a NotFoundError now
            self.models[ref.name] = ServedModel(ref)
        self._lock = threading.Lock()  # one refresh at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refresh()

    # ---- lookups (request path: no locks, no database) ---------------------------------
    def get(self, name: str) -> ServedModel:
        """The served model ``name``, or :class:`NotFoundError` naming the ones served."""
        served = self.models.get(name)
        if served is None:
            raise NotFoundError(f"This server does not serve a model named {name!r}; "
                                f"{suggest(name, self.models, 'served models')}.")
        return served

    def names(self) -> list[str]:
        """Names of the served models, sorted."""
        return sorted(self.models)

    # ---- refreshing ---------------------------------------------------------------------
    def refresh(self) -> None:
        """Load the version each reference names now, where it changed."""
        with self._lock:
            if self.follow_all:
                for version in self.registry.list_models():
                    self.models.setdefault(version.name, ServedModel(Reference(version.name)))
            for served in list(self.models.values()):
                self._refresh_one(served)

    def _refresh_one(self, served: ServedModel) -> None:
        ref = served.reference
        try:
            version = self._resolve(ref)
        except SparkgroveError as exc:  # the alias was deleted, say: keep answering
            if served.current.version is None:
                served.current = Loaded(None, error=str(exc))
            LOG.warning("Cannot resolve %s: %s", ref, exc)
            return
        now = served.current.version
        if now is not None and now.version == version.version:
            return
        served.current = self._load(version)
        LOG.info("Serving %s as version %s", ref, version.version)

    def _resolve(self, ref: Reference) -> ModelVersion:
        store = self.registry.store
        if ref.alias:
            return store.get(ref.name, store.version_of_alias(ref.name, ref.alias))
        return store.get(ref.name, ref.version)

    def _load(self, version: ModelVersion) -> Loaded:
        try:
            model = self.registry.load_tree_model(version)
        except ModelFormatError as exc:
            return Loaded(version, error=f"Model {version.ref} cannot be served: {exc} Register "
                                         "a new version or point the alias at another one.")
        model.predict_index(model_example(model))  # compile and check now, not on a request
        return Loaded(version, model, InputEncoder(model, max_rows=self.max_rows))

    def start(self) -> None:
        """Start the watcher thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="sparkgrove-model-watch",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the watcher thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.refresh()
            except Exception:  # a database hiccup must not end the watcher
                LOG.exception("Refreshing the served models failed; retrying")


def model_example(model: TreeModel) -> dict[str, list[Any]]:
    """One row of missing values: every model can predict it."""
    return {f.name: [None] for f in model.features}
