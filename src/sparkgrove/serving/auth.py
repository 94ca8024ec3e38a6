"""The serving token: ``<workspace>/serve/token``, generated once, readable by its owner alone."""

from __future__ import annotations

from pathlib import Path

from sparkgrove import tokens
from sparkgrove.settings import Settings
from sparkgrove.tokens import check_exposure, is_loopback

__all__ = ["check_exposure", "ensure_token", "is_loopback", "token_file"]


def token_file(settings: Settings) -> Path:
    """Where the serving token is kept."""
    return settings.workspace / "serve" / "token"


def ensure_token(settings: Settings) -> str:
    """The workspace's serving token, created (mode 0600) on first use."""
    return tokens.ensure_token(token_file(settings))
