"""The scheduler process: scheduled evaluations, daily maintenance, notification delivery.

Run it with ``kamflow scheduler`` as a process of its own (never inside web workers). Several
may run against one database: each tick is claimed by INSERTing its ``scheduler_ticks`` row, so
it runs once; ticks missed while no scheduler ran are coalesced into one run and audited; a tick
whose process died is taken over and finished. Settings: ``engine.scheduler.settings``; the
process: ``engine.scheduler.service``. The package itself imports nothing, so that reading a
schedule (``engine.scheduler.schedules``, used when definitions are validated) does not load
the evaluation engine.
"""
