"""``Credentials.from_env`` (so ``MediaClient()`` and ``ncp-media``) reads the environment, then
``~/.ncloud/configure``, where NCP's own CLI and SDKs keep a key pair (issue 19 item 1). Each
test gives its own environment, ``HOME`` included: nothing is read from the machine's."""

from __future__ import annotations

from pathlib import Path

import pytest
from _loopback import LoopbackEmulator

import ncp_media_async as ncp
from ncp_media_async.testing import Emulator, Scenario

SECRET = "s3cr3t%value"  # a '%' would break configparser's default interpolation


def write_configure(home: Path, text: str) -> Path:
    path = home / ".ncloud" / "configure"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        f"[DEFAULT]\nncloud_access_key_id = AKEY1234\nncloud_secret_access_key = {SECRET}\n"
        "ncloud_api_url = https://ncloud.apigw.ntruss.com\n",
        f"ncloud_access_key_id=AKEY1234\nncloud_secret_access_key={SECRET}\n",
        f"\ufeff# written by hand\nncloud_access_key_id = AKEY1234\n"
        f"ncloud_secret_access_key = {SECRET}\n\n[other-profile]\nncloud_access_key_id = X\n",
    ],
    ids=["default-section", "no-section", "bom-comment-and-profile"],
)
def test_the_ncloud_configure_file_is_read_after_the_environment(
    tmp_path: Path, text: str
) -> None:
    write_configure(tmp_path, text)
    assert ncp.Credentials.from_env({"HOME": str(tmp_path)}) == ncp.Credentials("AKEY1234", SECRET)
    # The environment comes first, NCP_* before NCLOUD_*.
    env = {"HOME": str(tmp_path), "NCLOUD_ACCESS_KEY": "c", "NCLOUD_SECRET_KEY": "d"}
    assert ncp.Credentials.from_env(env) == ncp.Credentials("c", "d")
    env |= {"NCP_ACCESS_KEY": "a", "NCP_SECRET_KEY": "b"}
    assert ncp.Credentials.from_env(env) == ncp.Credentials("a", "b")


def test_the_error_names_every_place_looked_and_what_is_missing(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "NCP_ACCESS_KEY": "AKEYVALUE", "NCLOUD_SECRET_KEY": SECRET}
    with pytest.raises(ncp.ConfigurationError) as info:
        ncp.Credentials.from_env(env)
    message = str(info.value)
    configure = tmp_path / ".ncloud" / "configure"
    assert message == (
        "no credentials: looked at $NCP_ACCESS_KEY and $NCP_SECRET_KEY (NCP_SECRET_KEY missing); "
        "$NCLOUD_ACCESS_KEY and $NCLOUD_SECRET_KEY (NCLOUD_ACCESS_KEY missing); "
        f"{configure} (no such file)"
    )
    write_configure(tmp_path, f"[DEFAULT]\nncloud_secret_access_key = {SECRET}\n")
    with pytest.raises(ncp.ConfigurationError) as info:
        ncp.Credentials.from_env({"HOME": str(tmp_path)})
    message = str(info.value)
    assert "$NCP_ACCESS_KEY and $NCP_SECRET_KEY (not set)" in message
    assert message.endswith(f"{configure} (ncloud_access_key_id missing)")
    assert SECRET not in message and "AKEYVALUE" not in message
    # A mapping without HOME is read alone (no file of the machine's).
    with pytest.raises(ncp.ConfigurationError) as info:
        ncp.Credentials.from_env({})
    assert "configure" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (f"[DEFAULT]\nncloud_access_key_id AKEY\nncloud_secret_access_key {SECRET}\n",
         "line 2 is not a 'name = value' line, or repeats a name"),
        (f"ncloud_secret_access_key = {SECRET}\nncloud_secret_access_key = {SECRET}\n",
         "line 2 is not a 'name = value' line, or repeats a name"),
    ],
    ids=["no-equals-sign", "repeated-name"],
)  # fmt: skip
def test_a_broken_file_is_a_configuration_error_that_quotes_no_line(
    tmp_path: Path, text: str, why: str
) -> None:
    path = write_configure(tmp_path, text)
    with pytest.raises(ncp.ConfigurationError) as info:
        ncp.Credentials.from_env({"HOME": str(tmp_path)})
    assert str(info.value) == f"{path}: {why}"
    # ... and only when it is needed: the environment's pair is used without reading it.
    env = {"HOME": str(tmp_path), "NCP_ACCESS_KEY": "a", "NCP_SECRET_KEY": "b"}
    assert ncp.Credentials.from_env(env) == ncp.Credentials("a", "b")


def test_ncp_media_and_media_client_read_the_file(tmp_path: Path) -> None:
    emulator = Emulator(Scenario.default(seed=3))
    write_configure(
        tmp_path,
        f"ncloud_access_key_id = {emulator.access_key}\n"
        f"ncloud_secret_access_key = {emulator.secret_key}\n",
    )
    unset = {"NCP_ACCESS_KEY": None, "NCP_SECRET_KEY": None, "HOME": str(tmp_path)}
    with LoopbackEmulator(emulator) as served:
        result = served.invoke("statistics", env=unset)
        assert result.exit_code == 0, result.stderr
        assert "total" in result.stdout
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("HOME", str(tmp_path))
            patch.delenv("NCP_ACCESS_KEY", raising=False)
            patch.delenv("NCP_SECRET_KEY", raising=False)
            patch.delenv("NCLOUD_ACCESS_KEY", raising=False)
            patch.delenv("NCLOUD_SECRET_KEY", raising=False)
            assert ncp.MediaClient().credentials.access_key == emulator.access_key
