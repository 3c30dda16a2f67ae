"""Self-contained HTML tear sheet: plotly.js inlined once, metrics table, conventions; no network references."""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from engine.metrics import METRIC_CONVENTIONS
from engine.money import format_money
from engine.tearsheet.data import TearSheet, build_tearsheet
from engine.tearsheet.figures import FIGURE_TITLES, tearsheet_figures

PERCENT_KEYS = {"total_return", "cagr", "annual_volatility", "max_drawdown", "var_95", "cvar_95", "exposure",
                "win_rate", "best_trade", "worst_trade", "alpha"}
MONEY_KEYS = {"initial_equity", "final_equity", "expectancy", "avg_win", "avg_loss"}
DAY_KEYS = {"duration_days", "max_drawdown_duration_days"}
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
_CSS = """
body{background:#0e1117;color:#e6e6e6;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;
margin:0 auto;max-width:1100px;padding:16px}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.15em;margin:1.4em 0 .3em;border-bottom:1px solid #333}
.meta{color:#aaa;margin:0 0 1em}table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{padding:4px 8px;border-bottom:1px solid #262730;text-align:right}th:first-child,td:first-child{text-align:left}
.wrap{overflow-x:auto}.note{color:#999;font-size:.85em;line-height:1.5}
"""


def format_metric(key: str, value: Any, currency: str = "") -> str:
    """A statistic of engine.metrics as display text (tear sheets and pages alike): percent, money, days,
    date, count or ratio; '—' when undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d %b %Y")
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if key in PERCENT_KEYS:
        return f"{value * 100:+.2f}%" if key in {"total_return", "cagr", "alpha"} else f"{value * 100:.2f}%"
    if key in MONEY_KEYS:
        return format_money(float(value), currency) if currency else f"{value:,.2f}"
    if key in DAY_KEYS:
        return f"{value:,.0f} days"
    if key == "n_trades":
        return f"{int(value):,}"
    return f"{value:,.2f}" if isinstance(value, int | float) else str(value)


def metrics_table(ts: TearSheet, currency: str = "") -> pd.DataFrame:
    """Metric rows with Strategy (and benchmark) columns as display text, plus each convention."""
    label = {key: METRIC_CONVENTIONS[key].split(":")[0] for key in ts.stats}
    table = pd.DataFrame({"Metric": [label[k] for k in ts.stats],
                          "Strategy": [format_metric(k, v, currency) for k, v in ts.stats.items()]})
    if ts.benchmark_stats is not None:
        # a benchmark's alpha/beta against itself carry no information, and its price is not money
        table[ts.benchmark_name] = ["—" if k in {"alpha", "beta", *MONEY_KEYS} else
                                    format_metric(k, ts.benchmark_stats[k]) for k in ts.stats]
    table["Convention"] = [METRIC_CONVENTIONS[k] for k in ts.stats]
    return table


def conventions_note(ts: TearSheet) -> str:
    """One paragraph stating how the figures were computed."""
    rf = f"{ts.rf * 100:.2f}% a year, de-annualised geometrically as (1 + rf)^(1/{ts.periods_per_year}) - 1"
    bench = (f" Benchmark {ts.benchmark_name}: prices aligned on the strategy's dates, the last price carried "
             "over at most 5 days; alpha/beta on shared days." if ts.has_benchmark else "")
    return (f"Simple daily returns; annualised with {ts.periods_per_year} periods a year (252 equities/indices, "
            f"365 crypto); risk-free rate {rf}. Rolling figures over {ts.window} daily returns. CAGR counts years "
            f"as returns / {ts.periods_per_year}. Dates are session dates (UTC labels).{bench}")


def _table_html(table: pd.DataFrame) -> str:
    shown = table.drop(columns=["Convention"])
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for (_, row), convention in zip(shown.iterrows(), table["Convention"]):
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in row)
        rows.append(f'<tr title="{html.escape(convention)}">{cells}</tr>')
    return f'<div class="wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def render_html(ts: TearSheet, title: str, currency: str = "") -> str:
    """The tear sheet as one HTML document; plotly.js is inlined with the first figure only."""
    start, end = ts.equity.index[0], ts.equity.index[-1]
    bench = html.escape(ts.benchmark_name) if ts.has_benchmark else "none"
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="meta">Period {start:%d %b %Y} – {end:%d %b %Y} ({len(ts.equity):,} daily values) · '
        f"Benchmark: {bench}</p>",
        "<h2>Metrics</h2>", _table_html(metrics_table(ts, currency)),
    ]
    for i, (key, fig) in enumerate(tearsheet_figures(ts).items()):
        parts.append(f'<h2 id="{key}">{html.escape(FIGURE_TITLES[key])}</h2>')
        parts.append(fig.to_html(full_html=False, include_plotlyjs="inline" if i == 0 else False,
                                 config=PLOTLY_CONFIG, div_id=f"fig-{key}"))
    notes = "".join(f"<br>{html.escape(n)}" for n in ts.notes)
    parts.append(f'<h2>Conventions</h2><p class="note">{html.escape(conventions_note(ts))}{notes}</p>')
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n")


def tearsheet_html(nav: pd.Series, benchmark: pd.Series | None, title: str, periods_per_year: int = 252,
                   *, rf: float = 0.0, benchmark_name: str | None = None, currency: str = "") -> str:
    """Build the tear sheet of `nav` (and `benchmark` prices) and return it as one self-contained HTML page.

    Raises DataError / ParameterError as build_tearsheet.
    """
    ts = build_tearsheet(nav, benchmark, periods_per_year, rf, benchmark_name=benchmark_name)
    return render_html(ts, title, currency)
