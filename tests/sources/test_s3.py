"""S3 notifications: key encoding, eTags, versions, sequencers, batches."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import unquote_plus

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_lambda import EventBuildError, build_event

NOW = datetime(2024, 1, 1, 12, 0, 0, 123_000, tzinfo=timezone.utc)
# Object keys: any non-empty text up to 200 characters (S3 allows 1,024 bytes).
KEYS = st.text(min_size=1, max_size=200)


def obj(event, index=0):
    return event["Records"][index]["s3"]["object"]


def test_the_issue_example_is_what_s3_sends():
    event = build_event(
        "s3", "put", bucket="photos", key="cats/tom & jerry.jpg", size=2048, seed=1, now=NOW
    )
    record = event["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventTime"] == "2024-01-01T12:00:00.123Z"
    assert record["s3"]["bucket"] == {
        "name": "photos",
        "ownerIdentity": record["s3"]["bucket"]["ownerIdentity"],
        "arn": "arn:aws:s3:::photos",
    }
    assert obj(event)["key"] == "cats/tom+%26+jerry.jpg"
    assert obj(event)["size"] == 2048
    assert re.fullmatch(r"[0-9a-f]{32}", obj(event)["eTag"])
    assert re.fullmatch(r"[0-9A-F]{18}", obj(event)["sequencer"])
    assert "versionId" not in obj(event)


@settings(max_examples=100, deadline=None)
@given(key=KEYS)
def test_keys_decode_back_with_unquote_plus(key):
    encoded = obj(build_event("s3", key=key, seed=1, now=NOW))["key"]
    assert unquote_plus(encoded) == key
    assert " " not in encoded


@pytest.mark.parametrize(
    ("variant", "event_name", "fields"),
    [
        ("put", "ObjectCreated:Put", {"key", "size", "eTag", "sequencer"}),
        ("copy", "ObjectCreated:Copy", {"key", "size", "eTag", "sequencer"}),
        ("post", "ObjectCreated:Post", {"key", "size", "eTag", "sequencer"}),
        (
            "multipart",
            "ObjectCreated:CompleteMultipartUpload",
            {"key", "size", "eTag", "sequencer"},
        ),
        ("delete", "ObjectRemoved:Delete", {"key", "sequencer"}),
        (
            "delete_marker",
            "ObjectRemoved:DeleteMarkerCreated",
            {"key", "eTag", "versionId", "sequencer"},
        ),
    ],
)
def test_each_variant_has_its_event_name_and_object_fields(variant, event_name, fields):
    event = build_event("s3", variant, seed=2, now=NOW)
    assert event["Records"][0]["eventName"] == event_name
    assert set(obj(event)) == fields


def test_multipart_etag_counts_the_parts():
    event = build_event("s3", "multipart", parts=12, seed=1)
    assert re.fullmatch(r"[0-9a-f]{32}-12", obj(event)["eTag"])
    with pytest.raises(
        EventBuildError, match="only applies to operation='CompleteMultipartUpload'"
    ):
        build_event("s3", "put", parts=3)


def test_versioned_buckets_get_version_ids():
    assert len(obj(build_event("s3", versioned=True, seed=1))["versionId"]) == 32
    assert obj(build_event("s3", version_id="v1", seed=1))["versionId"] == "v1"


def test_records_number_the_key_and_sequencers_increase():
    event = build_event("s3", key="in/photo.jpg", records=3, seed=1)
    assert [obj(event, i)["key"] for i in range(3)] == [
        "in/photo-1.jpg",
        "in/photo-2.jpg",
        "in/photo-3.jpg",
    ]
    sequencers = [obj(event, i)["sequencer"] for i in range(3)]
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == 3
    listed = build_event("s3", key=["a.txt", "b c.txt"], seed=1)
    assert [obj(listed, i)["key"] for i in range(2)] == ["a.txt", "b+c.txt"]
    with pytest.raises(EventBuildError, match="does not match the 2 keys"):
        build_event("s3", key=["a", "b"], records=3)


@pytest.mark.parametrize("bucket", ["ab", "Upper", "-lead", "under_score", "x" * 64])
def test_invalid_bucket_names_are_refused(bucket):
    with pytest.raises(EventBuildError, match="not a valid bucket name"):
        build_event("s3", bucket=bucket)


def test_oversized_keys_and_negative_sizes_are_refused():
    with pytest.raises(EventBuildError, match="1 to 1,024 bytes"):
        build_event("s3", key="é" * 513)
    with pytest.raises(EventBuildError, match="size must be >= 0"):
        build_event("s3", size=-1)
