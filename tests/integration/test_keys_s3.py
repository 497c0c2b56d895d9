"""Issue 14 item 5 on S3: key-store updates are compare-and-swaps (conditional PUTs on moto)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from sparkwing.auth import KeyStore
from sparkwing.config import S3Settings
from sparkwing.workspace import Workspace
from sparkwing.workspace._storage import S3Storage

pytestmark = pytest.mark.s3


@pytest.fixture()
def s3(s3_server: str) -> tuple[S3Settings, str]:
    settings = S3Settings(
        endpoint_url=s3_server, region="us-east-1", access_key_id="test", secret_access_key="test"
    )
    bucket = f"keys-{uuid.uuid4().hex[:8]}"
    S3Storage(settings)._client.create_bucket(Bucket=bucket)
    return settings, f"s3://{bucket}/ws"


def test_replace_if_is_a_compare_and_swap(s3: tuple[S3Settings, str]) -> None:
    settings, root = s3
    storage, uri = S3Storage(settings), f"{root}/serve/keys.json"
    assert storage.read_versioned(uri) is None
    assert storage.replace_if(uri, b"one", None)
    assert not storage.replace_if(uri, b"again", None)  # it exists now
    data, version = storage.read_versioned(uri)  # type: ignore[misc]
    assert data == b"one"
    assert storage.replace_if(uri, b"two", version)
    assert not storage.replace_if(uri, b"stale", version)  # the version moved on
    assert storage.read_versioned(uri)[0] == b"two"  # type: ignore[index]


def test_interleaved_key_changes_on_s3_are_not_lost(s3: tuple[S3Settings, str]) -> None:
    settings, root = s3
    a, b = KeyStore(Workspace(root, s3=settings)), KeyStore(Workspace(root, s3=settings))
    _, seed = a.create("predict", name="seed")
    errors: list[Any] = []

    def create(store: KeyStore) -> None:
        try:
            for _ in range(4):
                store.create("predict")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=create, args=(KeyStore(Workspace(root, s3=settings)),)) for _ in range(3)
    ]
    for t in threads:
        t.start()
    b.revoke("seed")
    for t in threads:
        t.join(timeout=60)
    assert not errors
    keys = KeyStore(Workspace(root, s3=settings)).keys()
    assert len(keys) == 1 + 3 * 4
    assert next(k for k in keys if k.id == seed.id).revoked is not None
