"""The README gives the format of the files ``--file`` reads (issue 19 item 6): its
``refs.txt`` example is what ``wait-imports --file`` reads, line for line."""

from __future__ import annotations

from test_readme import README, blocks

from ncp_media_async.cli._params import parse_target_lines
from ncp_media_async.records import AssetRef


def test_the_readme_shows_a_refs_file_that_wait_imports_reads() -> None:
    examples = [
        b for b in blocks(README.read_text(encoding="utf-8")) if b.text.startswith("# refs.txt")
    ]
    assert len(examples) == 1
    refs, problems = parse_target_lines(examples[0].text.encode().splitlines(keepends=True))
    assert problems == []
    assert refs == [
        AssetRef("my-workspace", "1234", "5678"), AssetRef("my-workspace", "1234", "5679")
    ]  # fmt: skip
