"""pydantic v2 and msgspec models of an encoding-status page, for the structuring benchmark.

Both are optional (``pip install -e '.[bench]'``): ``available()`` returns the variants whose
library imports, so the benchmark still runs, without those rows, after a plain dev install.
"""

# No ``from __future__ import annotations``: pydantic and msgspec read the annotations of the
# classes defined inside the functions below at run time.
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ncp_media_async.records import EncodingState

INSTALL = "pip install -e '.[bench]' to compare with them"
BYTES_NOTE = {
    "pydantic v2": "model_validate_json",
    "msgspec": "msgspec.json.Decoder(Page).decode",
}

Variant = tuple[Callable[[Any], object], Callable[[bytes], object]]


def _pydantic() -> Variant:
    import pydantic
    from pydantic.alias_generators import to_camel

    class PydanticStatus(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True, alias_generator=to_camel)

        status: EncodingState
        category_id: int | None = None
        category_name: str | None = None
        file_path: str | None = None
        output_type: str | None = None
        link: str | None = None
        output_total_size: int | None = None
        last_work_time: datetime | None = None
        percent: float | None = None

    class PydanticPage(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True)

        content: list[PydanticStatus]
        total: int | None = None

    return PydanticPage.model_validate, PydanticPage.model_validate_json


def _msgspec() -> Variant:
    import msgspec

    class MsgspecStatus(msgspec.Struct, frozen=True, rename="camel"):
        status: EncodingState
        category_id: int | None = None
        category_name: str | None = None
        file_path: str | None = None
        output_type: str | None = None
        link: str | None = None
        output_total_size: int | None = None
        last_work_time: datetime | None = None
        percent: float | None = None

    class MsgspecPage(msgspec.Struct, frozen=True):
        content: list[MsgspecStatus]
        total: int | None = None

    decoder = msgspec.json.Decoder(MsgspecPage)
    return (lambda body: msgspec.convert(body, MsgspecPage)), decoder.decode


def available() -> dict[str, Variant]:
    """The rival variants whose library is installed, by name."""
    found: dict[str, Variant] = {}
    for name, make in (("pydantic v2", _pydantic), ("msgspec", _msgspec)):
        try:
            found[name] = make()
        except ImportError:
            continue
    return found
