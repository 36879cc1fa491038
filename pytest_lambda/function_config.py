"""One Lambda function's configuration, checked against AWS's rules, and the environment its
handler process gets.

:class:`FunctionConfig` is what ``CreateFunction`` / ``UpdateFunctionConfiguration`` would
accept: every value is checked when the object is built, and a bad value raises
:class:`~pytest_lambda.errors.ConfigError` naming the parameter, the value, AWS's rule and the
fix. :meth:`FunctionConfig.lambda_environment` builds the *complete* environment of the
handler's process, the way Lambda's runtime does (reference ``lambda-behavior.md`` 1.1, 1.2):
nothing is inherited from the developer's shell, and the developer's AWS credentials reach the
handler only with ``pass_aws_credentials=True``.

Sources (reference keys as in ``/work/shared/reference/lambda-behavior.md``):

* reserved and unreserved variables: [DG] configuration-envvars.html; merge order: [RIE]
  ``rapidcore/env/environment.go`` ``RuntimeExecEnv`` and ``constants.go``;
* 4 KB environment limit, how it is measured and both refusal messages: [DG] quotas,
  [DG-2023] troubleshooting-deployment; the reserved-keys message ends with
  ``Reserved keys used in this request: <keys>`` ([OBS] Terraform/CDK transcripts);
* name, handler, alias and version patterns: [API] botocore ``lambda/2015-03-31``;
* 5 layers, ``Cannot reference more than 5 layers.``: [DG] quotas, [OBS] LocalStack;
* 250 MB unzipped code + layers: [DG] gettingstarted-limits.html; messages
  ``Unzipped size must be smaller than <n> bytes`` (``<n>`` = 262,144,000 less the layers) and
  ``Layers consume more than the available size of 262144000 bytes`` ([OBS] CloudFormation
  output quoted in public issues);
* layer paths ``python`` and ``python/lib/python3.x/site-packages``, ``bin`` (PATH),
  ``lib`` (LD_LIBRARY_PATH): [DG] packaging-layers.html;
* Python runtimes and their deprecation dates: [DG] lambda-python.html and lambda-runtimes.html
  (python3.14 added 2025-11, AWS What's New); deprecated runtimes keep running: [DG]
  runtime-support-policy.html ("the function continues to be available to process
  invocation events");
* log format and levels: [API] ``LoggingConfig``; "To use log-level filtering, your function
  must be configured to use the JSON log format" and default level INFO: [DG]
  monitoring-cloudwatchlogs-log-level.html.

This module imports only the standard library (and pytest-lambda's own stdlib-only modules):
the runtime shim in the handler's process may import it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import InitVar, dataclass, field, fields
from datetime import date
from types import MappingProxyType
from typing import Any, Literal

from ._clock import utc_now
from ._names import partition_for
from .config import parse_ephemeral_storage, parse_memory, parse_timeout
from .errors import ConfigError, close_matches
from .limits import QUOTAS_URL

__all__ = [
    "ENVIRONMENT_BYTES",
    "FAKE_CREDENTIALS",
    "LAYERS_PER_FUNCTION",
    "PYTHON_RUNTIMES",
    "RESERVED_ENVIRONMENT_KEYS",
    "SKIPPED_DIRECTORIES",
    "UNZIPPED_BYTES",
    "FunctionConfig",
    "default_runtime",
    "environment_size",
    "make_log_stream_name",
    "measured_environment",
    "package_size",
]

# --- AWS numbers (move to limits.py) -----------------------------------------------------------

#: Environment variables, all of them, as compact JSON in UTF-8: 4 KB ([DG] quotas). Move to
#: limits.py.
ENVIRONMENT_BYTES = 4096
#: Layers per function ([DG] quotas). Move to limits.py.
LAYERS_PER_FUNCTION = 5
#: Unzipped deployment package, function code plus all layers: 250 MB = 262,144,000 bytes
#: ([DG] quotas; the byte count is the one in AWS's error messages). Move to limits.py.
UNZIPPED_BYTES = 262_144_000
#: ``Handler``: at most 128 characters, pattern ``[^\s]+`` ([API]). Move to limits.py.
HANDLER_MAX_CHARS = 128
#: ``FunctionName`` (a plain name, not an ARN): 1-64 of ``[a-zA-Z0-9-_]`` ([API]). Move to
#: limits.py.
FUNCTION_NAME_MAX_CHARS = 64
#: Alias name: 1-128 characters ([API] ``Alias``). Move to limits.py.
ALIAS_MAX_CHARS = 128
#: ``LoggingConfig.LogGroup``: 1-512 characters, ``[\.\-_/#A-Za-z0-9]+`` ([API]). Move to
#: limits.py.
LOG_GROUP_MAX_CHARS = 512

ENVVARS_URL = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html"
RUNTIMES_URL = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
LAYERS_URL = "https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html"
LOG_LEVEL_URL = (
    "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html"
)

#: Python runtimes Lambda runs, with the date each is (or was) deprecated ([DG] lambda-python,
#: checked 2026-11-22). A deprecated runtime can no longer be chosen for *new* functions, but
#: existing functions keep running on it, so it is accepted here.
PYTHON_RUNTIMES: Mapping[str, str] = MappingProxyType(
    {
        "python3.9": "2025-12-15",
        "python3.10": "2026-06-30",
        "python3.11": "2026-06-30",
        "python3.12": "2028-10-31",
        "python3.13": "2029-06-30",
        "python3.14": "2029-06-30",
    }
)
# Runtimes whose creation *and* update AWS has blocked for good.
_ENDED_PYTHON_RUNTIMES = ("python2.7", "python3.6", "python3.7", "python3.8")

#: Variables Lambda sets and a function's configuration may not set ([DG] configuration-envvars,
#: "Reserved environment variables", current list). ``AWS_ACCESS_KEY`` is reserved but, as in
#: [RIE], never set.
RESERVED_ENVIRONMENT_KEYS: frozenset[str] = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "AWS_LAMBDA_MAX_CONCURRENCY",
        "AWS_LAMBDA_METADATA_API",
        "AWS_LAMBDA_METADATA_TOKEN",
    }
)

# What to set instead, for the "fix" part of the reserved-key error.
_RESERVED_FIX = {
    "_HANDLER": "handler=",
    "AWS_REGION": "region=",
    "AWS_DEFAULT_REGION": "region=",
    "AWS_EXECUTION_ENV": "runtime=",
    "AWS_LAMBDA_FUNCTION_NAME": "function_name=",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "memory=",
    "AWS_LAMBDA_FUNCTION_VERSION": "qualifier=",
    "AWS_LAMBDA_LOG_GROUP_NAME": "log_group=",
    "LAMBDA_TASK_ROOT": "code_dir=",
    "AWS_ACCESS_KEY_ID": "pass_aws_credentials=True",
    "AWS_SECRET_ACCESS_KEY": "pass_aws_credentials=True",
    "AWS_SESSION_TOKEN": "pass_aws_credentials=True",
    "AWS_ACCESS_KEY": "pass_aws_credentials=True",
}

#: Execution-role credentials the handler gets unless ``pass_aws_credentials=True``: obviously
#: fake, so a call that escapes every mock fails at AWS instead of touching a real account.
FAKE_CREDENTIALS: Mapping[str, str] = MappingProxyType(
    {
        "AWS_ACCESS_KEY_ID": "ASIAFAKEPYTESTLAMBDA",
        "AWS_SECRET_ACCESS_KEY": "pytest-lambda-fake-secret-access-key",
        "AWS_SESSION_TOKEN": "pytest-lambda-fake-session-token",
    }
)

# The calling process's variables that make up the AWS SDKs' credential chain: copied to the
# handler only with pass_aws_credentials=True. AWS_REGION / AWS_DEFAULT_REGION never are: they
# come from ``region``.
_CREDENTIAL_CHAIN_KEYS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)

#: Directory names never counted in the 250 MB measurement, at any depth: tool caches, virtual
#: environments and VCS data that a real deployment package leaves out. The walk also stops as
#: soon as the limit is passed, so it stays cheap on a whole project directory.
SKIPPED_DIRECTORIES: frozenset[str] = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        "node_modules",
        ".aws-sam",
        ".serverless",
        ".idea",
        ".vscode",
    }
)

_INITIALIZATION_TYPES = (
    "on-demand",
    "provisioned-concurrency",
    "snap-start",
    "lambda-managed-instances",
)
_APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
_ARCHITECTURES = ("x86_64", "arm64")

_ENV_KEY = re.compile(r"[a-zA-Z][a-zA-Z0-9_]+")
_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_ALIAS = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9_-]+)")
_VERSION = re.compile(r"[1-9][0-9]*")
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}")
_ACCOUNT = re.compile(r"[0-9]{12}")
_LOG_GROUP = re.compile(r"[.\-_/#A-Za-z0-9]+")
_HEX32 = re.compile(r"[0-9a-f]{32}")

# Lambda's unreserved defaults ([DG] configuration-envvars); `/var/lang/bin` (where Lambda's
# python3 lives) becomes the directory of the running interpreter, `/opt` a layer directory.
_SYSTEM_PATH = ("/usr/local/bin", "/usr/bin/", "/bin")
_SYSTEM_LIBRARY_PATH = ("/lib64", "/usr/lib64")
# X-Ray daemon: Lambda gives a link-local address; ours is loopback so nothing leaves the host.
_XRAY_DAEMON_ADDRESS = "127.0.0.1:2000"


# --- helpers ------------------------------------------------------------------------------------


def default_runtime(minor: int | None = None) -> str:
    """``python3.X`` for the running interpreter (or Python 3.``minor``), clamped to the
    runtimes Lambda has: an interpreter newer than the newest runtime gets the newest."""
    versions = sorted(int(name.split(".")[1]) for name in PYTHON_RUNTIMES)
    wanted = sys.version_info.minor if minor is None else minor
    return f"python3.{min(max(wanted, versions[0]), versions[-1])}"


def measured_environment(environment: Mapping[str, str]) -> str:
    """The string Lambda measures against the 4 KB limit: the variables as compact JSON.

    ``{"BUCKET":"my-bucket","KEY":"file.txt"}`` is 39 bytes. Non-ASCII characters are kept as
    they are (2 to 4 bytes each in UTF-8), as the developer guide says, not ``\\u`` escaped.
    """
    return json.dumps(dict(environment), separators=(",", ":"), ensure_ascii=False)


def environment_size(environment: Mapping[str, str]) -> int:
    """Bytes Lambda counts for these variables: ``len(measured_environment(env).encode())``."""
    return len(measured_environment(environment).encode("utf-8"))


def make_log_stream_name(day: date, version: str, environment_id: str | None = None) -> str:
    """``YYYY/MM/DD/[<version>]<32 hex>``, e.g. ``2023/08/31/[$LATEST]3893...283c``.

    ``environment_id`` is the execution environment's 32 lowercase hex digits (new random ones
    when omitted).
    """
    env_id = uuid.uuid4().hex if environment_id is None else environment_id
    if not _HEX32.fullmatch(env_id):
        raise ConfigError(
            f"Invalid environment_id {env_id!r}: a log stream name ends in 32 lowercase hex "
            "digits (uuid.uuid4().hex)."
        )
    return f"{day:%Y/%m/%d}/[{version}]{env_id}"


def package_size(
    path: str | os.PathLike[str],
    *,
    stop_after: int | None = None,
    exclude: Iterable[str] = (),
) -> int:
    """Bytes of the regular files under ``path``, as Lambda counts an unzipped package.

    Directories named in :data:`SKIPPED_DIRECTORIES` are left out at any depth, and so are the
    absolute directory paths in ``exclude``. Symbolic links to files count as their target
    (``zip`` stores the target); links to directories are not followed. The walk stops once
    the total reaches ``stop_after``, so the result is then a lower bound.
    """
    excluded = {os.path.abspath(p) for p in exclude}
    total = 0
    stack = [os.path.abspath(os.fspath(path))]
    while stack:
        current = stack.pop()
        try:
            entries = os.scandir(current)
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIPPED_DIRECTORIES and entry.path not in excluded:
                            stack.append(entry.path)
                    elif entry.is_file():
                        total += entry.stat().st_size
                except OSError:  # vanished, or a dangling link
                    continue
                if stop_after is not None and total >= stop_after:
                    return total
    return total


def _where(where: str) -> str:
    return where or "in FunctionConfig"


def _invalid(param: str, value: object, where: str, rule: str, fix: str) -> ConfigError:
    return ConfigError(f"Invalid {param} {value!r} {_where(where)}: {rule} {fix}")


def _hint(word: str, choices: Iterable[str]) -> str:
    suggestion = close_matches(word, choices)
    return f" {suggestion}" if suggestion else ""


def _path_string(value: object, param: str, where: str) -> str:
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if isinstance(text, str) and text:
            return os.path.abspath(os.path.expanduser(text))
    raise _invalid(param, value, where, "expected a directory path.", "Pass a str or Path.")


# --- the configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionConfig:
    """A Lambda function's configuration, validated against AWS's rules when built.

    ``code_dir`` and ``layers`` are stored as absolute paths; ``timeout``, ``memory`` and
    ``ephemeral_storage`` as numbers; ``environment`` as a read-only mapping. Build one with
    :meth:`create` to say where the values came from in error messages::

        FunctionConfig.create("app.handler", timeout=5, where="from @pytest.mark.lambda_timeout")

    Differences from AWS, on purpose: ``timeout`` may be fractional and below 1 s (fast tests
    of timeouts); relative paths are relative to the current directory; the runtime only names
    the environment (``AWS_EXECUTION_ENV``, layer ``site-packages``) -- the code runs on the
    interpreter running the tests.
    """

    handler: str
    code_dir: str = "."
    function_name: str = "my-function"
    timeout: float = 3
    memory: int = 128
    ephemeral_storage: int = 512
    environment: Mapping[str, str] = field(default_factory=dict, hash=False)
    layers: tuple[str, ...] = ()
    qualifier: str | None = None
    alias_version: str | None = None
    region: str = "us-east-1"
    account_id: str = "123456789012"
    architecture: Literal["x86_64", "arm64"] = "x86_64"
    runtime: str = field(default_factory=default_runtime)
    log_format: Literal["Text", "JSON"] = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None
    log_group: str | None = None
    pass_aws_credentials: bool = False
    where: InitVar[str] = ""

    # -- construction --

    @classmethod
    def create(cls, handler: str, *, where: str = "", **settings: Any) -> FunctionConfig:
        """Build a config; ``where`` ("from @pytest.mark.lambda_env on test_x") goes into every
        error message. Settings given as ``None`` take their default, and an unknown setting
        is a :class:`ConfigError` with the closest valid names."""
        known = [f.name for f in fields(cls) if f.name != "handler"]
        for name in settings:
            if name not in known:
                raise ConfigError(
                    f"Unknown function setting {name!r} {_where(where)}: valid settings are "
                    f"{', '.join(known)}.{_hint(name, known)}"
                )
        given = {name: value for name, value in settings.items() if value is not None}
        return cls(handler, where=where, **given)

    def __post_init__(self, where: str) -> None:
        put = object.__setattr__
        self._check_handler(where)
        self._check_function_name(where)
        code_dir = _path_string(self.code_dir, "code_dir", where)
        if not os.path.isdir(code_dir):
            raise _invalid(
                "code_dir",
                self.code_dir,
                where,
                f"the function's code directory (its task root) must exist; {code_dir!r} "
                f"{'is not a directory' if os.path.exists(code_dir) else 'does not exist'}.",
                "Point code_dir at the directory that holds the handler's module.",
            )
        put(self, "code_dir", code_dir)
        put(self, "timeout", parse_timeout(self.timeout, _where(where)))
        put(self, "memory", parse_memory(self.memory, _where(where)))
        put(
            self,
            "ephemeral_storage",
            parse_ephemeral_storage(self.ephemeral_storage, _where(where)),
        )
        self._check_choices(where)
        self._check_qualifier(where)
        put(self, "environment", _check_environment(self.environment, where))
        self._check_logging(where)
        if not isinstance(self.pass_aws_credentials, bool):
            raise _invalid(
                "pass_aws_credentials",
                self.pass_aws_credentials,
                where,
                "expected True or False.",
                "Pass pass_aws_credentials=True to let the handler use your real credentials.",
            )
        put(self, "layers", _check_layers(self.layers, where))
        _check_package_size(self.code_dir, self.layers, where)

    def _check_handler(self, where: str) -> None:
        handler = self.handler
        if not isinstance(handler, str):
            raise _invalid(
                "handler", handler, where, "expected a string.", "Write 'module.function'."
            )
        rule = ""
        if not handler or len(handler) > HANDLER_MAX_CHARS:
            rule = f"Lambda accepts 1 to {HANDLER_MAX_CHARS} characters (API pattern [^\\s]+)."
        elif re.search(r"\s", handler):
            rule = "Lambda's handler may not contain whitespace (API pattern [^\\s]+)."
        elif "." not in handler:
            rule = (
                "the Python runtime splits the handler at its last '.' into module and "
                f"function, so every invoke would fail with Runtime.MalformedHandlerName "
                f"(\"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)\")."
            )
        else:
            module, function = handler.rsplit(".", 1)
            if not module or not function:
                rule = (
                    "the part before the last '.' (the module, '/' allowed for folders) and the "
                    "part after it (the function) must both be non-empty, or every invoke fails "
                    "(Runtime.ImportModuleError or Runtime.HandlerNotFound)."
                )
            elif module.endswith(".py"):
                rule = (
                    f"the module part {module!r} names a file with its '.py' suffix; Lambda "
                    "would import a module called 'py' and fail with Runtime.ImportModuleError."
                )
        if rule:
            raise _invalid(
                "handler",
                handler,
                where,
                rule,
                "Write 'module.function' (file without '.py'), e.g. 'app.handler' or "
                "'src/app.handler'.",
            )

    def _check_function_name(self, where: str) -> None:
        name = self.function_name
        if not isinstance(name, str):
            raise _invalid("function_name", name, where, "expected a string.", "Quote it.")
        if not _FUNCTION_NAME.fullmatch(name) or len(name) > FUNCTION_NAME_MAX_CHARS:
            fixed = re.sub(r"[^a-zA-Z0-9_-]+", "-", name).strip("-")[:FUNCTION_NAME_MAX_CHARS]
            raise _invalid(
                "function_name",
                name,
                where,
                f"Lambda function names are 1 to {FUNCTION_NAME_MAX_CHARS} letters, digits, "
                "'-' and '_' (API pattern [a-zA-Z0-9-_]+).",
                f"Use e.g. {fixed or 'my-function'!r}.",
            )

    def _check_choices(self, where: str) -> None:
        runtime = self.runtime
        if not isinstance(runtime, str) or runtime not in PYTHON_RUNTIMES:
            known = ", ".join(PYTHON_RUNTIMES)
            if runtime in _ENDED_PYTHON_RUNTIMES:
                rule = (
                    f"The runtime parameter of {runtime} is no longer supported for creating or "
                    "updating AWS Lambda functions. We recommend you use a supported runtime "
                    "while creating or updating functions."
                )
            else:
                rule = f"Lambda's Python runtimes are {known} (docs: {RUNTIMES_URL})."
            raise _invalid(
                "runtime",
                runtime,
                where,
                rule,
                f"Use one of {known}; the default is the running interpreter's "
                f"({default_runtime()}).{_hint(str(runtime), PYTHON_RUNTIMES)}",
            )
        if self.architecture not in _ARCHITECTURES:
            raise _invalid(
                "architecture",
                self.architecture,
                where,
                "Lambda's architectures are x86_64 and arm64 (API enum [x86_64, arm64]).",
                f"Use 'x86_64' or 'arm64'.{_hint(str(self.architecture), _ARCHITECTURES)}",
            )
        if not isinstance(self.region, str) or not _REGION.fullmatch(self.region):
            raise _invalid(
                "region",
                self.region,
                where,
                "expected an AWS Region code such as 'us-east-1' or 'eu-central-2'.",
                "Use the lowercase Region code.",
            )
        if not isinstance(self.account_id, str) or not _ACCOUNT.fullmatch(self.account_id):
            raise _invalid(
                "account_id",
                self.account_id,
                where,
                "an AWS account ID is exactly 12 digits.",
                "Pass it as a string, e.g. '123456789012' (keeps leading zeros).",
            )

    def _check_qualifier(self, where: str) -> None:
        qualifier = self.qualifier
        if (
            qualifier is None
            or qualifier == "$LATEST"
            or (isinstance(qualifier, str) and _VERSION.fullmatch(qualifier))
        ):
            if self.alias_version is not None:
                raise _invalid(
                    "alias_version",
                    self.alias_version,
                    where,
                    f"it says which version an alias points to, but qualifier {qualifier!r} "
                    "is not an alias.",
                    "Drop alias_version, or set qualifier to an alias name such as 'live'.",
                )
            return
        if not isinstance(qualifier, str):
            raise _invalid("qualifier", qualifier, where, "expected a string.", "Quote it.")
        if qualifier.isdigit():
            raise _invalid(
                "qualifier",
                qualifier,
                where,
                "published versions are numbered from 1, with no leading zeros.",
                f"Use e.g. {str(int(qualifier) or 1)!r}.",
            )
        if not _ALIAS.fullmatch(qualifier) or len(qualifier) > ALIAS_MAX_CHARS:
            raise _invalid(
                "qualifier",
                qualifier,
                where,
                "a qualifier is '$LATEST', a version number ('1', '2', ...) or an alias name of "
                f"1 to {ALIAS_MAX_CHARS} letters, digits, '-' and '_', not all digits (API "
                "pattern (?!^[0-9]+$)([a-zA-Z0-9-_]+)).",
                "Use e.g. '$LATEST', '3' or 'live'.",
            )
        version = self.alias_version
        if (
            version is not None
            and version != "$LATEST"
            and not (isinstance(version, str) and _VERSION.fullmatch(version))
        ):
            raise _invalid(
                "alias_version",
                version,
                where,
                "an alias points to '$LATEST' or a published version number (API pattern "
                "(\\$LATEST|[0-9]+)).",
                "Use e.g. '3'.",
            )

    def _check_logging(self, where: str) -> None:
        if self.log_format not in ("Text", "JSON"):
            raise _invalid(
                "log_format",
                self.log_format,
                where,
                "Lambda's log formats are Text and JSON (API enum LogFormat).",
                f"Use 'Text' or 'JSON'.{_hint(str(self.log_format), ('Text', 'JSON'))}",
            )
        for param, value, choices in (
            ("application_log_level", self.application_log_level, _APPLICATION_LOG_LEVELS),
            ("system_log_level", self.system_log_level, _SYSTEM_LOG_LEVELS),
        ):
            if value is None:
                continue
            if value not in choices:
                raise _invalid(
                    param,
                    value,
                    where,
                    f"Lambda accepts {', '.join(choices)} (API enum).",
                    f"Use one of them, in capitals.{_hint(str(value).upper(), choices)}",
                )
            if self.log_format != "JSON":
                raise _invalid(
                    param,
                    value,
                    where,
                    "to use log-level filtering, your function must be configured to use the "
                    f"JSON log format (docs: {LOG_LEVEL_URL}).",
                    "Add log_format='JSON'.",
                )
        group = self.log_group
        if group is not None and (
            not isinstance(group, str)
            or not _LOG_GROUP.fullmatch(group)
            or len(group) > LOG_GROUP_MAX_CHARS
        ):
            raise _invalid(
                "log_group",
                group,
                where,
                f"a log group name is 1 to {LOG_GROUP_MAX_CHARS} characters of letters, digits "
                "and . - _ / # (API pattern [\\.\\-_/#A-Za-z0-9]+).",
                "Use e.g. '/aws/lambda/my-function', or leave it out for that default.",
            )

    # -- derived values --

    @property
    def partition(self) -> str:
        """``aws``, ``aws-cn``, ``aws-us-gov``, ... from the region."""
        return partition_for(self.region)

    @property
    def function_arn(self) -> str:
        """The unqualified ARN: ``arn:aws:lambda:us-east-1:123456789012:function:my-function``."""
        return (
            f"arn:{self.partition}:lambda:{self.region}:{self.account_id}"
            f":function:{self.function_name}"
        )

    @property
    def invoked_arn(self) -> str:
        """The ARN the caller used: with ``:<qualifier>`` when one is set (an alias stays an
        alias here, as ``context.invoked_function_arn`` does)."""
        if self.qualifier is None:
            return self.function_arn
        return f"{self.function_arn}:{self.qualifier}"

    @property
    def is_alias(self) -> bool:
        """Whether ``qualifier`` names an alias (not ``$LATEST``, not a version number)."""
        q = self.qualifier
        return q is not None and q != "$LATEST" and not q.isdigit()

    @property
    def executed_version(self) -> str:
        """The version that runs: ``$LATEST``, the version number, or for an alias
        ``alias_version`` (``$LATEST`` when not given; weighted routing is not modelled)."""
        if self.qualifier is None or self.qualifier == "$LATEST":
            return "$LATEST"
        if self.is_alias:
            return self.alias_version or "$LATEST"
        return self.qualifier

    @property
    def log_group_name(self) -> str:
        """``log_group``, or Lambda's default ``/aws/lambda/<function name>``."""
        return self.log_group or f"/aws/lambda/{self.function_name}"

    @property
    def execution_env(self) -> str:
        """``AWS_EXECUTION_ENV``: ``AWS_Lambda_python3.X``."""
        return f"AWS_Lambda_{self.runtime}"

    @property
    def environment_size(self) -> int:
        """Bytes the configured ``environment`` counts against the 4 KB limit."""
        return environment_size(self.environment)

    @property
    def layer_paths(self) -> tuple[str, ...]:
        """Existing layer directories to put on ``sys.path``, in Lambda's order.

        Lambda extracts every layer into ``/opt`` (a later layer's files replace an earlier
        one's) and puts ``/opt/python/lib/python3.X/site-packages`` before ``/opt/python``.
        Here each layer stays in its own directory, so the later layer comes first.
        """
        newest_first = tuple(reversed(self.layers))
        site = os.path.join("python", "lib", self.runtime, "site-packages")
        candidates = [os.path.join(layer, site) for layer in newest_first]
        candidates += [os.path.join(layer, "python") for layer in newest_first]
        return tuple(path for path in candidates if os.path.isdir(path))

    def python_path(self, *, task_root: str | os.PathLike[str] | None = None) -> tuple[str, ...]:
        """``sys.path`` entries for the handler, first to last: the task root, then
        :attr:`layer_paths`."""
        root = self.code_dir if task_root is None else os.path.abspath(os.fspath(task_root))
        return (root, *self.layer_paths)

    def context_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`~pytest_lambda.context.LambdaContext` that follow
        from this configuration."""
        return {
            "function_name": self.function_name,
            "function_version": self.executed_version,
            "memory_limit_in_mb": self.memory,
            "timeout": self.timeout,
            "invoked_function_arn": self.invoked_arn,
            "log_group_name": self.log_group_name,
            "region": self.region,
            "account_id": self.account_id,
        }

    # -- the handler's environment --

    def lambda_environment(
        self,
        *,
        task_root: str | os.PathLike[str] | None = None,
        runtime_dir: str | os.PathLike[str] | None = None,
        log_stream_name: str | None = None,
        trace_id: str | None = None,
        initialization_type: str = "on-demand",
        runtime_api: str = "127.0.0.1:9001",
        caller_environ: Mapping[str, str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """The complete environment of the handler's process, nothing inherited.

        Built in [RIE]'s order, later groups winning: Lambda's unreserved defaults (``LANG``,
        ``PATH``, ``LD_LIBRARY_PATH``, ``PYTHONPATH``, ``TZ``, ``AWS_XRAY_CONTEXT_MISSING``),
        then the configured ``environment`` (which may override those), then
        ``AWS_XRAY_DAEMON_ADDRESS``, the credentials, the runtime's variables (``_HANDLER``,
        ``AWS_EXECUTION_ENV``, log group/stream, ``LAMBDA_TASK_ROOT``, ``LAMBDA_RUNTIME_DIR``)
        and the platform's (region, function name/memory/version, ``AWS_LAMBDA_RUNTIME_API``,
        ``AWS_LAMBDA_INITIALIZATION_TYPE``, log format/level for JSON logs, ``_X_AMZN_TRACE_ID``
        when given). ``extra`` (e.g. ``AWS_ENDPOINT_URL`` from the moto bridge) comes last and
        wins over everything.

        Credentials: :data:`FAKE_CREDENTIALS`, with ``AWS_CONFIG_FILE`` and
        ``AWS_SHARED_CREDENTIALS_FILE`` pointing at ``os.devnull`` so no SDK finds the
        developer's ``~/.aws`` files. With ``pass_aws_credentials=True`` the calling process's
        credential-chain variables (keys, ``AWS_PROFILE``, config file paths, web identity,
        container credentials) are copied from ``caller_environ`` (default ``os.environ``)
        instead, and nothing is pointed at ``os.devnull``.

        Parameters only the invoker knows: ``task_root`` (default ``code_dir``),
        ``runtime_dir`` (default: the running interpreter's standard library directory),
        ``log_stream_name`` (default: today's date, the executed version and a random
        environment id, see :func:`make_log_stream_name`), ``trace_id``, ``initialization_type``
        (``snap-start`` functions get no log group/stream variables), ``runtime_api``.
        """
        where = "in lambda_environment()"
        if initialization_type not in _INITIALIZATION_TYPES:
            raise _invalid(
                "initialization_type",
                initialization_type,
                where,
                f"Lambda's initialization types are {', '.join(_INITIALIZATION_TYPES)}.",
                "Use one of them.",
            )
        root = self.code_dir if task_root is None else os.path.abspath(os.fspath(task_root))
        runtime = (
            os.path.dirname(os.__file__)
            if runtime_dir is None
            else os.path.abspath(os.fspath(runtime_dir))
        )
        layers_newest_first = tuple(reversed(self.layers))
        sep = os.pathsep

        env: dict[str, str] = {
            "LANG": "en_US.UTF-8",
            "PATH": sep.join(
                (
                    os.path.dirname(sys.executable),
                    *_SYSTEM_PATH,
                    *(os.path.join(layer, "bin") for layer in layers_newest_first),
                )
            ),
            "LD_LIBRARY_PATH": sep.join(
                (
                    *_SYSTEM_LIBRARY_PATH,
                    runtime,
                    os.path.join(runtime, "lib"),
                    root,
                    os.path.join(root, "lib"),
                    *(os.path.join(layer, "lib") for layer in layers_newest_first),
                )
            ),
            "PYTHONPATH": runtime,
            "TZ": ":UTC",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        }
        if not self.pass_aws_credentials:
            env["AWS_CONFIG_FILE"] = os.devnull
            env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

        env.update(self.environment)  # customer: may override the unreserved defaults only

        env["AWS_XRAY_DAEMON_ADDRESS"] = _XRAY_DAEMON_ADDRESS  # unreserved, but beats customer

        if self.pass_aws_credentials:
            source = os.environ if caller_environ is None else caller_environ
            env.update({k: source[k] for k in _CREDENTIAL_CHAIN_KEYS if k in source})
        else:
            env.update(FAKE_CREDENTIALS)

        version = self.executed_version
        env["_HANDLER"] = self.handler
        env["AWS_EXECUTION_ENV"] = self.execution_env
        if initialization_type != "snap-start":
            env["AWS_LAMBDA_LOG_GROUP_NAME"] = self.log_group_name
            env["AWS_LAMBDA_LOG_STREAM_NAME"] = (
                make_log_stream_name(utc_now().date(), version)
                if log_stream_name is None
                else log_stream_name
            )
        env["LAMBDA_TASK_ROOT"] = root
        env["LAMBDA_RUNTIME_DIR"] = runtime

        env["AWS_REGION"] = self.region
        env["AWS_DEFAULT_REGION"] = self.region
        env["AWS_LAMBDA_FUNCTION_NAME"] = self.function_name
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = str(self.memory)
        env["AWS_LAMBDA_FUNCTION_VERSION"] = version
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = initialization_type
        env["AWS_LAMBDA_RUNTIME_API"] = runtime_api
        if self.log_format == "JSON":
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            env["AWS_LAMBDA_LOG_LEVEL"] = self.application_log_level or "INFO"
        if trace_id is not None:
            env["_X_AMZN_TRACE_ID"] = trace_id

        if extra:
            env.update(_check_strings(extra, "extra", where))
        return dict(sorted(env.items()))


# --- checks that need no instance ---------------------------------------------------------------


def _check_strings(mapping: object, param: str, where: str) -> dict[str, str]:
    if not isinstance(mapping, Mapping):
        raise _invalid(
            param, mapping, where, "expected a mapping of names to strings.", "Pass a dict."
        )
    checked: dict[str, str] = {}
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise _invalid(
                param, key, where, "variable names must be strings.", "Use str(name) as the key."
            )
        if not isinstance(value, str):
            raise _invalid(
                f"{param}[{key!r}]",
                value,
                where,
                f"{param} values must be strings ({type(value).__name__} given).",
                f"Use str(value), e.g. {{{key!r}: {str(value)!r}}}.",
            )
        if "\x00" in key or "\x00" in value:
            raise _invalid(
                f"{param}[{key!r}]",
                value,
                where,
                "a process environment cannot hold NUL characters.",
                "Remove the '\\x00'.",
            )
        checked[key] = value
    return checked


def _check_environment(environment: object, where: str) -> Mapping[str, str]:
    if environment is None:
        environment = {}
    env = _check_strings(environment, "environment", where)
    reserved = [key for key in env if key in RESERVED_ENVIRONMENT_KEYS]
    if reserved:
        # AWS answers a malformed name (``_HANDLER``) with the key-pattern error first; both
        # refuse it, and this message says why it cannot be set.
        fixes = sorted({_RESERVED_FIX[k] for k in reserved if k in _RESERVED_FIX})
        raise _invalid(
            "environment",
            {k: env[k] for k in reserved},
            where,
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not "
            f"supported for modification. Reserved keys used in this request: "
            f"{', '.join(reserved)}.",
            f"Remove {', '.join(reserved)}: Lambda sets "
            f"{'it' if len(reserved) == 1 else 'them'} itself"
            + (f" (configure {' / '.join(fixes)} instead)." if fixes else ".")
            + f" Docs: {ENVVARS_URL}",
        )
    for key in env:
        if not _ENV_KEY.fullmatch(key):
            raise _invalid(
                "environment key",
                key,
                where,
                "1 validation error detected: Value at 'environment.variables' failed to "
                "satisfy constraint: Map keys must satisfy constraint: [Member must satisfy "
                "regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+] -- a name starts with a "
                "letter and has at least 2 characters, all letters, digits or '_'.",
                f"Rename it, e.g. {_suggest_env_key(key)!r}.",
            )
    size = environment_size(env)
    if size > ENVIRONMENT_BYTES:
        raise ConfigError(
            f"Invalid environment ({size:,} bytes) {_where(where)}: Lambda was unable to "
            "configure your environment variables because the environment variables you have "
            "provided exceeded the 4KB limit. String measured: "
            f"{measured_environment(env)} -- the variables as compact JSON, in UTF-8, may be at "
            f"most {ENVIRONMENT_BYTES:,} bytes (docs: {QUOTAS_URL}). Move large values to a "
            "file in code_dir, a layer, or a parameter store, and read them at init."
        )
    return MappingProxyType(env)


def _suggest_env_key(key: str) -> str:
    cleaned = re.sub(r"[^a-zA-Z0-9_]", "_", key)
    if not cleaned[:1].isalpha():
        cleaned = "VAR_" + cleaned.lstrip("_") if cleaned.strip("_") else "VAR"
    return cleaned if len(cleaned) >= 2 else cleaned + "_VAR"


def _check_layers(layers: object, where: str) -> tuple[str, ...]:
    if isinstance(layers, (str, bytes, os.PathLike)) or not isinstance(layers, Iterable):
        raise _invalid(
            "layers",
            layers,
            where,
            "expected a sequence of layer directories.",
            f"Wrap it in a tuple: layers=({layers!r},).",
        )
    paths: list[str] = []
    for layer in layers:
        path = _path_string(layer, "layers", where)
        if not os.path.isdir(path):
            zipped = path.endswith(".zip") and os.path.isfile(path)
            raise _invalid(
                "layers",
                layer,
                where,
                f"each layer is a directory holding what Lambda extracts into /opt (python/, "
                f"bin/, lib/ ...); {path!r} "
                + ("is a .zip file." if zipped else "does not exist or is not a directory."),
                ("Unzip it and pass the directory." if zipped else "Fix the path.")
                + f" Docs: {LAYERS_URL}",
            )
        paths.append(path)
    if len(paths) > LAYERS_PER_FUNCTION:
        raise _invalid(
            "layers",
            tuple(paths),
            where,
            f"Cannot reference more than {LAYERS_PER_FUNCTION} layers ({len(paths)} given; docs: "
            f"{QUOTAS_URL}).",
            "Merge layers, or move dependencies into code_dir.",
        )
    return tuple(paths)


def _check_package_size(code_dir: str, layers: tuple[str, ...], where: str) -> None:
    skipped = ", ".join(sorted(SKIPPED_DIRECTORIES))
    fix = (
        "Move large dependencies out, or point code_dir at the built package rather than the "
        f"project (not counted, at any depth: {skipped})."
    )
    total_layers = 0
    for layer in layers:
        size = package_size(layer, stop_after=UNZIPPED_BYTES)
        if size >= UNZIPPED_BYTES:
            raise _invalid(
                "layers",
                layer,
                where,
                f"Unzipped size must be smaller than {UNZIPPED_BYTES} bytes (this layer: at "
                f"least {size:,} bytes; docs: {QUOTAS_URL}).",
                fix,
            )
        total_layers += size
    if total_layers > UNZIPPED_BYTES:
        raise _invalid(
            "layers",
            layers,
            where,
            f"Layers consume more than the available size of {UNZIPPED_BYTES} bytes "
            f"({total_layers:,} bytes together; code and layers share 250 MB unzipped; docs: "
            f"{QUOTAS_URL}).",
            fix,
        )
    available = UNZIPPED_BYTES - total_layers
    code = package_size(code_dir, stop_after=max(available, 1), exclude=layers)
    if code >= available:
        raise _invalid(
            "code_dir",
            code_dir,
            where,
            f"Unzipped size must be smaller than {available} bytes (code: at least {code:,} "
            f"bytes, layers: {total_layers:,} bytes; code and layers share 250 MB unzipped; "
            f"docs: {QUOTAS_URL}).",
            fix,
        )
