"""FunctionConfig: AWS's bounds and patterns, the 4 KB environment, layers and the 250 MB
package, qualifiers and ARNs, and the handler's environment (reference lambda-behavior.md 1, 6,
9)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda.context import LambdaContext
from pytest_lambda.errors import ConfigError
from pytest_lambda.function_config import (
    ENVIRONMENT_BYTES,
    FAKE_CREDENTIALS,
    LAYERS_PER_FUNCTION,
    PYTHON_RUNTIMES,
    RESERVED_ENVIRONMENT_KEYS,
    SKIPPED_DIRECTORIES,
    UNZIPPED_BYTES,
    FunctionConfig,
    default_runtime,
    environment_size,
    make_log_stream_name,
    measured_environment,
    package_size,
)

RUNNING = f"python3.{sys.version_info.minor}"


@pytest.fixture
def code(tmp_path: Path) -> Path:
    root = tmp_path / "task"
    root.mkdir()
    (root / "app.py").write_text("def handler(event, context):\n    return event\n")
    return root


def make(code: Path, handler: str = "app.handler", **settings: object) -> FunctionConfig:
    return FunctionConfig.create(handler, code_dir=str(code), **settings)


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def layer(root: Path, name: str, *subdirs: str) -> Path:
    directory = root / name
    directory.mkdir(parents=True)
    for sub in subdirs:
        (directory / sub).mkdir(parents=True)
    return directory


# --- defaults and construction ------------------------------------------------------------------


def test_defaults_follow_aws(code: Path) -> None:
    config = make(code)
    assert config.code_dir == str(code)
    assert config.function_name == "my-function"
    assert (config.timeout, config.memory, config.ephemeral_storage) == (3, 128, 512)
    assert dict(config.environment) == {}
    assert config.layers == ()
    assert config.qualifier is None
    assert (config.region, config.account_id, config.architecture) == (
        "us-east-1",
        "123456789012",
        "x86_64",
    )
    assert config.log_format == "Text"
    assert config.pass_aws_credentials is False


def test_default_runtime_is_the_running_interpreter_clamped_to_lambdas_list() -> None:
    if RUNNING in PYTHON_RUNTIMES:
        assert default_runtime() == RUNNING
    assert default_runtime(12) == "python3.12"
    assert default_runtime(20) == "python3.14"  # newer than Lambda offers: the newest
    assert default_runtime(7) == "python3.9"


def test_code_dir_default_is_the_current_directory_made_absolute(
    code: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(code)
    assert FunctionConfig("app.handler").code_dir == str(code)
    assert FunctionConfig("app.handler", code_dir=".").code_dir == str(code)


def test_code_dir_accepts_a_path_object(code: Path) -> None:
    assert FunctionConfig.create("app.handler", code_dir=code).code_dir == str(code)


def test_code_dir_must_exist_and_be_a_directory(code: Path) -> None:
    with pytest.raises(ConfigError, match=r"Invalid code_dir .*missing.* does not exist"):
        make(code / "missing")
    with pytest.raises(ConfigError, match=r"is not a directory.*Point code_dir"):
        make(code / "app.py")


def test_the_config_is_frozen_and_its_environment_read_only(code: Path) -> None:
    source = {"STAGE": "test"}
    config = make(code, environment=source)
    source["STAGE"] = "changed"
    assert config.environment["STAGE"] == "test"
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.timeout = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.environment["STAGE"] = "x"  # type: ignore[index]


def test_replace_validates_again(code: Path) -> None:
    config = make(code)
    assert dataclasses.replace(config, timeout=10).timeout == 10
    with pytest.raises(ConfigError, match="Invalid memory 64"):
        dataclasses.replace(config, memory=64)


def test_configs_compare_by_value(code: Path) -> None:
    assert make(code, environment={"A1": "x"}) == make(code, environment={"A1": "x"})
    assert make(code, timeout=4) != make(code, timeout=5)


def test_create_names_where_the_value_came_from(code: Path) -> None:
    where = "from @pytest.mark.lambda_env on test_x"
    with pytest.raises(ConfigError, match=re.escape(f"Invalid timeout 0 {where}: Lambda accepts")):
        make(code, timeout=0, where=where)


def test_plain_construction_validates_too(code: Path) -> None:
    with pytest.raises(ConfigError, match=r"Invalid timeout 0 in FunctionConfig: Lambda accepts"):
        FunctionConfig("app.handler", code_dir=str(code), timeout=0)


def test_create_refuses_an_unknown_setting_with_a_suggestion(code: Path) -> None:
    with pytest.raises(ConfigError, match=r"Unknown function setting 'timout'.*'timeout'"):
        make(code, timout=3)


def test_create_treats_none_as_the_default(code: Path) -> None:
    config = FunctionConfig.create(handler="app.handler", code_dir=str(code), timeout=None)
    assert config.timeout == 3


def test_errors_are_value_errors(code: Path) -> None:
    with pytest.raises(ValueError, match="Invalid memory"):
        make(code, memory=1)


# --- handler ------------------------------------------------------------------------------------


@pytest.mark.parametrize("handler", ["app.handler", "src/app.handler", "pkg.mod.fn", "a.b"])
def test_valid_handlers(code: Path, handler: str) -> None:
    assert make(code, handler).handler == handler


def test_handler_length_bound(code: Path) -> None:
    ok = "m" * 120 + ".handler"
    assert len(ok) == 128
    assert make(code, ok).handler == ok
    with pytest.raises(ConfigError, match=r"Lambda accepts 1 to 128 characters"):
        make(code, "m" + ok)
    with pytest.raises(ConfigError, match=r"Invalid handler '' .*1 to 128 characters"):
        make(code, "")


def test_handler_without_a_dot_is_malformed(code: Path) -> None:
    with pytest.raises(ConfigError) as info:
        make(code, "app")
    message = str(info.value)
    assert "Invalid handler 'app'" in message
    assert "Runtime.MalformedHandlerName" in message
    assert "Bad handler 'app': not enough values to unpack (expected 2, got 1)" in message
    assert "'app.handler'" in message  # the fix


@pytest.mark.parametrize("handler", [".handler", "app.", "src/app."])
def test_handler_parts_must_be_non_empty(code: Path, handler: str) -> None:
    with pytest.raises(ConfigError, match="must both be non-empty"):
        make(code, handler)


def test_handler_may_not_contain_whitespace(code: Path) -> None:
    with pytest.raises(ConfigError, match=r"whitespace \(API pattern \[\^\\s\]\+\)"):
        make(code, "app .handler")


def test_handler_with_the_py_suffix_is_refused(code: Path) -> None:
    with pytest.raises(ConfigError, match=r"'\.py' suffix.*Runtime\.ImportModuleError"):
        make(code, "app.py.handler")


def test_handler_must_be_a_string(code: Path) -> None:
    with pytest.raises(ConfigError, match="Invalid handler None"):
        make(code, None)  # type: ignore[arg-type]


# --- function name ------------------------------------------------------------------------------


def test_function_name_length_bound(code: Path) -> None:
    assert make(code, function_name="f" * 64).function_name == "f" * 64
    with pytest.raises(ConfigError, match=r"1 to 64 letters, digits"):
        make(code, function_name="f" * 65)
    with pytest.raises(ConfigError, match=r"Invalid function_name ''"):
        make(code, function_name="")


def test_function_name_pattern_with_a_suggested_fix(code: Path) -> None:
    assert make(code, function_name="My_func-1").function_name == "My_func-1"
    with pytest.raises(ConfigError, match=r"\[a-zA-Z0-9-_\]\+.*Use e\.g\. 'my-func'"):
        make(code, function_name="my func")


# --- timeout, memory, ephemeral storage ---------------------------------------------------------


@pytest.mark.parametrize("seconds", [900, 1, 0.01, "5"])
def test_timeout_inside_bounds(code: Path, seconds: object) -> None:
    assert make(code, timeout=seconds).timeout == float(str(seconds))


@pytest.mark.parametrize("seconds", [0, -1, 900.5, 901, True, "soon"])
def test_timeout_outside_bounds(code: Path, seconds: object) -> None:
    with pytest.raises(ConfigError, match=r"Invalid timeout"):
        make(code, timeout=seconds)


def test_timeout_message_gives_the_bound(code: Path) -> None:
    with pytest.raises(ConfigError, match=r"Invalid timeout 901 .*1 to 900 seconds"):
        make(code, timeout=901)


@pytest.mark.parametrize("mb", [128, 10_240, "256"])
def test_memory_inside_bounds(code: Path, mb: object) -> None:
    assert make(code, memory=mb).memory == int(str(mb))


@pytest.mark.parametrize("mb", [127, 10_241, 128.5, 0])
def test_memory_outside_bounds(code: Path, mb: object) -> None:
    with pytest.raises(ConfigError, match=r"Invalid memory .*whole MB from 128 to 10,240"):
        make(code, memory=mb)


@pytest.mark.parametrize("mb", [512, 10_240, "1024", 2048.0])
def test_ephemeral_storage_inside_bounds(code: Path, mb: object) -> None:
    assert make(code, ephemeral_storage=mb).ephemeral_storage == int(float(str(mb)))


@pytest.mark.parametrize("mb", [511, 10_241, 600.5])
def test_ephemeral_storage_outside_bounds(code: Path, mb: object) -> None:
    with pytest.raises(
        ConfigError, match=r"Invalid ephemeral storage .*whole MB from 512 to 10,240"
    ):
        make(code, ephemeral_storage=mb)


@pytest.mark.parametrize("mb", [True, "big"])
def test_ephemeral_storage_must_be_a_number(code: Path, mb: object) -> None:
    with pytest.raises(ConfigError, match=r"Invalid ephemeral storage .*expected a number"):
        make(code, ephemeral_storage=mb)


# --- runtime, architecture, region, account -----------------------------------------------------


@pytest.mark.parametrize("runtime", sorted(PYTHON_RUNTIMES))
def test_every_python_runtime_lambda_runs_is_accepted(code: Path, runtime: str) -> None:
    config = make(code, runtime=runtime)
    assert config.execution_env == f"AWS_Lambda_{runtime}"


@pytest.mark.parametrize("runtime", ["python3.8", "python3.7", "python2.7"])
def test_ended_runtimes_get_awss_message(code: Path, runtime: str) -> None:
    with pytest.raises(
        ConfigError,
        match=re.escape(
            f"The runtime parameter of {runtime} is no longer supported for creating or "
            "updating AWS Lambda functions."
        ),
    ):
        make(code, runtime=runtime)


@pytest.mark.parametrize("runtime", ["python3.15", "python3", "nodejs22.x", "Python3.12"])
def test_unknown_runtimes_are_refused_with_the_list(code: Path, runtime: str) -> None:
    with pytest.raises(
        ConfigError, match=r"Lambda's Python runtimes are python3\.9, .*python3\.14"
    ):
        make(code, runtime=runtime)


def test_architecture(code: Path) -> None:
    assert make(code, architecture="arm64").architecture == "arm64"
    with pytest.raises(ConfigError, match=r"Invalid architecture 'aarch64'.*\[x86_64, arm64\]"):
        make(code, architecture="aarch64")


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1"])
def test_region_codes(code: Path, region: str) -> None:
    assert make(code, region=region).region == region


@pytest.mark.parametrize("region", ["US-EAST-1", "useast1", "us-east", ""])
def test_bad_region_codes(code: Path, region: str) -> None:
    with pytest.raises(ConfigError, match="Invalid region"):
        make(code, region=region)


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", 123456789012, "12345678901a"])
def test_account_id_is_twelve_digits_as_a_string(code: Path, account: object) -> None:
    with pytest.raises(ConfigError, match=r"Invalid account_id .*exactly 12 digits"):
        make(code, account_id=account)


def test_pass_aws_credentials_must_be_a_bool(code: Path) -> None:
    with pytest.raises(ConfigError, match="Invalid pass_aws_credentials 'yes'"):
        make(code, pass_aws_credentials="yes")


# --- environment: reserved keys, key pattern, values --------------------------------------------


@pytest.mark.parametrize("key", sorted(RESERVED_ENVIRONMENT_KEYS))
def test_each_reserved_key_is_refused_with_awss_message(code: Path, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        make(code, environment={"STAGE": "test", key: "x"})
    message = str(info.value)
    assert (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        f"for modification. Reserved keys used in this request: {key}."
    ) in message
    assert f"Remove {key}" in message


def test_all_reserved_keys_are_listed_in_order_with_the_setting_to_use(code: Path) -> None:
    with pytest.raises(ConfigError) as info:
        make(code, environment={"AWS_REGION": "eu-west-1", "A1": "x", "AWS_ACCESS_KEY_ID": "k"})
    message = str(info.value)
    assert "Reserved keys used in this request: AWS_REGION, AWS_ACCESS_KEY_ID." in message
    assert "pass_aws_credentials=True" in message
    assert "region=" in message


@pytest.mark.parametrize("key", ["AB", "a_", "Z9", "my_var_2", "x" * 200])
def test_valid_environment_keys(code: Path, key: str) -> None:
    assert key in make(code, environment={key: "v"}).environment


@pytest.mark.parametrize("key", ["A", "1AB", "_AB", "A-B", "A B", "ÄB", ""])
def test_environment_keys_must_match_awss_pattern(code: Path, key: str) -> None:
    with pytest.raises(
        ConfigError,
        match=r"Invalid environment key .*regular expression pattern: "
        r"\[a-zA-Z\]\(\[a-zA-Z0-9_\]\)\+.*Rename it",
    ):
        make(code, environment={key: "v"})


def test_environment_values_must_be_strings(code: Path) -> None:
    with pytest.raises(ConfigError) as info:
        make(code, environment={"PORT": 8080})
    message = str(info.value)
    assert "Invalid environment['PORT'] 8080" in message
    assert "environment values must be strings" in message
    assert "str(value)" in message
    assert "{'PORT': '8080'}" in message


def test_environment_must_be_a_mapping(code: Path) -> None:
    with pytest.raises(ConfigError, match="expected a mapping"):
        make(code, environment=["A=1"])


def test_environment_none_is_empty(code: Path) -> None:
    config = FunctionConfig("app.handler", code_dir=str(code), environment=None)  # type: ignore[arg-type]
    assert dict(config.environment) == {}


def test_environment_values_may_be_empty_or_anything_printable(code: Path) -> None:
    env = {"EMPTY": "", "JSON": '{"a": [1, 2]}', "SPACES": "  x  "}
    assert dict(make(code, environment=env).environment) == env


def test_nul_characters_are_refused(code: Path) -> None:
    with pytest.raises(ConfigError, match="NUL"):
        make(code, environment={"AB": "a\x00b"})


# --- environment: the 4 KB limit ----------------------------------------------------------------


def test_the_worked_example_from_the_developer_guide_is_39_bytes() -> None:
    env = {"BUCKET": "my-bucket", "KEY": "file.txt"}
    assert measured_environment(env) == '{"BUCKET":"my-bucket","KEY":"file.txt"}'
    assert environment_size(env) == 39
    assert environment_size(env) == len(json.dumps(env, separators=(",", ":")).encode())


def test_an_empty_environment_is_two_bytes() -> None:
    assert environment_size({}) == 2


def _env_of_size(size: int) -> dict[str, str]:
    # {"BIG":"<n>"} is 10 bytes of overhead around the value.
    return {"BIG": "v" * (size - 10)}


def test_exactly_4096_bytes_is_accepted(code: Path) -> None:
    env = _env_of_size(ENVIRONMENT_BYTES)
    assert environment_size(env) == 4096
    assert make(code, environment=env).environment_size == 4096


def test_4097_bytes_is_refused_with_awss_message_and_the_measured_string(code: Path) -> None:
    env = _env_of_size(ENVIRONMENT_BYTES + 1)
    with pytest.raises(ConfigError) as info:
        make(code, environment=env)
    message = str(info.value)
    assert (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided exceeded the 4KB limit. String measured: "
        + json.dumps(env, separators=(",", ":"))
    ) in message
    assert "4,097 bytes" in message
    assert "Move large values" in message


@pytest.mark.parametrize(("char", "width"), [("é", 2), ("€", 3), ("😀", 4)])
def test_non_ascii_counts_its_utf8_bytes(code: Path, char: str, width: int) -> None:
    env = {"AB": char}
    assert environment_size(env) == len('{"AB":""}') + width
    assert environment_size(env) == len(
        json.dumps(env, separators=(",", ":"), ensure_ascii=False).encode()
    )
    # The limit is on bytes, not characters: 4 KB of "€" is fewer than 4096 characters.
    count = (ENVIRONMENT_BYTES - len('{"AB":""}')) // width
    assert make(code, environment={"AB": char * count}).environment_size <= ENVIRONMENT_BYTES
    with pytest.raises(ConfigError, match="exceeded the 4KB limit"):
        make(code, environment={"AB": char * (count + 1)})


def test_quotes_and_backslashes_count_escaped() -> None:
    assert environment_size({"AB": '"\\'}) == len('{"AB":"\\"\\\\"}')


_KEYS = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{1,12}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(env=st.dictionaries(_KEYS, st.text(max_size=900), max_size=8))
def test_a_config_is_accepted_exactly_when_the_measured_json_fits(env: dict[str, str]) -> None:
    env = {k: v.replace("\x00", "") for k, v in env.items() if k not in RESERVED_ENVIRONMENT_KEYS}
    size = len(json.dumps(env, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    assert environment_size(env) == size
    code_dir = os.path.dirname(__file__)
    if size <= ENVIRONMENT_BYTES:
        assert dict(FunctionConfig("t.h", code_dir=code_dir, environment=env).environment) == env
    else:
        with pytest.raises(ConfigError, match="exceeded the 4KB limit"):
            FunctionConfig("t.h", code_dir=code_dir, environment=env)


# --- layers -------------------------------------------------------------------------------------


def test_layers_are_stored_as_absolute_directories(code: Path, tmp_path: Path) -> None:
    one = layer(tmp_path, "one", "python")
    config = make(code, layers=[str(one)])
    assert config.layers == (str(one),)


def test_a_missing_layer_is_refused(code: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Invalid layers .*nope.*does not exist.*Fix the path"):
        make(code, layers=(str(tmp_path / "nope"),))


def test_a_zipped_layer_is_refused_with_the_fix(code: Path, tmp_path: Path) -> None:
    zipped = tmp_path / "deps.zip"
    zipped.write_bytes(b"PK")
    with pytest.raises(ConfigError, match=r"is a \.zip file.*Unzip it"):
        make(code, layers=(str(zipped),))


def test_a_single_string_is_not_a_sequence_of_layers(code: Path, tmp_path: Path) -> None:
    one = layer(tmp_path, "one")
    with pytest.raises(ConfigError, match=r"Wrap it in a tuple"):
        make(code, layers=str(one))


def test_five_layers_at_most(code: Path, tmp_path: Path) -> None:
    dirs = [str(layer(tmp_path, f"l{i}")) for i in range(LAYERS_PER_FUNCTION + 1)]
    assert len(make(code, layers=dirs[:5]).layers) == 5
    with pytest.raises(ConfigError, match=r"Cannot reference more than 5 layers \(6 given"):
        make(code, layers=dirs)


def test_layer_paths_follow_lambdas_opt_order(code: Path, tmp_path: Path) -> None:
    site = f"python/lib/{RUNNING}/site-packages"
    first = layer(tmp_path, "first", "python", site)
    second = layer(tmp_path, "second", "python", site)
    only_bin = layer(tmp_path, "tools", "bin")
    config = make(code, layers=(str(first), str(second), str(only_bin)), runtime=RUNNING)
    # /opt/python/lib/python3.X/site-packages comes before /opt/python, and a later layer's
    # files replace an earlier one's.
    assert config.layer_paths == (
        str(second / site),
        str(first / site),
        str(second / "python"),
        str(first / "python"),
    )
    assert config.python_path() == (str(code), *config.layer_paths)
    assert config.python_path(task_root="/var/task")[0] == "/var/task"


def test_layer_site_packages_follow_the_runtime(code: Path, tmp_path: Path) -> None:
    deps = layer(tmp_path, "deps", "python/lib/python3.12/site-packages")
    assert make(code, layers=(str(deps),), runtime="python3.12").layer_paths == (
        str(deps / "python/lib/python3.12/site-packages"),
        str(deps / "python"),
    )
    assert make(code, layers=(str(deps),), runtime="python3.13").layer_paths == (
        str(deps / "python"),
    )


# --- the 250 MB unzipped limit ------------------------------------------------------------------


def test_package_size_counts_regular_files(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"x" * 10)
    sparse(tmp_path / "pkg" / "b.bin", 1000)
    assert package_size(tmp_path) == 1010


@pytest.mark.parametrize("skipped", sorted(SKIPPED_DIRECTORIES))
def test_package_size_skips_tool_directories_at_any_depth(tmp_path: Path, skipped: str) -> None:
    (tmp_path / "a.py").write_bytes(b"x" * 10)
    sparse(tmp_path / skipped / "big", 5000)
    sparse(tmp_path / "src" / skipped / "big", 5000)
    assert package_size(tmp_path) == 10


def test_package_size_follows_file_links_but_not_directory_links(tmp_path: Path) -> None:
    target = sparse(tmp_path / "outside" / "big", 700)
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(target)
    (root / "dirlink").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "nothing")
    assert package_size(root) == 700


def test_package_size_stops_once_the_limit_is_reached(tmp_path: Path) -> None:
    for i in range(10):
        sparse(tmp_path / f"f{i}", 100)
    assert package_size(tmp_path) == 1000
    assert 300 <= package_size(tmp_path, stop_after=300) < 1000


def test_code_just_under_250_mb_is_accepted(code: Path) -> None:
    used = package_size(code)
    sparse(code / "data.bin", UNZIPPED_BYTES - used - 1)
    assert make(code).code_dir == str(code)


def test_code_of_250_mb_is_refused_with_awss_message(code: Path) -> None:
    used = package_size(code)
    sparse(code / "data.bin", UNZIPPED_BYTES - used)
    with pytest.raises(
        ConfigError,
        match=r"Invalid code_dir .*Unzipped size must be smaller than 262144000 bytes",
    ):
        make(code)


def test_a_virtualenv_in_the_code_dir_is_not_counted(code: Path) -> None:
    sparse(code / ".venv" / "lib" / "huge.so", UNZIPPED_BYTES * 2)
    assert make(code).code_dir == str(code)


def test_one_layer_over_the_limit(code: Path, tmp_path: Path) -> None:
    big = layer(tmp_path, "big", "python")
    sparse(big / "python" / "blob", UNZIPPED_BYTES)
    with pytest.raises(
        ConfigError, match=r"Invalid layers .*Unzipped size must be smaller than 262144000 bytes"
    ):
        make(code, layers=(str(big),))


def test_layers_together_over_the_limit(code: Path, tmp_path: Path) -> None:
    half = UNZIPPED_BYTES // 2 + 1
    one = layer(tmp_path, "one")
    two = layer(tmp_path, "two")
    sparse(one / "blob", half)
    sparse(two / "blob", half)
    with pytest.raises(
        ConfigError, match=r"Layers consume more than the available size of 262144000 bytes"
    ):
        make(code, layers=(str(one), str(two)))


def test_layers_leave_less_room_for_the_code(code: Path, tmp_path: Path) -> None:
    deps = layer(tmp_path, "deps")
    sparse(deps / "blob", 1_000_000)
    available = UNZIPPED_BYTES - 1_000_000
    data = sparse(code / "data.bin", available - package_size(code) - 1)
    assert make(code, layers=(str(deps),)).layers == (str(deps),)
    sparse(data, data.stat().st_size + 1)
    with pytest.raises(ConfigError, match=rf"Unzipped size must be smaller than {available} bytes"):
        make(code, layers=(str(deps),))


def test_a_layer_inside_the_code_dir_is_counted_once(code: Path) -> None:
    deps = layer(code, "layer")
    sparse(deps / "blob", UNZIPPED_BYTES // 2 + 1)
    assert make(code, layers=(str(deps),)).layers == (str(deps),)


# --- qualifiers, versions, aliases, ARNs ---------------------------------------------------------


def test_unqualified(code: Path) -> None:
    config = make(code)
    assert config.function_arn == "arn:aws:lambda:us-east-1:123456789012:function:my-function"
    assert config.invoked_arn == config.function_arn
    assert config.executed_version == "$LATEST"
    assert config.is_alias is False


def test_latest_qualifier_stays_in_the_invoked_arn(code: Path) -> None:
    config = make(code, qualifier="$LATEST")
    assert config.invoked_arn == config.function_arn + ":$LATEST"
    assert config.executed_version == "$LATEST"


@pytest.mark.parametrize("version", ["1", "42", "123456"])
def test_version_qualifier(code: Path, version: str) -> None:
    config = make(code, qualifier=version)
    assert config.invoked_arn.endswith(f":function:my-function:{version}")
    assert config.executed_version == version
    assert config.is_alias is False


@pytest.mark.parametrize("version", ["0", "007"])
def test_versions_are_numbered_from_one(code: Path, version: str) -> None:
    with pytest.raises(ConfigError, match="published versions are numbered from 1"):
        make(code, qualifier=version)


def test_alias_keeps_its_name_in_the_arn_and_runs_latest_by_default(code: Path) -> None:
    config = make(code, qualifier="live")
    assert config.invoked_arn.endswith(":function:my-function:live")
    assert config.is_alias is True
    assert config.executed_version == "$LATEST"


def test_alias_with_the_version_it_points_to(code: Path) -> None:
    config = make(code, qualifier="live", alias_version="3")
    assert config.executed_version == "3"
    assert config.invoked_arn.endswith(":live")


def test_alias_version_needs_an_alias(code: Path) -> None:
    with pytest.raises(ConfigError, match=r"Invalid alias_version '3'.*is not an alias"):
        make(code, qualifier="2", alias_version="3")
    with pytest.raises(ConfigError, match=r"Invalid alias_version 'blue'"):
        make(code, qualifier="live", alias_version="blue")


def test_alias_name_length_bound(code: Path) -> None:
    assert make(code, qualifier="a" * 128).qualifier == "a" * 128
    with pytest.raises(ConfigError, match=r"alias name of 1 to 128"):
        make(code, qualifier="a" * 129)


@pytest.mark.parametrize("qualifier", ["live!", "", "$latest", "1.0", "v 2"])
def test_bad_qualifiers(code: Path, qualifier: str) -> None:
    with pytest.raises(ConfigError, match=r"Invalid qualifier .*\(\?!\^\[0-9\]\+\$\)"):
        make(code, qualifier=qualifier)


@pytest.mark.parametrize(
    ("region", "partition"),
    [("us-east-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")],
)
def test_arns_use_the_regions_partition(code: Path, region: str, partition: str) -> None:
    config = make(code, region=region, account_id="000000000042", function_name="fn")
    assert config.function_arn == f"arn:{partition}:lambda:{region}:000000000042:function:fn"


def test_log_group_name(code: Path) -> None:
    assert make(code, function_name="resize").log_group_name == "/aws/lambda/resize"
    assert make(code, log_group="/custom/group").log_group_name == "/custom/group"
    with pytest.raises(ConfigError, match=r"Invalid log_group 'bad group'"):
        make(code, log_group="bad group")


def test_context_kwargs_build_a_matching_context(code: Path) -> None:
    config = make(code, function_name="fn", memory=256, timeout=7, qualifier="live")
    context = LambdaContext(**config.context_kwargs())
    assert context.function_name == "fn"
    assert context.memory_limit_in_mb == "256"
    assert context.function_version == "$LATEST"
    assert context.invoked_function_arn == config.invoked_arn
    assert context.log_group_name == "/aws/lambda/fn"


# --- logging configuration ----------------------------------------------------------------------


def test_log_levels_need_json_format(code: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"Invalid application_log_level 'DEBUG'.*JSON log format.*log_format='JSON'",
    ):
        make(code, application_log_level="DEBUG")
    with pytest.raises(ConfigError, match=r"Invalid system_log_level 'WARN'"):
        make(code, system_log_level="WARN")


def test_log_level_values(code: Path) -> None:
    config = make(code, log_format="JSON", application_log_level="TRACE", system_log_level="DEBUG")
    assert config.application_log_level == "TRACE"
    with pytest.raises(ConfigError, match=r"Invalid application_log_level 'warning'.*'WARN'"):
        make(code, log_format="JSON", application_log_level="warning")
    with pytest.raises(ConfigError, match=r"Invalid system_log_level 'ERROR'"):
        make(code, log_format="JSON", system_log_level="ERROR")
    with pytest.raises(ConfigError, match=r"Invalid log_format 'json'.*'JSON'"):
        make(code, log_format="json")


# --- the handler's environment -------------------------------------------------------------------

EXPECTED_KEYS = {
    "_HANDLER",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
    "LANG",
    "PATH",
    "LD_LIBRARY_PATH",
    "PYTHONPATH",
    "TZ",
    "AWS_XRAY_CONTEXT_MISSING",
    "AWS_XRAY_DAEMON_ADDRESS",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
}


def test_the_environment_has_exactly_lambdas_variables(code: Path) -> None:
    env = make(code).lambda_environment(log_stream_name="s")
    assert set(env) == EXPECTED_KEYS
    assert all(isinstance(v, str) for v in env.values())


def test_the_environment_values(code: Path) -> None:
    config = make(code, handler="src/app.handler", function_name="resize", memory=512)
    env = config.lambda_environment(
        task_root="/var/task", runtime_dir="/var/runtime", log_stream_name="2026/01/02/[$LATEST]x"
    )
    assert env["_HANDLER"] == "src/app.handler"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == f"AWS_Lambda_{config.runtime}"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "resize"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/resize"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"] == "2026/01/02/[$LATEST]x"
    assert env["AWS_LAMBDA_RUNTIME_API"] == "127.0.0.1:9001"
    assert env["LAMBDA_TASK_ROOT"] == "/var/task"
    assert env["LAMBDA_RUNTIME_DIR"] == env["PYTHONPATH"] == "/var/runtime"
    assert env["LANG"] == "en_US.UTF-8"
    assert env["TZ"] == ":UTC"
    assert env["AWS_XRAY_CONTEXT_MISSING"] == "LOG_ERROR"
    assert env["LD_LIBRARY_PATH"].split(os.pathsep) == [
        "/lib64",
        "/usr/lib64",
        "/var/runtime",
        "/var/runtime/lib",
        "/var/task",
        "/var/task/lib",
    ]
    assert env["PATH"].split(os.pathsep) == [
        os.path.dirname(sys.executable),
        "/usr/local/bin",
        "/usr/bin/",
        "/bin",
    ]


def test_task_root_defaults_to_code_dir(code: Path) -> None:
    env = make(code).lambda_environment()
    assert env["LAMBDA_TASK_ROOT"] == str(code)
    assert os.path.isdir(env["LAMBDA_RUNTIME_DIR"])


def test_default_log_stream_name_has_lambdas_shape(code: Path) -> None:
    env = make(code, qualifier="7").lambda_environment()
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[7\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"])
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "7"


def test_make_log_stream_name() -> None:
    day = date(2023, 8, 31)
    assert (
        make_log_stream_name(day, "$LATEST", "3893a0b17fac4485b47bb75b671a283c")
        == "2023/08/31/[$LATEST]3893a0b17fac4485b47bb75b671a283c"
    )
    assert re.fullmatch(r"2023/08/31/\[2\][0-9a-f]{32}", make_log_stream_name(day, "2"))
    with pytest.raises(ConfigError, match="32 lowercase hex"):
        make_log_stream_name(day, "$LATEST", "xyz")


def test_alias_runs_the_version_it_points_to(code: Path) -> None:
    env = make(code, qualifier="live", alias_version="4").lambda_environment(log_stream_name="s")
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "4"


def test_snap_start_has_no_log_group_or_stream(code: Path) -> None:
    env = make(code).lambda_environment(initialization_type="snap-start")
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "snap-start"
    assert "AWS_LAMBDA_LOG_GROUP_NAME" not in env
    assert "AWS_LAMBDA_LOG_STREAM_NAME" not in env


def test_unknown_initialization_type(code: Path) -> None:
    with pytest.raises(ConfigError, match=r"Invalid initialization_type 'cold'"):
        make(code).lambda_environment(initialization_type="cold")


def test_trace_id_only_when_given(code: Path) -> None:
    config = make(code)
    assert "_X_AMZN_TRACE_ID" not in config.lambda_environment(log_stream_name="s")
    trace = "Root=1-5d02e5ca-f5792818b6fe8368e5b51d50;Parent=191db58857df8395;Sampled=0"
    assert config.lambda_environment(trace_id=trace)["_X_AMZN_TRACE_ID"] == trace


def test_json_logging_variables(code: Path) -> None:
    assert "AWS_LAMBDA_LOG_FORMAT" not in make(code).lambda_environment(log_stream_name="s")
    env = make(code, log_format="JSON").lambda_environment(log_stream_name="s")
    assert (env["AWS_LAMBDA_LOG_FORMAT"], env["AWS_LAMBDA_LOG_LEVEL"]) == ("JSON", "INFO")
    env = make(code, log_format="JSON", application_log_level="WARN").lambda_environment()
    assert env["AWS_LAMBDA_LOG_LEVEL"] == "WARN"


def test_customer_variables_are_present_and_may_override_unreserved_ones(code: Path) -> None:
    env = make(
        code, environment={"STAGE": "test", "TZ": "Europe/Paris", "LANG": "C.UTF-8"}
    ).lambda_environment(log_stream_name="s")
    assert env["STAGE"] == "test"
    assert env["TZ"] == "Europe/Paris"
    assert env["LANG"] == "C.UTF-8"


def test_xray_daemon_address_beats_the_customer_as_in_rie(code: Path) -> None:
    env = make(code, environment={"AWS_XRAY_DAEMON_ADDRESS": "1.2.3.4:5"}).lambda_environment()
    assert env["AWS_XRAY_DAEMON_ADDRESS"] == "127.0.0.1:2000"


def test_customer_may_point_the_sdk_at_its_own_config_file(code: Path) -> None:
    env = make(code, environment={"AWS_CONFIG_FILE": "/var/task/aws.cfg"}).lambda_environment()
    assert env["AWS_CONFIG_FILE"] == "/var/task/aws.cfg"
    assert env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull


def test_extra_comes_last(code: Path) -> None:
    env = make(code).lambda_environment(
        extra={"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_LAMBDA_FUNCTION_VERSION": "9"}
    )
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5000"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "9"
    with pytest.raises(ConfigError, match=r"Invalid extra\['PORT'\] 1"):
        make(code).lambda_environment(extra={"PORT": 1})  # type: ignore[dict-item]


def test_layers_reach_path_and_ld_library_path_newest_first(code: Path, tmp_path: Path) -> None:
    first = layer(tmp_path, "first")
    second = layer(tmp_path, "second")
    env = make(code, layers=(str(first), str(second))).lambda_environment(task_root="/var/task")
    assert env["PATH"].split(os.pathsep)[-2:] == [str(second / "bin"), str(first / "bin")]
    assert env["LD_LIBRARY_PATH"].split(os.pathsep)[-2:] == [
        str(second / "lib"),
        str(first / "lib"),
    ]


# --- credentials never leak ---------------------------------------------------------------------

REAL = {
    "AWS_ACCESS_KEY_ID": "AKIAREALREALREALREAL",
    "AWS_SECRET_ACCESS_KEY": "real-secret",
    "AWS_SESSION_TOKEN": "real-token",
    "AWS_PROFILE": "prod-admin",
    "AWS_DEFAULT_PROFILE": "prod-admin",
    "AWS_CONFIG_FILE": "/home/dev/.aws/config",
    "AWS_SHARED_CREDENTIALS_FILE": "/home/dev/.aws/credentials",
    "AWS_ROLE_ARN": "arn:aws:iam::111111111111:role/admin",
    "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token",
    "AWS_REGION": "ap-southeast-2",
    "AWS_DEFAULT_REGION": "ap-southeast-2",
    "DATABASE_PASSWORD": "hunter2",
    "HOME": "/home/dev",
}


def test_the_developers_environment_and_credentials_never_reach_the_handler(
    code: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in REAL.items():
        monkeypatch.setenv(key, value)
    env = make(code).lambda_environment(log_stream_name="s")
    for key, value in FAKE_CREDENTIALS.items():
        assert env[key] == value
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "DATABASE_PASSWORD", "HOME"):
        assert key not in env
    assert env["AWS_REGION"] == "us-east-1"
    assert not set(REAL.values()) & set(env.values())
    assert set(env) == EXPECTED_KEYS


def test_fake_credentials_are_obviously_fake() -> None:
    assert set(FAKE_CREDENTIALS) == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    }
    assert all("FAKE" in value.upper() for value in FAKE_CREDENTIALS.values())


def test_pass_aws_credentials_copies_the_credential_chain_only(
    code: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in REAL.items():
        monkeypatch.setenv(key, value)
    env = make(code, pass_aws_credentials=True).lambda_environment(log_stream_name="s")
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        assert env[key] == REAL[key], key
    assert env["AWS_REGION"] == "us-east-1"  # the function's region, not the shell's
    assert "DATABASE_PASSWORD" not in env
    assert "HOME" not in env


def test_pass_aws_credentials_with_a_profile_only_sets_no_fake_keys(code: Path) -> None:
    caller = {"AWS_PROFILE": "dev", "PATH": "/usr/bin"}
    env = make(code, pass_aws_credentials=True).lambda_environment(caller_environ=caller)
    assert env["AWS_PROFILE"] == "dev"
    assert "AWS_ACCESS_KEY_ID" not in env
    assert "AWS_CONFIG_FILE" not in env
    assert "AWS_SHARED_CREDENTIALS_FILE" not in env


def test_the_environment_starts_a_real_process(code: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod-admin")
    env = make(code, environment={"STAGE": "test"}).lambda_environment(log_stream_name="s")
    env.pop("PYTHONPATH")  # keep the child's own standard library lookup
    script = (
        "import json, os, time; "
        "print(json.dumps({'env': dict(os.environ), 'tz': time.strftime('%Z')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out)
    assert seen["env"]["STAGE"] == "test"
    assert seen["env"]["AWS_LAMBDA_FUNCTION_NAME"] == "my-function"
    assert "AWS_PROFILE" not in seen["env"]
    assert seen["tz"] == "UTC"


def test_the_module_imports_only_the_standard_library() -> None:
    code = (
        "import sys, json; import pytest_lambda.function_config; "
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    heavy = {"pytest", "_pytest", "faker", "moto", "boto3", "botocore", "hypothesis"}
    assert not heavy & set(json.loads(out))
