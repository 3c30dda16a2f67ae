"""CSV import parsing: headers, dates, decimal marks, delimiters, and row problems with line numbers."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from engine.data.providers.csv_provider import CsvProvider, parse_csv
from engine.errors import DataError, UnknownSymbol


def utc(*days: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(d, tz="UTC") for d in days]


def test_standard_yahoo_export(tmp_path: Path):
    path = tmp_path / "INFY.csv"
    path.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n"
                    "2024-01-02,100,101,99,100.5,100.4,1000\n"
                    "2024-01-03,100.5,102,100,101.5,101.4,2000\n")
    bars, problems = parse_csv(path, "INFY.NS")
    assert problems == []
    assert list(bars.index) == utc("2024-01-02", "2024-01-03")
    assert bars.loc["2024-01-03"].tolist() == [100.5, 102.0, 100.0, 101.5, 101.4, 2000.0]
    assert (bars.dtypes == "float64").all() and bars.index.name == "ts"


def test_headers_in_any_case_with_spaces_underscores_and_short_names():
    data = b"TIMESTAMP,o,H,l,C,adj_close,v\n2024-01-02,1,2,0.5,1.5,1.4,10\n"
    bars, _ = parse_csv(data)
    assert bars.iloc[0].tolist() == [1.0, 2.0, 0.5, 1.5, 1.4, 10.0]
    data = b"date , OPEN PRICE , High_Price , low price , Close Price , Shares Traded\n2024-01-02,1,2,0.5,1.5,10\n"
    bars, _ = parse_csv(data)
    assert bars["adj_close"].iloc[0] == 1.5 and bars["volume"].iloc[0] == 10.0


def test_missing_columns_lists_expected_and_found():
    with pytest.raises(DataError) as info:
        parse_csv(b"Date,Open,Close\n2024-01-02,1,2\n")
    text = str(info.value)
    assert "high, low" in text and "expected Date, Open, High, Low, Close" in text
    assert "found: Date, Open, Close" in text


def test_empty_file_and_header_only():
    with pytest.raises(DataError, match="the file is empty"):
        parse_csv(b"")
    with pytest.raises(DataError, match="the file is empty"):
        parse_csv(b"\n  \n")
    with pytest.raises(DataError, match="no rows"):
        parse_csv(b"Date,Open,High,Low,Close\n")


def test_missing_file_is_a_data_error(tmp_path: Path):
    with pytest.raises(DataError, match="file not found"):
        parse_csv(tmp_path / "nope.csv")


def test_bad_rows_are_reported_with_line_numbers_and_skipped():
    data = (b"Date,Open,High,Low,Close,Volume\n"
            b"2024-01-02,100,101,99,100.5,10\n"      # line 2 ok
            b"2024-01-03,100,abc,99,100,10\n"        # line 3 bad number
            b"not-a-date,100,101,99,100,10\n"        # line 4 bad date
            b"\n"                                    # line 5 blank
            b"2024-01-05,100,101,99,,10\n"           # line 6 empty close
            b"2024-01-08,96,95.0,96.0,95.5,10\n"     # line 7 high < low
            b"2024-01-09,100,101,99,100,-5\n"        # line 8 negative volume
            b"2024-01-10,0,101,99,100,10\n"          # line 9 zero open
            b"2024-01-02,100,101,99,100,10\n"        # line 10 duplicate of line 2
            b"2024-01-11,100,100.5,99,101,10\n")     # line 11 close above high
    bars, problems = parse_csv(data)
    assert list(bars.index) == utc("2024-01-02")
    assert "line 3: high 'abc' is not a number" in problems
    assert "line 4: cannot read date 'not-a-date'" in problems
    assert "line 6: close is empty" in problems
    assert "line 7: high 95.0 < low 96.0" in problems
    assert "line 8: volume -5.0 is negative" in problems
    assert "line 9: open 0.0 is not positive" in problems
    assert "line 10: duplicate date 2024-01-02 (line 2 kept)" in problems
    assert "line 11: high 100.5 < close 101.0" in problems
    assert len(problems) == 8


def test_every_row_bad_is_a_data_error():
    with pytest.raises(DataError, match="no usable rows.*line 2"):
        parse_csv(b"Date,Open,High,Low,Close\nxx,1,2,0.5,1\n")


def test_semicolon_delimiter_and_decimal_comma():
    data = (b"Date;Open;High;Low;Close;Volume\n"
            b"02.01.2024;1.234,5;1.240,0;1.230,0;1.235,5;1.000\n"
            b"03.01.2024;1.235,5;1.250,25;1.220,0;1.240,0;2.000\n")
    bars, problems = parse_csv(data)
    assert list(bars.index) == utc("2024-01-02", "2024-01-03")
    assert bars.iloc[1][["open", "high", "low", "close", "volume"]].tolist() == [1235.5, 1250.25, 1220.0, 1240.0, 2000.0]
    assert any("decimal comma" in p for p in problems)


def test_plain_decimal_comma_without_thousands():
    bars, _ = parse_csv(b"Date;Open;High;Low;Close\n2024-01-02;99,5;100,25;98,75;99,9\n")
    assert bars.iloc[0][["open", "high", "low", "close"]].tolist() == [99.5, 100.25, 98.75, 99.9]


def test_thousand_separators_including_indian_grouping():
    data = (b'Date,Open,High,Low,Close,Volume\n'
            b'2024-01-02,"1,234.50","1,240.00","1,230.00","1,235.00","1,00,000"\n')
    bars, _ = parse_csv(data)
    assert bars.iloc[0].tolist() == [1234.5, 1240.0, 1230.0, 1235.0, 1235.0, 100000.0]


def test_indian_day_first_dates():
    data = b"Date,Open,High,Low,Close\n25-01-2024,1,2,0.5,1.5\n02/01/2024,1,2,0.5,1.5\n05.02.2024,1,2,0.5,1.5\n"
    bars, _ = parse_csv(data)
    assert list(bars.index) == utc("2024-01-02", "2024-01-25", "2024-02-05")


def test_ambiguous_day_month_is_read_day_first_and_said_so():
    bars, problems = parse_csv(b"Date,Open,High,Low,Close\n03/04/2024,1,2,0.5,1.5\n")
    assert list(bars.index) == utc("2024-04-03")
    assert any("day first" in p for p in problems)


def test_us_month_first_detected_when_unambiguous():
    bars, _ = parse_csv(b"Date,Open,High,Low,Close\n01/25/2024,1,2,0.5,1.5\n01/02/2024,1,2,0.5,1.5\n")
    assert list(bars.index) == utc("2024-01-02", "2024-01-25")


def test_month_names_and_yyyymmdd():
    data = b'Date,Open,High,Low,Close,Volume\n02-Jan-2024,1,2,0.5,1,1\n"Jan 3, 2024",1,2,0.5,1,12.5M\n20240105,1,2,0.5,1,3\n'
    bars, _ = parse_csv(data)
    assert list(bars.index) == utc("2024-01-02", "2024-01-03", "2024-01-05")
    assert bars["volume"].tolist() == [1.0, 12_500_000.0, 3.0]


@pytest.mark.parametrize("unit,scale", [("s", 1), ("ms", 1000)])
def test_epoch_seconds_and_milliseconds(unit, scale):
    t0 = int(pd.Timestamp("2024-01-02", tz="UTC").timestamp()) * scale
    data = f"time,open,high,low,close\n{t0},1,2,0.5,1\n{t0 + 86400 * scale},1,2,0.5,1\n".encode()
    bars, problems = parse_csv(data)
    assert list(bars.index) == utc("2024-01-02", "2024-01-03")
    assert any(("milliseconds" if unit == "ms" else "seconds") in p for p in problems)


def test_epoch_of_ist_midnight_is_the_indian_session_date():
    t0 = int(pd.Timestamp("2024-01-02", tz="Asia/Kolkata").timestamp())  # 2024-01-01 18:30 UTC
    bars, _ = parse_csv(f"time,open,high,low,close\n{t0},1,2,0.5,1\n".encode(), "INFY.NS")
    assert list(bars.index) == utc("2024-01-02")


def test_daily_dates_with_offsets_keep_the_written_date():
    bars, _ = parse_csv(b"Date,Open,High,Low,Close\n2024-01-02 00:00:00+05:30,1,2,0.5,1\n")
    assert list(bars.index) == utc("2024-01-02")


def test_intraday_times_with_and_without_offset():
    data = (b"Datetime,Open,High,Low,Close,Volume\n"
            b"2024-01-02 09:15:00+05:30,1,2,0.5,1,1\n"
            b"2024-01-02 09:20:00,1,2,0.5,1,1\n"
            b"2024-01-02T04:00:00Z,1,2,0.5,1,1\n")
    bars, _ = parse_csv(data, "INFY.NS", "5m")
    assert list(bars.index) == [pd.Timestamp("2024-01-02 03:45", tz="UTC"),
                                pd.Timestamp("2024-01-02 03:50", tz="UTC"),
                                pd.Timestamp("2024-01-02 04:00", tz="UTC")]


def test_separate_date_and_time_columns():
    data = b"Date,Time,Open,High,Low,Close\n02/01/2024,09:15,1,2,0.5,1\n02/01/2024,09:20,1,2,0.5,1\n"
    bars, _ = parse_csv(data, "INFY.NS", "5m")
    assert list(bars.index) == [pd.Timestamp("2024-01-02 03:45", tz="UTC"), pd.Timestamp("2024-01-02 03:50", tz="UTC")]


def test_descending_files_are_sorted_and_bom_and_file_objects_work():
    data = "\ufeffDate,Open,High,Low,Close\n2024-01-03,1,2,0.5,1\n2024-01-02,1,2,0.5,1\n"
    bars, _ = parse_csv(io.StringIO(data))
    assert list(bars.index) == utc("2024-01-02", "2024-01-03")
    bars, _ = parse_csv(io.BytesIO(data.encode("utf-8")))
    assert len(bars) == 2


def test_csv_provider_reads_symbol_files(tmp_path: Path):
    (tmp_path / "INFY.NS.csv").write_text("Date,Open,High,Low,Close\n2024-01-02,1,2,0.5,1\n2024-01-03,1,2,0.5,1\n")
    provider = CsvProvider(tmp_path)
    bars = provider.fetch("INFY.NS", start="2024-01-03")
    assert list(bars.index) == utc("2024-01-03")
    with pytest.raises(UnknownSymbol, match="TCS.NS"):
        provider.fetch("TCS.NS")
