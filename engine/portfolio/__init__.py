"""Holdings from transactions: FIFO lots, P&L, XIRR, allocation, value/NAV series and tradebook import."""

from engine.portfolio.allocation import ALLOCATION_COLUMNS, UNKNOWN, allocation, allocation_by
from engine.portfolio.importer import ImportResult, Tradebook, detect_format, import_tradebook, read_tradebook
from engine.portfolio.lots import (
    HOLDING_COLUMNS,
    SALE_COLUMNS,
    Book,
    Lot,
    Sale,
    build_book,
    holdings_table,
    totals,
)
from engine.portfolio.nav import NAV_START, day_change, mark_prices, value_series
from engine.portfolio.report import PortfolioReport, benchmark_for, benchmark_prices, build_report
from engine.portfolio.service import (
    DEFAULT_PORTFOLIO,
    AddResult,
    load_transactions,
    portfolio_names,
    record_transactions,
    remove_transactions,
    transactions_table,
)
from engine.portfolio.transactions import KINDS, Transaction, check_kind, parse_ratio
from engine.portfolio.xirr import npv, xirr

__all__ = [
    "ALLOCATION_COLUMNS",
    "DEFAULT_PORTFOLIO",
    "HOLDING_COLUMNS",
    "KINDS",
    "NAV_START",
    "SALE_COLUMNS",
    "UNKNOWN",
    "AddResult",
    "Book",
    "ImportResult",
    "Lot",
    "PortfolioReport",
    "Sale",
    "Tradebook",
    "Transaction",
    "allocation",
    "allocation_by",
    "benchmark_for",
    "benchmark_prices",
    "build_book",
    "build_report",
    "check_kind",
    "day_change",
    "detect_format",
    "holdings_table",
    "import_tradebook",
    "load_transactions",
    "mark_prices",
    "npv",
    "parse_ratio",
    "portfolio_names",
    "read_tradebook",
    "record_transactions",
    "remove_transactions",
    "totals",
    "transactions_table",
    "value_series",
    "xirr",
]
