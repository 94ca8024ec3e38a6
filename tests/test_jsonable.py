import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sparkgrove.jsonable import to_jsonable
from sparkgrove.store.states import StepState


@dataclass(frozen=True)
class _Inner:
    when: dt.datetime
    where: Path


@dataclass(frozen=True)
class _Outer:
    state: StepState
    pairs: tuple[tuple[str, int], ...]
    inner: _Inner
    count: np.int64
    hidden: dict[str, str] = field(default_factory=dict, metadata={"json": False})


class _Document:
    def to_dict(self) -> dict[str, object]:
        return {"format": "mine", "values": (1, 2)}


def test_records_become_plain_json() -> None:
    value = _Outer(StepState.RUNNING, (("a", 1),), _Inner(dt.datetime(2026, 1, 2, 3, 4,
                                                                         tzinfo=dt.UTC),
                                                          Path("/x/y")), np.int64(7), {"s": "t"})
    encoded = to_jsonable({"record": value, "doc": _Document()})
    assert encoded == {"record": {"state": "RUNNING", "pairs": [["a", 1]],
                                  "inner": {"when": "2026-01-02T03:04:00+00:00", "where": "/x/y"},
                                  "count": 7},
                       "doc": {"format": "mine", "values": [1, 2]}}
    json.dumps(encoded)  # nothing left that json cannot write
