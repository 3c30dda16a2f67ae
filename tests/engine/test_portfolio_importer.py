"""Tradebook import: Zerodha, Upstox and generic CSVs detected from headers; idempotent; all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.errors import DataError
from engine.portfolio import detect_format, import_tradebook, load_transactions, read_tradebook
from engine.portfolio.cells import header_key

ZERODHA = """symbol,isin,trade_date,exchange,segment,series,trade_type,auction,quantity,price,trade_id,order_id,order_execution_time
RELIANCE,INE002A01018,2024-01-05,NSE,EQ,EQ,buy,false,10.000000,2510.50,55501234,1100000012345678,2024-01-05T09:20:11
RELIANCE,INE002A01018,2024-01-05,NSE,EQ,EQ,buy,false,5.000000,2511.00,55501235,1100000012345678,2024-01-05T09:20:11
TCS,INE467B01029,2024-02-01,BSE,EQ,A,buy,false,2,3800,77001,1200000000000001,2024-02-01T10:01:00
NIFTY24FEB22000CE,,2024-02-01,NFO,FO,,buy,false,50,120,88001,1300000000000001,2024-02-01T11:00:00
RELIANCE,INE002A01018,2024-03-01,NSE,EQ,EQ,sell,false,12,2900,55509999,1100000099999999,2024-03-01T14:59:59
"""

UPSTOX = """Date,Company,Amount,Exchange,Segment,Scrip Code,Instrument Type,Strike Price,Expiry,Trade Num,Trade Time,Side,Quantity,Price
05-01-2024,INFOSYS LIMITED,15000.00,NSE,EQ,INFY,EQ,,,4401,09:30:00,Buy,10,1500.00
06-01-2024,RELIANCE INDUSTRIES LTD,2500.00,BSE,EQ,500325,EQ,,,9902,10:15:30,Buy,1,2500.00
08-01-2024,NIFTY,6000.00,NSE,FO,NIFTY,OPTIDX,22000,25-01-2024,5501,11:00:00,Sell,50,120.00
10-01-2024,INFOSYS LIMITED,6400.00,NSE,EQ,INFY,EQ,,,4480,13:00:00,Sell,4,1600.00
"""

GENERIC = """Date,Symbol,Side,Qty,Price,Fees,Amount,Ratio,Note
2023-06-01,INFY.NS,buy,10,1400,20,,,first lot
2023-06-01,INFY.NS,buy,10,1400,20,,,same again
2023-07-01,INFY.NS,dividend,,,,180,,final dividend
2023-08-01,INFY.NS,split,,,,,1:2,
2023-09-01,AAPL,buy,1,"1,900.50",1,,,
"""


def test_header_keys_and_detection() -> None:
    assert header_key(" Trade Num ") == "trade_num" and header_key("\ufeffScrip-Code") == "scrip_code"
    assert detect_format([header_key(h) for h in ZERODHA.splitlines()[0].split(",")]) == "zerodha"
    assert detect_format([header_key(h) for h in UPSTOX.splitlines()[0].split(",")]) == "upstox"
    assert detect_format(["trade_date", "ticker", "action", "shares", "rate"]) == "generic"
    with pytest.raises(DataError, match="unrecognised columns .*Zerodha tradebook"):
        detect_format(["open", "high", "low", "close"])


def test_zerodha_tradebook_maps_symbols_skips_fo_and_reads_ist_times() -> None:
    book = read_tradebook(ZERODHA.encode())
    assert book.format == "zerodha" and not book.errors
    assert [t.symbol for t in book.transactions] == ["RELIANCE.NS", "RELIANCE.NS", "TCS.BO", "RELIANCE.NS"]
    assert [str(s) for s in book.skipped] == ["line 5: segment FO is not equity delivery; left out"]
    first = book.transactions[0]
    assert (first.kind, first.qty, first.price, first.source) == ("buy", 10, 2510.5, "zerodha")
    assert first.external_id == "20240105:NSE:55501234"
    assert first.executed_at == datetime(2024, 1, 5, 3, 50, 11, tzinfo=UTC)  # 09:20:11 IST
    assert book.lines == [2, 3, 4, 6]


def test_upstox_report_uses_scrip_codes() -> None:
    book = read_tradebook(UPSTOX)
    assert book.format == "upstox" and not book.errors
    assert [(t.symbol, t.kind, t.qty) for t in book.transactions] == [
        ("INFY.NS", "buy", 10), ("500325.BO", "buy", 1), ("INFY.NS", "sell", 4)]
    assert book.transactions[0].trade_date == date(2024, 1, 5)  # day first
    assert book.transactions[0].external_id == "20240105:NSE:4401"
    assert len(book.skipped) == 1 and "OPTIDX" in str(book.skipped[0])


def test_generic_csv_kinds_fees_and_ratios() -> None:
    book = read_tradebook(GENERIC)
    kinds = [(t.kind, t.qty, t.price, t.fees, t.amount) for t in book.transactions]
    assert kinds[0] == ("buy", 10, 1400, 20, 0) and kinds[2] == ("dividend", 0, 0, 0, 180)
    assert (book.transactions[3].ratio_from, book.transactions[3].ratio_to) == (1, 2)
    assert book.transactions[4].price == 1900.5 and book.transactions[0].note == "first lot"
    ids = [t.external_id for t in book.transactions]
    assert len(set(ids)) == 5 and ids[0].endswith(":1") and ids[1].endswith(":2")  # twin rows stay two trades


def test_import_is_idempotent(db_engine) -> None:
    first = import_tradebook(db_engine, ZERODHA, today=date(2024, 6, 1))
    assert (first.format, first.rows, first.added, first.duplicates, len(first.skipped)) == ("zerodha", 4, 4, 0, 1)
    again = import_tradebook(db_engine, ZERODHA, today=date(2024, 6, 1))
    assert (again.added, again.duplicates) == (0, 4)
    generic = [import_tradebook(db_engine, GENERIC, today=date(2024, 6, 1)) for _ in range(2)]
    assert [(g.added, g.duplicates) for g in generic] == [(5, 0), (0, 5)]
    assert len(load_transactions(db_engine)) == 9


def test_malformed_rows_name_their_lines_and_nothing_is_imported(db_engine) -> None:
    bad = GENERIC.replace("2023-07-01,INFY.NS,dividend,,,,180", "2023-13-45,INFY.NS,dividend,,,,180") \
                 .replace("AAPL,buy,1,", "AAPL,buy,one,")
    book = read_tradebook(bad)
    assert [p.line for p in book.errors] == [4, 6]
    with pytest.raises(DataError) as info:
        import_tradebook(db_engine, bad)
    message = str(info.value)
    assert "2 row(s) could not be read, nothing was imported" in message
    assert "line 4: date '2023-13-45' is not a date" in message and "line 6: qty 'one' is not a number" in message
    assert load_transactions(db_engine) == []


def test_oversell_future_dates_and_empty_files_store_nothing(db_engine) -> None:
    oversold = "date,symbol,side,qty,price\n2024-01-02,SBIN.NS,buy,5,600\n2024-01-03,SBIN.NS,sell,6,610\n"
    with pytest.raises(DataError, match="sell of 6 SBIN.NS on 2024-01-03 exceeds the 5 shares"):
        import_tradebook(db_engine, oversold)
    future = "date,symbol,side,qty,price\n2099-01-02,SBIN.NS,buy,5,600\n"
    with pytest.raises(DataError, match="after today"):
        import_tradebook(db_engine, future)
    with pytest.raises(DataError, match="the file is empty"):
        import_tradebook(db_engine, b"\n\n")
    with pytest.raises(DataError, match="lacks the column"):
        import_tradebook(db_engine, "date,symbol,side\n2024-01-02,SBIN.NS,buy\n")
    assert load_transactions(db_engine) == []


def test_semicolon_file_with_bom_and_a_sale_before_its_buy_in_the_file(db_engine) -> None:
    text = "\ufeffdate;symbol;side;qty;price\n2024-01-03;SBIN.NS;sell;5;610\n2024-01-02;SBIN.NS;buy;5;600\n"
    result = import_tradebook(db_engine, text.encode("utf-8"), today=date(2024, 6, 1))
    assert result.added == 2
    assert [t.kind for t in load_transactions(db_engine)] == ["buy", "sell"]
