"""Step 3, switch_dns: every record of the playbook moved in one Route53 change batch.

The switch is the cut: from it the target region stops receiving replication from the old one
(in a switchover the old region is still up, and its writers may go on writing after it). So
the RPO of every data store is read here, as soon as the change is INSYNC -- what had reached
the target region by the cut, against what the old region had written by then -- not at the
first smoke pass, which can come minutes later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from drctl.core.clock import iso
from drctl.core.step import Change, StepContext, StepPolicy
from drctl.failover.base import FailoverStep
from drctl.failover.dns import RecordChange, read_records, switch_changes
from drctl.failover.outputs import IncidentStart, RpoAtCut
from drctl.failover.rpo_stores import read_stores


class SwitchDns(FailoverStep):
    name = "switch_dns"
    policy = StepPolicy(retries=3)

    def _changes(self, reuse: bool = False) -> tuple[str, list[RecordChange]]:
        return self.read("records", self._read_changes, reuse=reuse)

    def _read_changes(self) -> tuple[str, list[RecordChange]]:
        dns = self.spec.playbook.dns
        zone_id, found = read_records(self.deps.aws.route53(), dns,
                                      list(self.spec.playbook.regions))
        changes = []
        for rec in dns.records:
            changes += switch_changes(rec, found[rec.name], self.spec.target_region, dns.weight)
        return zone_id, changes

    def plan(self, ctx: StepContext) -> list[Change]:
        return self.plan_of(self._changes()[1])

    def plan_of(self, changes: list[RecordChange]) -> list[Change]:
        # Route53 is global: the set identifier names the region a record points at; the
        # change itself is made in no region (region None).
        return [
            Change(self.name, "set weight" if isinstance(c.after, int) else "set failover role",
                   f"{c.record} [{c.set_identifier}]", None, c.before, c.after)
            for c in changes if c.changes_something
        ]

    # No verify(): the change batch is an idempotent UPSERT, so applying it again on a retry
    # or a resume is harmless -- and it is the only way to know the change reached INSYNC and
    # to journal its id and time.

    def apply(self, ctx: StepContext) -> dict[str, Any]:
        zone_id, changes = self._changes(reuse=True)
        r53 = self.deps.aws.route53()
        ctx.record_changes(self.plan_of(changes), applied=False)
        change_id = r53.upsert(
            zone_id, [c.new_record for c in changes],
            comment=f"drctl {ctx.run_id}: traffic to {self.spec.target_region}",
        )
        ctx.record_changes(self.plan_of(changes))
        ctx.report(f"change {change_id} submitted; waiting for INSYNC")
        ctx.wait_until(lambda: r53.change_in_sync(change_id),
                       timeout=self.spec.playbook.dns.timeout, interval=2.0,
                       what=f"Route53 change {change_id} to be INSYNC")
        switched_at = ctx.now()
        return {
            "dns_change_id": change_id,
            "dns_switched_at": iso(switched_at),
            **self._rpo_at_cut(ctx, switched_at),
            "dns_changes": [
                {"record": c.record, "set_identifier": c.set_identifier,
                 "before": c.before, "after": c.after}
                for c in changes
            ],
        }

    def _rpo_at_cut(self, ctx: StepContext, cut: datetime) -> dict[str, Any]:
        """Each data store's RPO, and the run's (the worst store's), read at the cut."""
        start = IncidentStart.from_facts(ctx.facts)
        stores = read_stores(
            self.spec.playbook.rpo, self.deps.aws, self.spec.failed_region,
            self.spec.target_region, start.at if start else cut, cut, self.spec.replica)
        reading = RpoAtCut.of(stores, ctx.now())
        rpo = reading.rpo
        ctx.report(f"RPO at the cut: {rpo.seconds:g}s ({rpo.source})" if rpo
                   else "RPO at the cut: not measured")
        return reading.to_output()
