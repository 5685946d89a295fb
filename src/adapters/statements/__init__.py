"""Bank statements from files: CSV exports read into statement lines for reconciliation (Y3).

:func:`read_statement` reads a bank's CSV export laid out as a :class:`StatementFormat` (presets:
:data:`GENERIC`, :data:`VIETCOMBANK`, :data:`BIDV`) into a :class:`StatementRead`, whose lines go to
``subscription_core.services.reconciling.reconcile_statement``. Nothing here touches the database.
"""

from subscription_core_adapters.statements.csv_statement import (
    HEADER_SEARCH_ROWS,
    RowProblem,
    StatementRead,
    read_statement,
)
from subscription_core_adapters.statements.formats import (
    BIDV,
    DATE_FORMATS,
    GENERIC,
    PRESETS,
    VIETCOMBANK,
    StatementFormat,
)

__all__ = [
    "BIDV",
    "DATE_FORMATS",
    "GENERIC",
    "HEADER_SEARCH_ROWS",
    "PRESETS",
    "VIETCOMBANK",
    "RowProblem",
    "StatementFormat",
    "StatementRead",
    "read_statement",
]
