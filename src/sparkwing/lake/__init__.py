"""Storage: URIs, filesystems (local, S3), formats, quarantine, fingerprints."""

from sparkwing.lake._storage import LocalStorage, S3Storage, Storage, s3_client, split_s3, storage_for

__all__ = ["LocalStorage", "S3Storage", "Storage", "s3_client", "split_s3", "storage_for"]
