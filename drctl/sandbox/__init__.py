"""The embedded AWS: a moto server, the seeded Roadtrip-Copilot estate, one app per region,
replication with an injected lag, an alarm evaluator, fault knobs and moto fidelity fixes.

- `manager`: the API the CLI calls (start, status, stop, outage, restore, ground truth).
- `supervisor`: the process that hosts it all; `runtime` wires the parts together.
- `server`, `control`: moto behind our WSGI middleware (control API; faults go in front of moto).
- `estate`, `seed`: the seeded resources and their names.
- `apps`, `replicator`, `alarms`: what moto does not do by itself.
- `fidelity`: where moto differs from AWS, corrected, each with a test stating AWS's behaviour.
- `conditions`: the injected conditions, which are also the tests' ground truth.
"""
