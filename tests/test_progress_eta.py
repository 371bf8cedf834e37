"""The ETA of a stage that waits for its first input (issue 19 item 6): the demo's ``indexed``
stage showed ``ETA 1h06m`` for a stage that took 12 s, its rate counted from the moment the
stage was shown rather than from its first item. Plain lines, with an injected clock."""

from __future__ import annotations

import pytest

from ncp_media_async.cli._output import Output
from ncp_media_async.cli._progress import ProgressDisplay, describe


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_stage_behind_another_counts_its_rate_from_its_first_item(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = FakeClock()
    with ProgressDisplay(Output(as_json=False), "plain", every=1.0, clock=clock) as display:
        stage = display.stage("indexed", 2000)
        clock.now += 2.0  # the stage before it has nothing for it yet
        stage.update(done=1, failed=0)
        clock.now += 1.0
        stage.update(done=801, failed=0)
        clock.now += 1.5
        stage.update(done=2000, failed=3)
    assert capsys.readouterr().err.splitlines() == [
        # One item says nothing of the pace: no ETA (it said ETA 1h07m).
        "progress: indexed 1/2,000 (0%), 0 failed, 0/s, elapsed 2.0s",
        # 800 more in the second after it: 1,199 to go at 800/s (it said 267/s, ETA 4.5s).
        "progress: indexed 801/2,000 (40%), 0 failed, 800/s, elapsed 3.0s, ETA 1.5s",
        "progress: indexed 2,000/2,000 (100%), 3 failed, 800/s, elapsed 4.5s",
    ]


def test_describe_counts_from_since() -> None:
    assert describe(1, 2000, 0, 2.0, since=(2.0, 1)) == "1/2,000 (0%), 0 failed, 0/s, elapsed 2.0s"
    assert describe(11, 2000, 0, 2.5, since=(2.0, 1)) == (
        "11/2,000 (1%), 0 failed, 20/s, elapsed 2.5s, ETA 1m39s"
    )
