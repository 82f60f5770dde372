"""Delivery of in-app notifications by e-mail (SMTP) and an outbound, signed webhook.

Workflows write :class:`~engine.models.Notification` rows with ``email_status`` and
``webhook_status`` NULL (pending); :func:`deliver_pending` claims pending rows per channel, sends
them and records the outcome, so a delivered row is never sent twice (see ``claims``).
"""
from engine.notify.delivery import DeliveryReport, deliver_pending
from engine.notify.settings import NotifySettings, setting

__all__ = ["DeliveryReport", "NotifySettings", "deliver_pending", "setting"]
