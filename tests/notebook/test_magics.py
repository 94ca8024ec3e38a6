import shlex

import pytest

from sparkgrove.errors import ConfigError
from sparkgrove.notebook.magics import train_parser


def test_train_magic_takes_the_cli_train_options() -> None:
    import typer.main

    from sparkgrove.cli.main import app

    command = typer.main.get_command(app).commands["train"]  # type: ignore[attr-defined]
    cli = {opt for p in command.params for opt in p.opts if opt.startswith("--")}
    cli -= {"--json", "--show-tree"}
    magic = {opt for action in train_parser()._actions for opt in action.option_strings}
    assert cli <= magic, f"%train lacks {sorted(cli - magic)}"


def test_train_magic_options_parse_as_the_declared_types() -> None:
    line = "t.x --label y --max-depth 3 --step-size 0.3 --cache-node-ids --algorithm gbt"
    given = vars(train_parser().parse_args(shlex.split(line)))
    assert (given["max_depth"], given["step_size"], given["cache_node_ids"]) == (3, 0.3, True)
    assert given["max_bins"] == 32 and given["impurity"] is None
    with pytest.raises(ConfigError, match="%train: .*--label"):
        train_parser().parse_args(["t.x"])
