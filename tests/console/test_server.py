import socket
from pathlib import Path

import pytest

from sparkgrove.console.server import serve_console
from sparkgrove.errors import ConfigError
from sparkgrove.settings import load_settings


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    settings = load_settings(workspace=tmp_path / "ws", environ={}, cwd=tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"Cannot listen on 127.0.0.1:{port}.*--port"):
            serve_console(settings, port=port, announce=lambda _: None)
    with pytest.raises(ConfigError, match="--port must be from 1 to 65535"):
        serve_console(settings, port=70000, announce=lambda _: None)
