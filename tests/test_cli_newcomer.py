"""``ncp-media`` as a newcomer meets it (issue 19 item 6, issue 16 item 3): the secret key kept out
of the process list (``--secret-key -``), ``--zone``, a ``--help`` whose summaries are whole
and distinct at 80 columns and name Media Intelligence, counts in the singular. Against the
emulator over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _loopback import LoopbackEmulator

from ncp_media_async.cli._params import SECRET_ON_COMMAND_LINE
from ncp_media_async.testing import Emulator, Scenario


@pytest.fixture(scope="module")
def served() -> Iterator[LoopbackEmulator]:
    with LoopbackEmulator(Emulator(Scenario.default(seed=3))) as loopback:
        yield loopback


# ------------------------------------------------------------------------- --secret-key -


@pytest.mark.parametrize("newline", ["\n", "\r\n", ""])
def test_secret_key_dash_reads_one_line_of_stdin(served: LoopbackEmulator, newline: str) -> None:
    emulator = served.emulator
    keys = ("--access-key", emulator.access_key, "--secret-key", "-")
    result = served.invoke(*keys, "statistics", input=emulator.secret_key + newline)
    assert result.exit_code == 0, result.stderr
    assert "total" in result.stdout
    assert result.stderr == ""  # no warning: the secret never was on the command line


def test_secret_key_dash_then_file_dash_share_stdin(served: LoopbackEmulator) -> None:
    # The secret is the first line; --file - reads the lines after it.
    emulator = served.emulator
    refs = "emulator-workspace/1234/10000\nemulator-workspace/1234/10001\n"
    result = served.invoke(
        "--access-key", emulator.access_key, "--secret-key", "-", "--json",
        "wait-imports", "--file", "-", "--progress", "off", "--interval", "0",
        input=f"{emulator.secret_key}\n{refs}",
    )  # fmt: skip
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert len(result.stdout.splitlines()) == 2
    assert result.stderr.startswith("2 imports in")


def test_a_secret_key_on_the_command_line_warns_without_showing_it(
    served: LoopbackEmulator,
) -> None:
    emulator = served.emulator
    result = served.invoke(
        "--access-key", emulator.access_key, "--secret-key", emulator.secret_key, "statistics"
    )
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [SECRET_ON_COMMAND_LINE]
    assert emulator.secret_key not in result.stderr + result.stdout
    assert "--secret-key -" in SECRET_ON_COMMAND_LINE


@pytest.mark.parametrize("stdin", ["", "\n", b"\xff\xfe\n"], ids=["empty", "blank", "not-utf8"])
def test_secret_key_dash_without_a_secret_on_stdin_is_a_usage_error(
    served: LoopbackEmulator, stdin: str | bytes
) -> None:
    before = served.emulator.stats.total_requests
    result = served.invoke("--access-key", "AK", "--secret-key", "-", "statistics", input=stdin)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: Invalid value for '--secret-key'")
    assert served.emulator.stats.total_requests == before


# ---------------------------------------------------------------------------------- --zone


def test_zone_with_endpoint_sends_the_zone_paths(served: LoopbackEmulator) -> None:
    fin = served.invoke("-v", "--zone", "fin", "records", "ls-20200313162828-G60tN")
    assert "GET /api/fin-v2/channels/ls-20200313162828-G60tN/records" in fin.stderr
    gov = served.invoke("--zone", "gov", "statistics")
    assert gov.exit_code == 0 and "total" in gov.stdout
    refused = served.invoke("statistics", "--zone", "gov", "live-channels")
    assert refused.exit_code == 2  # (live-channels is not an argument of statistics)
    live = served.invoke("--zone", "gov", "live-channels")
    assert live.exit_code == 1
    assert live.stderr == "error: Live Station is not offered in the gov zone (Endpoints.gov())\n"
    mi = served.invoke("import-status", "ws", "1", "2", "--zone", "fin")
    assert mi.exit_code == 1 and "Media Intelligence is not offered in the fin zone" in mi.stderr
    public = served.invoke("-v", "--zone", "public", "records", "ls-20200313162828-G60tN")
    assert "GET /api/v2/channels/ls-20200313162828-G60tN/records" in public.stderr


def test_an_unknown_zone_is_a_usage_error(served: LoopbackEmulator) -> None:
    result = served.invoke("--zone", "private", "statistics")
    assert result.exit_code == 2
    assert "'private' is not one of 'public', 'gov', 'fin'" in result.stderr


# ------------------------------------------------------------------------------------ help


def test_help_summaries_are_whole_distinct_and_say_media_intelligence(
    served: LoopbackEmulator,
) -> None:
    result = served.invoke("--help", env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "Media AI" not in result.stdout
    assert "Media Intelligence" in result.stdout
    commands = result.stdout.split("Commands:\n", 1)[1].splitlines()
    summaries = {line.split(None, 1)[0]: line.split(None, 1)[1] for line in commands if line}
    assert all(len(line) <= 80 for line in commands)
    assert not [text for text in summaries.values() if text.endswith("...")], summaries
    assert summaries["import"] != summaries["ingest"]
    assert len(set(summaries.values())) == len(summaries)


# ------------------------------------------------------------------------------ plurals


def test_one_of_a_kind_is_counted_in_the_singular(served: LoopbackEmulator) -> None:
    result = served.invoke("categories", "--max-items", "1")
    assert result.exit_code == 0
    assert result.stderr == "1 category\n"
    several = served.invoke("categories", "--max-items", "2")
    assert several.stderr == "2 categories\n"
