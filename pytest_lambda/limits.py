"""AWS Lambda quotas and configuration bounds, each with its source and the date it was checked.

Every limit is labelled by how pytest-lambda treats it:

* ``enforced``: the limit is applied and breaking it gives AWS's error;
* ``measured``: the value is observed and reported but not stopped;
* ``advisory``: documented only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ASYNC_REQUEST_PAYLOAD_BYTES",
    "EPHEMERAL_STORAGE_MB",
    "FILE_DESCRIPTORS",
    "LIMITS",
    "MEMORY_MB",
    "PROCESSES_AND_THREADS",
    "SYNC_REQUEST_PAYLOAD_BYTES",
    "SYNC_RESPONSE_PAYLOAD_BYTES",
    "TIMEOUT_S",
    "Limit",
]

QUOTAS_URL = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
INVOKE_API_URL = "https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html"


@dataclass(frozen=True)
class Limit:
    """One AWS number, where it comes from and how pytest-lambda treats it."""

    name: str
    value: int
    unit: str
    treatment: Literal["enforced", "measured", "advisory"]
    source: str
    checked: str


#: Invocation payload (request and response), synchronous: 6 MB = 6,291,456 bytes.
SYNC_REQUEST_PAYLOAD_BYTES = 6_291_456
#: Invocation payload, asynchronous (Event): 1 MB since 2025 (was 256 KB).
ASYNC_REQUEST_PAYLOAD_BYTES = 1_048_576
#: Function timeout bounds, seconds: (min, max, default).
TIMEOUT_S = (1, 900, 3)
#: Function memory bounds, MB: (min, max, default).
MEMORY_MB = (128, 10_240, 128)
#: /tmp (ephemeral storage) bounds, MB: (min, max, default).
EPHEMERAL_STORAGE_MB = (512, 10_240, 512)

#: File descriptors and processes/threads per execution environment.
FILE_DESCRIPTORS = 1024
PROCESSES_AND_THREADS = 1024
#: Sync response limit: 6 MiB + 100 bytes, as Lambda's own error message states.
SYNC_RESPONSE_PAYLOAD_BYTES = 6 * 1024 * 1024 + 100

# How each limit is treated in process isolation (the default). The README's "Limits" table
# says the same, with the fallbacks used where cgroups or namespaces are not available.
LIMITS: tuple[Limit, ...] = (
    Limit(
        "sync request payload",
        SYNC_REQUEST_PAYLOAD_BYTES,
        "bytes",
        "enforced",
        INVOKE_API_URL,
        "2026-11-22",
    ),
    Limit(
        "sync response payload",
        SYNC_RESPONSE_PAYLOAD_BYTES,
        "bytes",
        "enforced",
        INVOKE_API_URL,
        "2026-11-22",
    ),
    Limit(
        "async request payload",
        ASYNC_REQUEST_PAYLOAD_BYTES,
        "bytes",
        "enforced",
        INVOKE_API_URL,
        "2026-11-22",
    ),
    Limit("timeout", TIMEOUT_S[1], "s", "enforced", QUOTAS_URL, "2026-11-22"),
    Limit("memory", MEMORY_MB[1], "MB", "enforced", QUOTAS_URL, "2026-11-22"),
    Limit(
        "ephemeral storage (/tmp)",
        EPHEMERAL_STORAGE_MB[1],
        "MB",
        "enforced",
        QUOTAS_URL,
        "2026-11-22",
    ),
    Limit("file descriptors", FILE_DESCRIPTORS, "", "enforced", QUOTAS_URL, "2026-11-22"),
    Limit("processes and threads", PROCESSES_AND_THREADS, "", "enforced", QUOTAS_URL, "2026-11-22"),
    Limit("environment variables", 4096, "bytes", "enforced", QUOTAS_URL, "2026-11-22"),
)
