"""Data and code versions of the partitioned assets, as Dagster's staleness reads them.

``parse_reports`` records one materialization per partition it wrote (not Dagster's one per partition
of the run), so it writes itself the tags Dagster would put on them: the code version
(``gi_pipeline.manifest.code_version``), the data version (the partition's manifest fingerprint:
the hash of its reports and the versions it was built with) and the data versions of the parents
(the provenance the UI compares to mark a partition stale).  The tag names are Dagster's own
(``dagster._core.definitions.data_version``); nothing here computes a version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dagster as dg
from dagster._core.definitions.data_version import (
    CODE_VERSION_TAG,
    DATA_VERSION_IS_USER_PROVIDED_TAG,
    DATA_VERSION_TAG,
    DEFAULT_DATA_VERSION,
    NULL_EVENT_POINTER,
    get_input_data_version_tag,
    get_input_event_pointer_tag,
)

# (data version, storage id of the event that recorded it, or None)
InputVersion = tuple[str, int | None]


def latest_version(instance: dg.DagsterInstance, key: dg.AssetKey) -> InputVersion:
    """The data version of an unpartitioned asset's latest materialization, and its storage id
    (Dagster's default when it has none: such an input is not a change)."""
    record = instance.get_latest_data_version_record(key)
    if record is None:
        return DEFAULT_DATA_VERSION.value, None
    tags = record.event_log_entry.tags or {}
    return tags.get(DATA_VERSION_TAG, DEFAULT_DATA_VERSION.value), record.storage_id


def partition_tags(
    partition: dg.MultiPartitionKey, data_version: str, code_version: str, inputs: Mapping[dg.AssetKey, InputVersion]
) -> dict[str, str]:
    """The tags of one partition's materialization: versions, provenance and the partition's
    dimensions (as Dagster tags a multi-partition materialization)."""
    tags = {
        CODE_VERSION_TAG: code_version,
        DATA_VERSION_TAG: data_version,
        DATA_VERSION_IS_USER_PROVIDED_TAG: "true",
        **{f"dagster/partition/{dim}": key for dim, key in sorted(partition.keys_by_dimension.items())},
    }
    for key, (version, storage_id) in inputs.items():
        tags[get_input_data_version_tag(key)] = version
        tags[get_input_event_pointer_tag(key)] = str(storage_id) if storage_id else NULL_EVENT_POINTER
    return tags


def parent_versions(
    parents: Sequence[dg.AssetKey], in_step: set[dg.AssetKey], data_version: str,
    outside: Mapping[dg.AssetKey, InputVersion],
) -> dict[dg.AssetKey, InputVersion]:
    """The versions of an asset's parents for one partition: a parent written in the same step (the
    same partition of another table of ``parse_reports``) has the partition's data version; one
    outside it, its latest (``outside``)."""
    return {key: (data_version, None) if key in in_step else outside[key] for key in parents}
