"""Jobs (SPEC §5.3): long work that a web page records and a worker process does.

A page calls ``queue.enqueue`` and returns at once; ``kamflow worker`` (started beside the web
server by ``kamflow serve`` and ``kamflow demo`` unless ``--no-worker``) claims each job exactly
once, runs its handler (``engine.jobs.handlers``), reports progress and stores the result or the
error; the page polls the job. A worker that dies half-way leaves its job ``running`` with a
heartbeat that stops: after a lease (or at once, when its process is known to be gone from this
host) another worker takes it over. Handlers make their effects at most once whatever the number
of attempts: an evaluation job's run carries the job's key (``job:<id>``) as its unique
``tick_key`` and commits with its consequences, so a second attempt finds it instead of
evaluating again.

Why not a task-queue library: the well-kept ones need a broker (Redis, RabbitMQ: Celery, RQ,
Dramatiq) or serve one database only (procrastinate: PostgreSQL); huey's SQL storage drops a
task whose worker is killed. kamflow must run on its SQLite file alone, and must take over a
killed worker's job, so jobs build on the same claim-and-lease pattern as scheduler ticks.
"""
