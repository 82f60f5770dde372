"""``kamflow scheduler`` (the scheduler process) and ``kamflow notify send``."""
from __future__ import annotations

import logging

import click

from engine.cli import pass_context, reports_errors


def _log_to_stderr(verbose: bool) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    if not verbose:
        # One line per fired job or state-machine callback would drown what matters.
        for chatty in ("apscheduler", "transitions"):
            logging.getLogger(chatty).setLevel(logging.WARNING)


@click.command()
@click.option("--once", is_flag=True,
              help="Run what is due now (missed ticks, abandoned claims, delivery), then exit.")
@click.option("--refresh-seconds", type=float, default=None,
              help="How often published rulesets are re-read [KAMFLOW_SCHEDULER_REFRESH_SECONDS].")
@click.option("-v", "--verbose", is_flag=True)
@pass_context
@reports_errors
def scheduler(ctx, once: bool, refresh_seconds: float | None, verbose: bool):
    """Run scheduled evaluations, daily maintenance and notification delivery.

    Start it as its own process (never inside web workers); several may run side by side
    against one database: each tick runs once.
    """
    from engine.scheduler.service import SchedulerService
    from engine.scheduler.settings import SchedulerSettings

    _log_to_stderr(verbose)
    settings = SchedulerSettings.load(ctx.settings, refresh_seconds=refresh_seconds)
    service = SchedulerService(ctx.engine, settings)
    if once:
        service.run_once()
    else:
        service.run_forever()


@click.group()
def notify():
    """Notification delivery (e-mail, webhook)."""


@notify.command("send")
@click.option("-v", "--verbose", is_flag=True)
@pass_context
@reports_errors
def send(ctx, verbose: bool):
    """Send pending notifications now over every configured channel."""
    from engine.notify import NotifySettings, deliver_pending

    _log_to_stderr(verbose)
    report = deliver_pending(ctx.engine, NotifySettings.load(ctx.settings))
    click.echo(str(report))


@click.command()
@click.option("--once", is_flag=True, help="Run the jobs waiting now, then exit.")
@click.option("-v", "--verbose", is_flag=True)
@pass_context
@reports_errors
def worker(ctx, once: bool, verbose: bool):
    """Run jobs started from the web (evaluations, dry runs, imports), one at a time.

    `kamflow serve` starts one beside the web server unless --no-worker; several may run side
    by side against one database: each job is claimed once, and a job whose worker died is
    taken over.
    """
    import signal
    import threading

    from engine.jobs.worker import WorkerSettings, work

    _log_to_stderr(verbose)
    settings = WorkerSettings.load(ctx.settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())     # finish the job at hand, then stop
    done = work(ctx.engine, stop, settings, once=once)
    if once:
        click.echo(f"{done} job{'' if done == 1 else 's'} run")
