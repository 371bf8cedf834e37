"""Asset refs keep ids as text, whether given as text or as the numbers the bodies carry."""

from __future__ import annotations

import pytest

import ncp_media_async as ncp


def test_ids_given_as_numbers_name_the_same_asset() -> None:
    assert ncp.AssetRef("ws", 1234, 5) == ncp.AssetRef("ws", "1234", "5")
    assert ncp.VideoAssetRef("ws", 1234, 5) == ncp.VideoAssetRef("ws", "1234", "5")
    assert str(ncp.AssetRef("ws", 1234, 5)) == "ws/1234/5"
    assert hash(ncp.AssetRef("ws", 1234, 5)) == hash(ncp.AssetRef("ws", "1234", "5"))


@pytest.mark.parametrize("bad", [True, 1.5, None, b"5"])
def test_an_id_that_is_not_text_or_an_int_is_refused(bad: object) -> None:
    with pytest.raises(TypeError, match="an id must be text or an int"):
        ncp.AssetRef("ws", "1234", bad)  # type: ignore[arg-type]
