"""Data imports from ERP/CRM exports (SPEC §6): users, products, customers, orders, payments,
visits, from CSV or XLSX; streamed, checked whole, merged set-based, all or nothing.

Rows are upserted by their id (``username``, ``code``, ``order_id``, ``invoice_id``,
``visit_id``). A column left out of a file leaves that attribute as stored (a new row gets its
default); an empty cell is null. Importing the same file again changes nothing.
"""
from engine.imports import master, customers, facts  # noqa: F401  (registers the kinds)
from engine.imports.importer import BATCH_ROWS, ImportReport, import_file
from engine.imports.kinds import KINDS, get_kind
from engine.imports.problems import LISTED, ImportRejected
from engine.imports.reading import ENCODINGS

__all__ = ["import_file", "ImportReport", "ImportRejected", "KINDS", "get_kind", "ENCODINGS",
           "BATCH_ROWS", "LISTED"]
