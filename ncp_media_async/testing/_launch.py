"""One launcher for the emulator as a process.

``python -m ncp_media_async.testing``, ``ncp-media emulator`` and the benchmarks' emulator
process all describe what to serve with ``LaunchOptions``, take their command-line options
from ``FLAGS`` (argparse for the first, click for the command) and serve with ``run``,
so they accept the same options and print the same banner:

```text
listening on http://127.0.0.1:8080
export NCP_MEDIA_ENDPOINT=http://127.0.0.1:8080 NCP_ACCESS_KEY=... NCP_SECRET_KEY=...
vod channels: vs-... vs-... vs-...
...
press Ctrl-C to stop
```

The first line is exactly ``listening on URL`` (the real port when ``--port 0``), flushed at
once so that a parent process can read it; the second can be pasted into a shell (the
emulator's key pair is not a secret); ``Banner.parse`` reads both back. Then a summary of
the data. The process stops on SIGINT or SIGTERM (and, with ``stop_on_stdin_eof``, when its
standard input closes, i.e. when a parent holding the pipe dies), prints ``emulator stopped``
on stderr and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Literal, TextIO

import attrs

from ._data import Scenario
from ._faults import DEFAULT_FAULT_KINDS, Fault, FaultPlan
from ._gateway import DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY, Emulator
from ._quota import Quota
from ._server import EmulatorServer

__all__ = [
    "ENDPOINT_ENV",
    "FLAGS",
    "SCENARIOS",
    "Banner",
    "Flag",
    "LaunchOptions",
    "argument_parser",
    "banner",
    "run",
    "serve",
]

ENDPOINT_ENV: Final = "NCP_MEDIA_ENDPOINT"
"""The environment variable that points every service of a client at one base URL."""

SCENARIOS: Final[Mapping[str, Callable[[int], Scenario]]] = {
    "default": Scenario.default,
    "demo": Scenario.demo,
    "empty": Scenario.empty,
}
"""The named data sets (``Scenario``'s constructors of the same names), by seed."""


# ---------------------------------------------------------------------------------- options


def _option(field_name: str) -> str:
    """The command-line option of a ``LaunchOptions`` field: ``--name-with-dashes``."""
    return "--" + field_name.replace("_", "-")


def _flag_name(attribute: attrs.Attribute[Any]) -> str:
    return _option(attribute.name)


def _at_least(minimum: float) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None and value < minimum:
            raise ValueError(f"{_flag_name(attribute)} must be at least {minimum:g}, got {value}")

    return check


def _fraction(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"{_flag_name(attribute)} must be between 0 and 1, got {value}")


def _port(_instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 0 <= value <= 65535:
        raise ValueError(f"{_flag_name(attribute)} must be from 0 to 65535, got {value}")


def _scenario_name(_instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in SCENARIOS:
        raise ValueError(f"{_flag_name(attribute)} must be one of {', '.join(SCENARIOS)}")


def _to_kinds(value: str | Iterable[Fault | str]) -> frozenset[Fault]:
    items = value.split(",") if isinstance(value, str) else value
    try:
        return frozenset(Fault(str(item).strip()) for item in items if str(item).strip())
    except ValueError as exc:
        raise ValueError(f"--fault-kinds: {exc}") from None


def _to_retry_after(value: str | None) -> str | None:
    return None if value is None or value.lower() == "none" else value


def _quota_spec(_instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None:
        try:
            Quota.parse(value)
        except ValueError as exc:
            raise ValueError(f"{_flag_name(attribute)}: {exc}") from None


def _one_of(*choices: str) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{_flag_name(attribute)} must be one of {', '.join(choices)}")

    return check


@attrs.frozen(kw_only=True)
class LaunchOptions:
    """What a launched emulator serves, and how.

    Counts left ``None`` keep the named ``scenario``'s; ``latency_ms`` is *milliseconds*,
    ``clock_offset``, ``slow_seconds`` and ``retry_after`` are *seconds*. Bad values raise a
    ``ValueError`` naming the command-line flag. ``secret_key`` is the emulator's own (not a
    real secret), shown in the banner but kept out of ``repr``.
    """

    host: str = "127.0.0.1"
    port: int = attrs.field(default=8080, validator=_port)
    scenario: str = attrs.field(default="default", validator=_scenario_name)
    seed: int = 0
    encodings: int | None = attrs.field(default=None, validator=_at_least(0))
    imports: int | None = attrs.field(default=None, validator=_at_least(0))
    import_polls: int | None = attrs.field(default=None, validator=_at_least(1))
    import_failure_rate: float | None = attrs.field(default=None, validator=_fraction)
    index_polls: int | None = attrs.field(default=None, validator=_at_least(1))
    latency_ms: float = attrs.field(default=0.0, validator=_at_least(0))
    clock_offset: float = 0.0
    page_size_cap: int | None = attrs.field(default=None, validator=_at_least(1))
    statistics_as_strings: bool = False
    fault_rate: float = attrs.field(default=0.0, validator=_fraction)
    fault_kinds: frozenset[Fault] = attrs.field(default=DEFAULT_FAULT_KINDS, converter=_to_kinds)
    retry_after: str | None = attrs.field(default="0", converter=_to_retry_after)
    slow_seconds: float = attrs.field(default=5.0, validator=_at_least(0))
    quota: str | None = attrs.field(default=None, validator=_quota_spec)
    quota_mode: Literal["fixed", "sliding"] = attrs.field(
        default="fixed", validator=_one_of("fixed", "sliding")
    )
    quota_code: str = attrs.field(default="400", validator=_one_of("400", "410", "420"))
    quota_without_retry_after: bool = False
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = attrs.field(default=DEFAULT_SECRET_KEY, repr=False)
    stop_on_stdin_eof: bool = False

    def __attrs_post_init__(self) -> None:
        self.make_scenario()  # a count the scenario refuses is refused now, before binding
        if self.fault_rate > 0 and not self.fault_kinds:
            raise ValueError("--fault-kinds must name at least one kind when --fault-rate > 0")

    @classmethod
    def from_flags(cls, values: Mapping[str, Any]) -> LaunchOptions:
        """Options from parsed command-line values by field name; ``None`` means not given."""
        return cls(**{name: value for name, value in values.items() if value is not None})

    def make_scenario(self) -> Scenario:
        """The named scenario for ``seed``, with the counts given here."""
        scenario = SCENARIOS[self.scenario](self.seed)
        changes: dict[str, Any] = {
            "encodings": self.encodings,
            "imports": self.imports,
            "import_polls": self.import_polls,
            "import_failure_rate": self.import_failure_rate,
        }
        return attrs.evolve(scenario, **{k: v for k, v in changes.items() if v is not None})

    def make_quota(self) -> Quota | None:
        """The quota these options describe (``None``: no quota)."""
        if self.quota is None:
            return None
        return Quota.parse(
            self.quota,
            mode=self.quota_mode,
            code=self.quota_code,
            retry_after=not self.quota_without_retry_after,
        )

    def make_emulator(self) -> Emulator:
        """The emulator these options describe."""
        plan = None
        if self.fault_rate > 0:
            plan = FaultPlan(
                seed=self.seed,
                rate=self.fault_rate,
                kinds=self.fault_kinds,
                retry_after=self.retry_after,
                slow_seconds=self.slow_seconds,
            )
        emulator = Emulator(
            self.make_scenario(),
            access_key=self.access_key,
            secret_key=self.secret_key,
            clock_offset=self.clock_offset,
            latency=self.latency_ms / 1000,
            fault_plan=plan,
            quota=self.make_quota(),
        )
        emulator.vod_station.status_statistics_as_strings = self.statistics_as_strings
        if self.index_polls is not None:
            emulator.media_ai.index_polls = self.index_polls
        for store in emulator.stores:
            store.page_size_cap = self.page_size_cap
        return emulator


@attrs.frozen
class Flag:
    """One command-line option of the launcher, declared once for argparse and click.

    ``name`` is the ``LaunchOptions`` field; the option is ``--name-with-dashes``;
    ``kind`` is ``int``, ``float``, ``str`` or ``bool`` (a flag without a value).
    """

    name: str
    kind: type[Any]
    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None

    @property
    def option(self) -> str:
        """``--name-with-dashes``."""
        return _option(self.name)

    @property
    def help_text(self) -> str:
        """``help`` with the default, when there is one to show."""
        default = attrs.fields_dict(LaunchOptions)[self.name].default
        if default is None or self.kind is bool or isinstance(default, frozenset):
            return self.help  # the help says it
        return f"{self.help} (default: {default})"


FLAGS: Final = (
    Flag("host", str, "Address to bind.", "HOST"),
    Flag("port", int, "Port; 0 for any free port.", "PORT"),
    Flag(
        "scenario",
        str,
        "Data set: a few hundred of everything, the demo's thousands, or nothing.",
        choices=tuple(SCENARIOS),
    ),
    Flag("seed", int, "Seed of the data and of the faults.", "N"),
    Flag("encodings", int, "Exactly N encoding statuses (default: the scenario's).", "N"),
    Flag("imports", int, "Exactly N Media AI imports (default: the scenario's).", "N"),
    Flag(
        "import_polls",
        int,
        "Every import ends at its Nth poll (default: a seeded 1 to 4, 5 in the demo).",
        "N",
    ),
    Flag(
        "import_failure_rate",
        float,
        "Share of imports that fail, 0 to 1 (default: the scenario's).",
        "RATE",
    ),
    Flag(
        "index_polls",
        int,
        "Every analysis ends at its Nth status poll once picked up (default: 3).",
        "N",
    ),
    Flag("latency_ms", float, "Delay of every request, milliseconds.", "MS"),
    Flag("clock_offset", float, "Offset of the emulator's clock, seconds.", "SECONDS"),
    Flag(
        "page_size_cap",
        int,
        "Serve at most N items per page, whatever was asked (default: serve the size asked, "
        "refuse one above the service's maximum).",
        "N",
    ),
    Flag(
        "statistics_as_strings",
        bool,
        "Send the waiting/running/failure counts as strings, as the doc's field table says.",
    ),
    Flag("fault_rate", float, "Probability of a fault per request, 0 to 1.", "RATE"),
    Flag(
        "fault_kinds",
        str,
        f"Comma-separated fault kinds among {', '.join(kind.value for kind in Fault)} "
        "(default: all but slow and the hostile servers gzip_bomb, endless_body, deep_json, "
        "bogus_date).",
        "KINDS",
    ),
    Flag(
        "retry_after",
        str,
        "Retry-After seconds sent with 429 faults; 'none' for no header.",
        "SECONDS",
    ),
    Flag("slow_seconds", float, "Delay of a slow fault, seconds.", "SECONDS"),
    Flag(
        "quota",
        str,
        "At most REQUESTS every SECONDS per access key, e.g. 600/60; beyond it the gateway's "
        "429 (default: no quota).",
        "REQUESTS/SECONDS",
    ),
    Flag(
        "quota_mode",
        str,
        "How the quota counts: per calendar window, or at most REQUESTS in any SECONDS.",
        choices=("fixed", "sliding"),
    ),
    Flag(
        "quota_code",
        str,
        "errorCode of the quota's 429: 400 Quota Exceeded, 410 Throttle Limited, 420 Rate Limited.",
        choices=("400", "410", "420"),
    ),
    Flag(
        "quota_without_retry_after",
        bool,
        "Send no Retry-After with the quota's 429 (the real gateway documents none).",
    ),
    Flag("access_key", str, "Access key the emulator accepts.", "KEY"),
    Flag("secret_key", str, "Secret key of that access key (the emulator's, not a secret).", "KEY"),
    Flag(
        "stop_on_stdin_eof",
        bool,
        "Also stop when standard input closes (for a parent process holding the pipe).",
    ),
)
"""The launcher's command-line options, in the order ``--help`` lists them."""


def argument_parser(prog: str) -> argparse.ArgumentParser:
    """An argparse parser of ``FLAGS``; every value defaults to ``None`` (not given), for
    ``LaunchOptions.from_flags``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve an emulator of the NCP media APIs (VOD Station, Live Station, "
        "Media AI) with signature checking and optional fault injection, until Ctrl-C or "
        "SIGTERM.",
    )
    for flag in FLAGS:
        if flag.kind is bool:
            parser.add_argument(flag.option, action="store_true", default=None, help=flag.help_text)
        else:
            parser.add_argument(
                flag.option,
                type=flag.kind,
                choices=flag.choices,
                metavar=None if flag.choices else flag.metavar,
                help=flag.help_text,
            )
    return parser


# ----------------------------------------------------------------------------------- banner


def banner(url: str, emulator: Emulator) -> list[str]:
    """The lines a launched emulator prints: where it listens, the ``export`` line of its
    endpoint and key pair, what it holds, and how to stop it."""
    exports = {
        ENDPOINT_ENV: url,
        "NCP_ACCESS_KEY": emulator.access_key,
        "NCP_SECRET_KEY": emulator.secret_key,
    }
    info = emulator.info()
    lines = [
        f"listening on {url}",
        "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in exports.items()),
        f"vod channels: {' '.join(info['vod_channels']) or '-'}",
        f"live channels: {' '.join(info['live_channels']) or '-'}",
        f"encoding statuses: {info['encoding_statuses']}",
    ]
    refs = info["imports"]
    if refs:
        lines.append(
            f"imports: {len(refs)}, {'/'.join(refs[0])} .. {'/'.join(refs[-1])} "
            f"(all: GET {url}/_emulator/info)"
        )
    if emulator.fault_plan is not None:
        lines.append(f"faults: {emulator.fault_plan}")
    if emulator.quotas.quota is not None:
        lines.append(f"quota per access key: {emulator.quotas.quota}")
    lines.append("press Ctrl-C to stop")
    return lines


@attrs.frozen
class Banner:
    """What the first two banner lines say: the base ``url`` and the key pair to sign with."""

    url: str
    access_key: str
    secret_key: str = attrs.field(repr=False)

    @classmethod
    def parse(cls, lines: Iterable[str]) -> Banner:
        """Read the first two lines of a banner (from a list or a pipe; nothing more is read).

        Raises ``ValueError`` if they are not ``listening on URL`` and the ``export`` line.
        """
        it = iter(lines)
        first, second = next(it, ""), next(it, "")
        if not first.startswith("listening on "):
            raise ValueError(f"not an emulator banner: {first!r}")
        words = shlex.split(second)
        if words[:1] != ["export"]:
            raise ValueError(f"not the banner's export line: {second!r}")
        exports = dict(word.partition("=")[::2] for word in words[1:])
        try:
            return cls(
                first.removeprefix("listening on ").strip(),
                exports["NCP_ACCESS_KEY"],
                exports["NCP_SECRET_KEY"],
            )
        except KeyError as exc:
            raise ValueError(f"the export line lacks {exc}: {second!r}") from None


# ------------------------------------------------------------------------------------ serve


class CannotListen(Exception):
    """The address could not be bound (in use, not local, no permission)."""


async def serve(options: LaunchOptions, out: TextIO | None = None) -> None:
    """Serve ``options`` until SIGINT or SIGTERM (or the end of standard input with
    ``stop_on_stdin_eof``), after writing the ``banner`` to ``out`` (stdout).

    Raises ``CannotListen`` when the address cannot be bound.
    """
    out = out if out is not None else sys.stdout
    emulator = options.make_emulator()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: KeyboardInterrupt instead
            loop.add_signal_handler(signum, stop.set)
    if options.stop_on_stdin_eof:

        def watch_stdin() -> None:
            sys.stdin.read()  # returns at EOF: the parent closed the pipe or died
            loop.call_soon_threadsafe(stop.set)

        threading.Thread(target=watch_stdin, daemon=True).start()
    try:
        server = await EmulatorServer(emulator, options.host, options.port).start()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CannotListen(f"cannot listen on {options.host}:{options.port}: {reason}") from None
    try:
        out.write("".join(line + "\n" for line in banner(server.url, emulator)))
        out.flush()
        await stop.wait()
    finally:
        await server.close()


def run(options: LaunchOptions) -> int:
    """Serve ``options`` (see ``serve``) on uvloop when it is installed; return the exit
    status: 0 once stopped (after ``emulator stopped`` on stderr), 1 after an ``error: ...``
    line when the address cannot be bound."""
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(serve(options))
    except KeyboardInterrupt:  # where signal handlers are not available
        pass
    except CannotListen as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("emulator stopped", file=sys.stderr)
    return 0


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop
