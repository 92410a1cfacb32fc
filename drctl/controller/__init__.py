"""The controller: schedules, the alarm watch, the canary, the leader lease, health/metrics.

    triggers   when a schedule fires (APScheduler's triggers, nominal times, jitter)
    tick       the heart: tick(now, jobs, state) -> what to start, what was missed, next wake-up
    state      what the store remembers of each schedule: cursor, claims, pause, last result
    scheduler  the shell around tick: read state, claim fires, hand them to the executor
"""
