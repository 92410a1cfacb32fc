"""Run summaries and the id index in the DynamoDB store: key-ordered queries, never a scan.

Items (beside the journal's, see `dynamodb.py`):

    summary            <started_at>#<run_id>   a run's summary (data as JSON; kind, playbook)
    summary#<kind>     <started_at>#<run_id>   the same, per kind, so `--kind` reads only its own
    ids                <run_id>                one per run: a prefix is a begins_with query
    setting#schema     setting                 the table's schema version (2: summaries + ids)

A table from before summaries is brought up to date once by `migrate` (idempotent: concurrent
migrations write the same items).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from drctl.aws.errors import aws_call
from drctl.core.clock import iso
from drctl.core.summary import RunSummary

SCHEMA_VERSION = 2


class DynamoIndex:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self.table = table

    def id_item(self, run_id: str) -> dict[str, Any]:
        return {"TableName": self.table,
                "Item": {"pk": {"S": "ids"}, "sk": {"S": run_id}}}

    def put_summary(self, summary: RunSummary) -> None:
        """Both copies, each a plain idempotent put: a summary is derived data that the run's
        next lifecycle event rewrites whole, so a torn pair heals without a transaction."""
        sk = f"{iso(summary.started_at)}#{summary.run_id}"
        base = {"sk": {"S": sk}, "data": {"S": json.dumps(summary.stored(), sort_keys=True)},
                "kind": {"S": summary.kind}}
        if summary.playbook:
            base["playbook"] = {"S": summary.playbook}
        with aws_call(f"write the summary of run {summary.run_id}"):
            for pk in ("summary", f"summary#{summary.kind}"):
                self._db.put_item(TableName=self.table, Item={**base, "pk": {"S": pk}})

    def summaries(self, kind: str | None, since: datetime | None, playbook: str | None,
                  limit: int) -> list[RunSummary]:
        query = self._summary_query(kind, since, playbook)
        found: list[RunSummary] = []
        with aws_call(f"list summaries in {self.table}"):
            while len(found) < limit:
                page = self._db.query(**query, Limit=limit if playbook is None else 100)
                found += [RunSummary.from_dict(json.loads(i["data"]["S"]))
                          for i in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    break
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found[:limit]

    def _summary_query(self, kind: str | None, since: datetime | None, playbook: str | None
                       ) -> dict[str, Any]:
        pk = f"summary#{kind}" if kind else "summary"
        query: dict[str, Any] = {
            "TableName": self.table, "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}}, "ScanIndexForward": False,
            "ConsistentRead": True,
        }
        if since is not None:
            query["KeyConditionExpression"] += " AND sk >= :since"
            query["ExpressionAttributeValues"][":since"] = {"S": iso(since)}
        if playbook is not None:
            query["FilterExpression"] = "playbook = :playbook"
            query["ExpressionAttributeValues"][":playbook"] = {"S": playbook}
        return query

    def ids_with_prefix(self, prefix: str, limit: int) -> list[str]:
        with aws_call(f"look up run {prefix!r}"):
            page = self._db.query(
                TableName=self.table, ConsistentRead=True, Limit=limit,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": "ids"}, ":prefix": {"S": prefix}},
            )
        return [item["sk"]["S"] for item in page.get("Items", [])]
