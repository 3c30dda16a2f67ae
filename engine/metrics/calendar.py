"""Calendar views of an equity curve: monthly returns table (years x months) and yearly returns."""

from __future__ import annotations

import pandas as pd

from engine.metrics._inputs import clean_equity, require_datetime_index

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _period_returns(values: pd.Series, keys: list[pd.Index]) -> pd.Series:
    """Return per calendar period: last equity of the period / last equity before it - 1.

    The first period is measured from the first bar, so this equals compounding the bar returns
    that fall inside each period.
    """
    closes = values.groupby(keys).last()
    previous = closes.shift(1)
    previous.iloc[0] = values.iloc[0]
    return closes / previous - 1.0


def yearly_returns(equity: pd.Series) -> pd.Series:
    """Compounded return (decimal) per calendar year of the index (UTC for Quantdesk bars).

    Indexed by year (int). Raises DataError for unusable equity or a non-datetime index.
    """
    values = clean_equity(equity)
    require_datetime_index(values)
    out = _period_returns(values, [values.index.year])
    out.index = out.index.astype(int).rename("year")
    return out.rename("return")


def monthly_returns_table(equity: pd.Series) -> pd.DataFrame:
    """Years x months table of compounded monthly returns (decimal) plus a compounded "Year" column.

    Columns "Jan".."Dec", "Year"; rows indexed by year (int). Months without bars are NaN; a month
    after a gap carries the return since the last observed month. Raises DataError for unusable
    equity or a non-datetime index.
    """
    values = clean_equity(equity)
    require_datetime_index(values)
    monthly = _period_returns(values, [values.index.year, values.index.month])
    table = monthly.unstack()
    table = table.reindex(columns=range(1, 13))
    table.columns = list(MONTHS)
    table["Year"] = yearly_returns(values).to_numpy()
    table.index = table.index.astype(int).rename("year")
    return table
