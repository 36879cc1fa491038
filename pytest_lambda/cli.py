"""The ``pytest-lambda`` command (also ``python -m pytest_lambda``).

Subcommands:

* ``event --list``: every source, its variants and SAM names;
* ``event SOURCE [VARIANT] [--PARAM VALUE ...] [--set PATH=VALUE ...] [--seed N]``: one event
  as JSON on stdout. ``SOURCE VARIANT`` also takes SAM's ``SERVICE EVENT`` with SAM's options.
* ``sync DIR [--check]``: (re)write or check the canonical events tree.

Data goes to stdout, diagnostics to stderr. Exit codes: 0 ok, 1 failure or drift, 2 usage.
Per-source flags come from each builder's keyword-only signature, so a new builder parameter is
a new flag.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import types
import typing
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal, NoReturn, Union

from .errors import EventBuildError, PytestLambdaError, close_matches
from .sources import _core
from .sources._sam import SAM_EVENTS, sam_names

__all__ = ["SYNC_NOW", "SYNC_SEED", "main"]

#: The fixed seed and instant of the canonical ``events/`` tree.
SYNC_SEED = 0
SYNC_NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)

PROG = "pytest-lambda"


class UsageError(Exception):
    """Bad command-line input: reported on stderr with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message}")


# -- flags derived from builder signatures --------------------------------------------------

Kind = Literal["bool", "int", "float", "str", "strlist", "json", "choice"]


def _kind(hint: Any) -> tuple[Kind, tuple[Any, ...]]:
    """How a builder parameter is given on the command line."""
    args: tuple[Any, ...] = (hint,)
    if typing.get_origin(hint) in (Union, types.UnionType):
        args = tuple(a for a in typing.get_args(hint) if a is not type(None))
    if len(args) == 1 and typing.get_origin(args[0]) is Literal:
        return "choice", typing.get_args(args[0])
    if args == (bool,):
        return "bool", ()
    if args == (int,):
        return "int", ()
    if args in ((float,), (float, int), (int, float)):
        return "float", ()
    has_strlist = any(
        typing.get_origin(a) in (list, Sequence) and typing.get_args(a) == (str,) for a in args
    )
    if str in args or bytes in args:
        # A str alternative wins: the text is passed as written (a JSON body stays byte for
        # byte what the user typed).
        return ("strlist" if has_strlist else "str"), ()
    if has_strlist and len(args) == 1:
        return "strlist", ()
    return "json", ()


def _json_value(flag: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{PROG} event: error: {flag} expects JSON, got {text!r} ({exc.msg} at column "
            f"{exc.colno}). Fix: quote it for the shell, e.g. {flag} '{{\"id\": 1}}'."
        ) from None


def _convert(flag: str, kind: Kind, raw: Any) -> Any:
    if kind == "json":
        return _json_value(flag, raw)
    if kind == "strlist":
        items: list[str] = list(raw)
        if len(items) == 1 and items[0].lstrip().startswith("["):
            value = _json_value(flag, items[0])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UsageError(f"{PROG} event: error: {flag} expects strings, got {items[0]!r}.")
            return value
        return items
    return raw


def _add_param(parser: argparse._ActionsContainer, name: str, hint: Any, flags: list[str]) -> None:
    kind, choices = _kind(hint)
    dest = f"param__{name}"
    help_type = _core._type_name(hint)
    if kind == "bool":
        parser.add_argument(
            *flags,
            dest=dest,
            action=argparse.BooleanOptionalAction,
            default=argparse.SUPPRESS,
            help=f"({help_type})",
        )
    elif kind == "choice":
        parser.add_argument(
            *flags,
            dest=dest,
            choices=choices,
            default=argparse.SUPPRESS,
            metavar="{" + ",".join(map(str, choices)) + "}",
        )
    elif kind == "strlist":
        parser.add_argument(
            *flags,
            dest=dest,
            nargs="+",
            default=argparse.SUPPRESS,
            metavar="VALUE",
            help=f"({help_type}; several values or a JSON array)",
        )
    else:
        convert: Any = {"int": int, "float": float}.get(kind, str)
        parser.add_argument(
            *flags,
            dest=dest,
            type=convert,
            default=argparse.SUPPRESS,
            metavar="JSON" if kind == "json" else kind.upper(),
            help=f"({help_type})",
        )


def _event_parser(info: _core.SourceInfo, variant: str, sam_options: dict[str, str]) -> _Parser:
    prog = f"{PROG} event {info.slug} {variant}"
    parser = _Parser(
        prog=prog, description=info.summary, allow_abbrev=False, epilog=f"AWS docs: {info.doc}"
    )
    common = parser.add_argument_group("common options")
    common.add_argument(
        "--seed", type=int, default=None, help="seed for ids and values (default: random)"
    )
    common.add_argument(
        "--now",
        default=None,
        metavar="ISO8601",
        help="the event's instant, e.g. 2024-01-01T00:00:00Z (default: now)",
    )
    common.add_argument("--region", default="us-east-1")
    common.add_argument("--account-id", dest="account_id", default="123456789012")
    common.add_argument("--partition", default=None, help="default: from the region")
    common.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="set a field after building: Records[0].body='\"x\"' (VALUE is JSON "
        "when it parses, else text); repeatable",
    )
    common.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="write to FILE (only if the event builds) instead of stdout",
    )
    common.add_argument("--compact", action="store_true", help="one line of JSON")
    params = parser.add_argument_group(f"{info.slug} parameters")
    for name in info.parameters:
        flags = [f"--{name.replace('_', '-')}"]
        if "_" in name:
            flags.append(f"--{name}")
        flags += [f"--{o}" for o, p in sam_options.items() if p == name and f"--{o}" not in flags]
        _add_param(params, name, info.hints.get(name, Any), flags)
    return parser


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{PROG} event: error: --now {text!r} is not an ISO 8601 instant. "
            "Fix: --now 2024-01-01T00:00:00Z."
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _parse_set(item: str) -> tuple[str, Any]:
    path, sep, text = item.partition("=")
    if not sep or not path:
        raise UsageError(
            f"{PROG} event: error: --set {item!r} is not PATH=VALUE. "
            "Fix: --set 'Records[0].awsRegion=eu-west-1'."
        )
    try:
        return path, json.loads(text)
    except json.JSONDecodeError:
        return path, text


# -- event ----------------------------------------------------------------------------------


def _list_sources(out: typing.TextIO) -> None:
    rows = [("SOURCE", "VARIANT", "SAM NAME", "AWS DOCS")]
    for slug, info in _core.registry().items():
        for variant in info.variants:
            label = variant + (" (default)" if variant == info.default_variant else "")
            rows.append((slug, label, ", ".join(sam_names(slug, variant)) or "-", info.doc))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)))
        out.write(f"  {row[3]}\n")


def markdown_table() -> str:
    """The event source table of README.md: source, variants, SAM names, AWS docs."""
    lines = [
        "| source | variants (default first) | SAM `service event` | AWS docs |",
        "|---|---|---|---|",
    ]
    for slug, info in _core.registry().items():
        variants = ", ".join(f"`{v}`" for v in info.variants)
        sam = ", ".join(f"`{n}`" for v in info.variants for n in sam_names(slug, v)) or "-"
        lines.append(f"| `{slug}` | {variants} | {sam} | [{_doc_label(info.doc)}]({info.doc}) |")
    return "\n".join(lines) + "\n"


def _doc_label(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1].split("#")[0].removesuffix(".html")


def _write_atomic(path: Path, text: str) -> None:
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cmd_event(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(
            f"usage: {PROG} event --list\n"
            f"       {PROG} event SOURCE [VARIANT] [--PARAM VALUE ...] [--set PATH=VALUE ...] "
            "[--seed N]\n\n"
            "Print one realistic Lambda event as JSON. SOURCE VARIANT may also be a SAM CLI\n"
            "'SERVICE EVENT' pair (e.g. 'apigateway aws-proxy'). "
            f"'{PROG} event SOURCE --help' lists a source's parameters.\n"
        )
        return 0
    if argv[0] == "--list":
        if argv[1:] == ["--markdown"]:
            sys.stdout.write(markdown_table())
            return 0
        if len(argv) > 1:
            raise UsageError(f"{PROG} event: error: --list takes only --markdown.")
        _list_sources(sys.stdout)
        return 0
    source, rest = argv[0], argv[1:]
    variant = rest[0] if rest and not rest[0].startswith("-") else None
    if variant is not None:
        rest = rest[1:]
    info, variant_name, preset = _core.resolve(source, variant)
    sam = SAM_EVENTS.get((source, variant or "")) if variant else None
    sam_options = sam.options if sam is not None and sam.slug == info.slug else {}
    parser = _event_parser(info, variant_name, sam_options)
    args, unknown = parser.parse_known_args(rest)
    if unknown:
        flag = next((u for u in unknown if u.startswith("-")), unknown[0])
        known = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
        hint = close_matches(flag.split("=", 1)[0], known)
        raise UsageError(
            f"{parser.prog}: error: unrecognized argument {flag!r}.\n"
            + (f"{hint}\n" if hint else "")
            + f"{info.slug} parameters: "
            + ", ".join(f"--{n.replace('_', '-')}" for n in info.parameters)
            + f"\nRun '{PROG} event {info.slug} --help' for details."
        )
    params = {k[len("param__") :]: v for k, v in vars(args).items() if k.startswith("param__")}
    for name, raw in params.items():
        hint = info.hints.get(name, Any)
        kind, _ = _kind(hint)
        value = _convert(f"--{name.replace('_', '-')}", kind, raw)
        if kind == "strlist" and len(raw) == 1 and _core._matches(raw[0], hint):
            value = raw[0]  # one value where a plain string is allowed
        params[name] = value
    path = params.get("path")
    if sam_options and isinstance(path, str) and not path.startswith("/"):
        # SAM's templates put the "/" in front of --path (its default is path/to/resource).
        params["path"] = "/" + path
    sets = [_parse_set(item) for item in args.sets]
    event = _core.build(
        info.slug,
        variant_name,
        seed=args.seed,
        now=_parse_now(args.now),
        region=args.region,
        account_id=args.account_id,
        partition=args.partition,
        patch=dict(sets) if sets else None,
        **{**preset, **params},
    )
    text = (
        json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        if args.compact
        else json.dumps(event, ensure_ascii=False, indent=2)
    ) + "\n"
    if args.output:
        _write_atomic(Path(args.output), text)
    else:
        sys.stdout.write(text)
    return 0


# -- sync -----------------------------------------------------------------------------------


def canonical_events() -> dict[str, str]:
    """``<slug>/<variant>.json`` -> file text, for every registered source and variant."""
    files: dict[str, str] = {}
    for slug, info in _core.registry().items():
        for variant in info.variants:
            event = _core.build(slug, variant, seed=SYNC_SEED, now=SYNC_NOW)
            files[f"{slug}/{variant}.json"] = json.dumps(event, ensure_ascii=False, indent=2) + "\n"
    return files


def _cmd_sync(argv: list[str]) -> int:
    parser = _Parser(
        prog=f"{PROG} sync",
        description=(
            "Write the canonical sample events, DIR/<source>/<variant>.json, built with seed "
            f"{SYNC_SEED} at {SYNC_NOW.isoformat()}. With --check, write nothing and exit 1 if "
            "any file is missing, stale or unknown."
        ),
    )
    parser.add_argument("dir", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    root: Path = args.dir
    wanted = canonical_events()
    present = (
        {p.relative_to(root).as_posix() for p in root.glob("*/*.json")} if root.is_dir() else set()
    )
    problems: list[str] = []
    for name, text in wanted.items():
        path = root / name
        if name not in present:
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: out of date")
    problems += [
        f"{root / name}: no such source or variant" for name in sorted(present - set(wanted))
    ]
    if args.check:
        for line in problems:
            sys.stderr.write(line + "\n")
        if problems:
            sys.stderr.write(f"{len(problems)} file(s) differ. Fix: {PROG} sync {root}\n")
            return 1
        sys.stderr.write(f"{len(wanted)} events in {root} are up to date.\n")
        return 0
    for name, text in wanted.items():
        path = root / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            _write_atomic(path, text)
    for name in sorted(present - set(wanted)):
        (root / name).unlink()
    sys.stderr.write(f"{len(wanted)} events in {root}; {len(problems)} written or removed.\n")
    return 0


# -- invoke ---------------------------------------------------------------------------------


def _cmd_invoke(argv: list[str]) -> int:
    parser = _Parser(
        prog=f"{PROG} invoke",
        description="Run a handler once in an execution environment with Lambda's limits: "
        "the response payload on stdout, the logs and REPORT line on stderr, exit 1 on a "
        "function error.",
    )
    parser.add_argument("handler", help="module.function, e.g. app.handler")
    parser.add_argument(
        "--event",
        default=None,
        metavar="FILE|-",
        help="the event JSON file, or - for stdin (default: {})",
    )
    parser.add_argument("--code-dir", default=".", help="the function's code (default: .)")
    parser.add_argument("--timeout", default=None, help="seconds (default 3)")
    parser.add_argument("--memory", default=None, help="MB (default 128)")
    parser.add_argument("--ephemeral-storage", default=None, help="/tmp MB (default 512)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable; repeatable",
    )
    parser.add_argument(
        "--layer",
        action="append",
        default=[],
        metavar="DIR",
        help="a layer directory (its python/ goes on sys.path); repeatable",
    )
    parser.add_argument("--function-name", default="my-function")
    parser.add_argument("--isolation", choices=("process", "inline"), default="process")
    args = parser.parse_args(argv)
    if args.event in (None, ""):
        event_text = "{}"
    elif args.event == "-":
        event_text = sys.stdin.read()
    else:
        try:
            event_text = Path(args.event).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"{PROG} invoke: error: cannot read --event {args.event!r}: {exc.strerror}."
            ) from None
    environment: dict[str, str] = {}
    for item in args.env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"{PROG} invoke: error: --env {item!r} is not NAME=VALUE.")
        environment[name] = value
    from .config import SETTINGS
    from .invoke import LambdaFunction

    settings: dict[str, Any] = {}
    for name, raw in (
        ("timeout", args.timeout),
        ("memory", args.memory),
        ("ephemeral_storage", args.ephemeral_storage),
    ):
        if raw is not None:
            settings[name] = SETTINGS[name].parse(raw, f"from --{name.replace('_', '-')}")
    with LambdaFunction(
        args.handler,
        code_dir=args.code_dir,
        environment=environment,
        layers=args.layer,
        function_name=args.function_name,
        isolation=args.isolation,
        **settings,
    ) as function:
        result = function.invoke(event_text)
    sys.stderr.write(result.logs)
    if result.status_code >= 300:
        sys.stderr.write(f"{PROG} invoke: {result.error_type}: {result.error_message}\n")
        return 1
    payload = result.payload
    if isinstance(payload, bytes):
        sys.stdout.buffer.write(payload + b"\n")
    else:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    return 1 if result.function_error else 0


# -- main -----------------------------------------------------------------------------------

_COMMANDS = {"event": _cmd_event, "invoke": _cmd_invoke, "sync": _cmd_sync}
_USAGE = (
    f"usage: {PROG} {{event,invoke,sync}} ...\n\n"
    "  event   print a realistic Lambda event as JSON (event --list shows all sources)\n"
    "  invoke  run a handler once with Lambda's limits (payload on stdout, logs on stderr)\n"
    "  sync    write or --check the canonical events/ tree\n"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        (sys.stdout if args else sys.stderr).write(_USAGE)
        return 0 if args else 2
    if args[0] == "--version":
        from . import __version__

        sys.stdout.write(f"{PROG} {__version__}\n")
        return 0
    command = _COMMANDS.get(args[0])
    try:
        if command is None:
            raise UsageError(
                f"{PROG}: error: unknown command {args[0]!r}. Commands: {', '.join(_COMMANDS)}."
            )
        return command(args[1:])
    except UsageError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    except (EventBuildError, PytestLambdaError) as exc:
        sys.stderr.write(f"{PROG} {args[0]}: error: {exc}\n")
        return 2
    except SystemExit as exc:  # argparse's --help
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:
        # `pytest-lambda event ... | head`: the reader went away; not an error of ours.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
