"""Report results kept for the next reader: one row per report, arguments and viewer scope."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UTCDateTime


class ReportResult(Base):
    """A report's figures as computed at ``computed_at`` from the data whose stamp is
    ``stamp``; ``key`` is a digest of the report, its arguments and whose view it is."""

    __tablename__ = "report_results"
    __table_args__ = (Index(None, "computed_at"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    report: Mapped[str] = mapped_column(String(100))
    stamp: Mapped[str] = mapped_column(String(500))
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    seconds: Mapped[float] = mapped_column(Float)
    payload: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<ReportResult {self.report} {self.key[:8]} {self.computed_at:%Y-%m-%d %H:%M}>"
