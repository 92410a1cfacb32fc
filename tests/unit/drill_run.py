"""Running one drill in process on the fake `Aws` (drctl/aws/fake.py), for the drill step tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from drctl.aws.fake import FakeAws, FakeEstate
from drctl.core.clock import FakeClock
from drctl.core.engine import Engine
from drctl.core.errors import InvalidInput, StepFailed
from drctl.core.figures import DrillFigures
from drctl.core.run import Run
from drctl.core.store import load_run
from drctl.drill.journaled import state_from_journal
from drctl.drill.measure import drill_measurement
from drctl.drill.preflight import preflight
from drctl.drill.runner import DrillInterrupted, run_drill
from drctl.drill.spec import DrillDeps, DrillOptions, DrillSpec, select_drills
from drctl.store.memory import MemoryStore
from tests.unit import fake_estate
from tests.unit.helpers import T0


@dataclass
class Hook:
    """The validation hook's runner: answers `answer`, records each environment it got."""

    answer: tuple[int, str] = (0, "ok")
    calls: list[dict[str, str]] = field(default_factory=list)

    def __call__(self, argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, str]:
        self.calls.append(dict(env))
        return self.answer


@dataclass
class Drilled:
    """What one drill left: its run (failed or not), the error it raised, the engine."""

    run: Run
    error: Exception | None
    engine: Engine
    spec: DrillSpec

    @property
    def figures(self) -> DrillFigures:
        assert isinstance(self.run.figures, DrillFigures), self.run.measurement
        return self.run.figures

    def recomputed(self) -> DrillFigures:
        """The figures made again from the journal alone."""
        return drill_measurement(self.spec, state_from_journal(self.run))


def spec_for(tmp_path: Path, target: str, kind: str, **options: object) -> DrillSpec:
    [spec] = select_drills(fake_estate.playbook(tmp_path),
                           DrillOptions(target, kind, **options))  # type: ignore[arg-type]
    return spec


def deps_for(estate: FakeEstate, clock: FakeClock, hook: Hook | None = None) -> DrillDeps:
    estate.now = clock.now
    return DrillDeps(FakeAws(estate), clock, hook or Hook())


def drill(tmp_path: Path, estate: FakeEstate, target: str, kind: str,
          engine: Engine | None = None, hook: Hook | None = None,
          **options: object) -> Drilled:
    """Pre-flight and run the drill; a refusal (InvalidInput) is raised, as the CLI gets it."""
    engine = engine or Engine(MemoryStore(), FakeClock(T0))
    assert isinstance(engine.clock, FakeClock)
    deps = deps_for(estate, engine.clock, hook)
    spec = spec_for(tmp_path, target, kind, **options)
    point = preflight(spec, deps)
    try:
        run = run_drill(spec, point, deps, engine)
        return Drilled(run, None, engine, spec)
    except (StepFailed, DrillInterrupted) as exc:
        assert exc.run_id, exc
        return Drilled(load_run(engine.store, exc.run_id), exc, engine, spec)


__all__ = ["Drilled", "Hook", "InvalidInput", "deps_for", "drill", "spec_for"]
