"""An RDS drill judges a snapshot restore against what the snapshot recorded, not today's source."""

from __future__ import annotations

import dataclasses

from drctl.aws.rds_restore import DbProfile
from drctl.drill.db_check import check_instance

SOURCE = DbProfile("db", "arn:db", "available", "postgres", "16.3", "gp3", 40, True,
                   ("custom-params",), ("default:postgres-16",), "key-1", 7, None, "db.host",
                   5432)
RESTORED = dataclasses.replace(SOURCE, identifier="db-drill-1", allocated_storage=20,
                               parameter_groups=("default.postgres16",))
SNAPSHOT = {"engine": "postgres", "engine_version": "16.3", "allocated_storage": 20,
            "storage_encrypted": True, "kms_key_id": "key-1",
            "option_group": "default:postgres-16"}


def no_hook(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
    raise AssertionError("no hook configured")


def test_a_source_grown_since_the_snapshot_does_not_fail_the_drill() -> None:
    result = check_instance(SOURCE, RESTORED, SNAPSHOT, None, "us-east-1", no_hook)

    assert result["passed"], result["problems"]
    assert result["compared_with"] == "snapshot" and result["mismatches"] == {}
    assert result["source_differences"]["allocated_storage"] == {"source": 40, "restored": 20}
    assert set(result["source_differences"]) == {"allocated_storage", "parameter_groups"}


def test_a_restore_unlike_its_snapshot_fails() -> None:
    wrong = dataclasses.replace(RESTORED, kms_key_id="key-2", engine_version="15.1")

    result = check_instance(SOURCE, wrong, SNAPSHOT, None, "us-east-1", no_hook)

    assert not result["passed"]
    assert set(result["mismatches"]) == {"kms_key_id", "engine_version"}
    assert "kms_key_id: the snapshot recorded 'key-1', restored 'key-2'" in result["problems"]


def test_a_point_in_time_restore_reports_every_difference_as_information() -> None:
    result = check_instance(SOURCE, RESTORED, None, None, "us-east-1", no_hook)

    assert result["passed"] and result["compared_with"] == "nothing"
    assert "allocated_storage" in result["source_differences"]
