"""NSE/BSE charges: hand-worked round trips per segment, brokerage styles, breakevens and the dated schedule."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from engine.charges import (
    DEFAULT_SCHEDULE,
    Brokerage,
    ChargesError,
    IndianCharges,
    ScheduleError,
    load_schedule,
    segment_rates,
    trade_charges,
)
from engine.costs import NSE_RATES, NSECharges, make_cost_model
from engine.errors import BacktestError, ConfigError

RATES_FROM = date(2024, 10, 1)
AS_OF = date(2025, 1, 1)


# ---- Worked examples (Zerodha calculator style, rates from 1 Oct 2024, amounts not rounded) ----------


def test_nse_delivery_100_shares_1000_to_1100() -> None:
    # Turnover 1,00,000 + 1,10,000 = 2,10,000. Brokerage free.
    #   STT 0.1 % both sides       = 210
    #   exchange 0.00297 %         = 2,10,000 × 0.0000297 = 6.237
    #   SEBI ₹10/crore             = 2,10,000 × 10 / 1e7   = 0.21
    #   stamp 0.015 % on the buy   = 1,00,000 × 0.00015    = 15
    #   DP ₹13.5 on the sell day   = 13.5
    #   GST 18 % × (0 + 6.237 + 0.21 + 13.5) = 3.59046   (DP with GST = 15.93, as Zerodha shows)
    #   total = 210 + 6.237 + 0.21 + 15 + 13.5 + 3.59046 = 248.53746
    t = trade_charges(1000, 1100, 100, "delivery", as_of=AS_OF)
    assert t.components == pytest.approx({"brokerage": 0.0, "stt": 210.0, "exchange": 6.237, "sebi": 0.21,
                                          "stamp": 15.0, "ipft": 0.0, "dp": 13.5, "gst": 3.59046})
    assert t.total == pytest.approx(248.53746)
    assert t.turnover == pytest.approx(210_000)
    assert (t.gross_pnl, t.net_pnl) == pytest.approx((10_000.0, 9_751.46254))
    assert t.points_to_breakeven == pytest.approx(2.4853746)  # total / 100 shares
    # Exact breakeven sell s: (s − 1000) × 100 = charges(s). Charges proportional to turnover
    # (100,000 + 100 s) at 0.1 % + 0.00297 % + 0.0001 % + 18 % × (0.00297 % + 0.0001 %) = 0.1036226 %,
    # plus fixed 15 (stamp) + 15.93 (DP with GST):
    #   100 s − 100,000 = 0.001036226 × (100,000 + 100 s) + 30.93  →  s = 100,134.5526 / 99.8963774
    assert t.breakeven_sell == pytest.approx(100_134.5526 / 99.8963774)
    assert t.effective == RATES_FROM


def test_nse_intraday_same_trade() -> None:
    # Brokerage min(₹20, 0.03 %): buy 0.03 % × 1,00,000 = 30 → 20; sell 33 → 20; total 40.
    #   STT 0.025 % on the sell = 1,10,000 × 0.00025 = 27.5
    #   exchange 6.237, SEBI 0.21 (as delivery); stamp 0.003 % × 1,00,000 = 3; no DP
    #   GST 18 % × (40 + 6.237 + 0.21) = 8.36046
    #   total = 40 + 27.5 + 6.237 + 0.21 + 3 + 8.36046 = 85.30746
    t = trade_charges(1000, 1100, 100, "intraday", as_of=AS_OF)
    assert t.components == pytest.approx({"brokerage": 40.0, "stt": 27.5, "exchange": 6.237, "sebi": 0.21,
                                          "stamp": 3.0, "ipft": 0.0, "dp": 0.0, "gst": 8.36046})
    assert t.total == pytest.approx(85.30746)
    assert t.net_pnl == pytest.approx(9_914.69254)


def test_nse_futures_one_nifty_lot() -> None:
    # 1 lot of 75 NIFTY bought at 24,000, sold at 24,100: turnover 18,00,000 + 18,07,500 = 36,07,500.
    #   brokerage 0.03 % is 540 and 542.25 → ₹20 each = 40
    #   STT 0.02 % on the sell = 18,07,500 × 0.0002 = 361.5
    #   exchange 0.00173 % = 36,07,500 × 0.0000173 = 62.40975
    #   SEBI = 36,07,500 × 10 / 1e7 = 3.6075
    #   stamp 0.002 % on the buy = 18,00,000 × 0.00002 = 36
    #   GST 18 % × (40 + 62.40975 + 3.6075) = 19.083105
    #   total = 522.600355; gross 100 × 75 = 7,500
    t = trade_charges(24_000, 24_100, 75, "futures", as_of=AS_OF)
    assert t.components == pytest.approx({"brokerage": 40.0, "stt": 361.5, "exchange": 62.40975,
                                          "sebi": 3.6075, "stamp": 36.0, "ipft": 0.0, "dp": 0.0,
                                          "gst": 19.083105})
    assert t.total == pytest.approx(522.600355)
    assert t.net_pnl == pytest.approx(7_500 - 522.600355)
    assert t.points_to_breakeven == pytest.approx(522.600355 / 75)


def test_nse_options_premium_100_to_120() -> None:
    # 75 units (1 NIFTY lot) of an option bought at ₹100 premium, sold at ₹120: premium turnover 7,500 + 9,000.
    #   brokerage ₹20 flat per order = 40
    #   STT 0.1 % of the sell premium = 9,000 × 0.001 = 9
    #   exchange 0.03503 % of premium = 16,500 × 0.0003503 = 5.77995
    #   SEBI = 16,500 × 10 / 1e7 = 0.0165
    #   stamp 0.003 % of the buy premium = 7,500 × 0.00003 = 0.225
    #   GST 18 % × (40 + 5.77995 + 0.0165) = 8.243361
    #   total = 63.264811; gross 20 × 75 = 1,500
    t = trade_charges(100, 120, 75, "options", as_of=AS_OF)
    assert t.components == pytest.approx({"brokerage": 40.0, "stt": 9.0, "exchange": 5.77995, "sebi": 0.0165,
                                          "stamp": 0.225, "ipft": 0.0, "dp": 0.0, "gst": 8.243361})
    assert t.total == pytest.approx(63.264811)
    assert t.net_pnl == pytest.approx(1_436.735189)
    # exercised at expiry: STT 0.125 % of the intrinsic value, e.g. 75 × ₹40 = 3,000 → 3.75
    assert IndianCharges("NSE", "options", as_of=AS_OF).exercise_stt(3_000) == pytest.approx(3.75)


def test_bse_charges_differ_only_in_exchange_charge() -> None:
    # BSE cash 0.00375 %: 2,10,000 × 0.0000375 = 7.875 (NSE 6.237); GST moves by 18 % of the difference.
    nse = trade_charges(1000, 1100, 100, "delivery", as_of=AS_OF)
    bse = trade_charges(1000, 1100, 100, "delivery", exchange="bse", as_of=AS_OF)
    assert bse.exchange == "BSE" and bse.components["exchange"] == pytest.approx(7.875)
    assert bse.total - nse.total == pytest.approx((7.875 - 6.237) * 1.18)
    futures = trade_charges(24_000, 24_100, 75, "futures", exchange="BSE", as_of=AS_OF)
    assert futures.components["exchange"] == 0.0
    options = trade_charges(100, 120, 75, "options", exchange="BSE", as_of=AS_OF)
    assert options.components["exchange"] == pytest.approx(16_500 * 0.000325)


def test_order_sides_pay_stt_and_stamp_as_scheduled() -> None:
    delivery = IndianCharges("NSE", "delivery", as_of=AS_OF)
    buy, sell = delivery.breakdown("buy", 10, 500.0), delivery.breakdown("sell", 10, 500.0)
    assert buy["stt"] == sell["stt"] == pytest.approx(5.0)  # 0.1 % of 5,000 both sides
    assert buy["stamp"] == pytest.approx(0.75) and sell["stamp"] == 0.0
    assert buy["dp"] == 0.0 and sell["dp"] == pytest.approx(13.5)
    futures = IndianCharges("NSE", "futures", as_of=AS_OF)
    assert futures.breakdown("buy", 75, 24_000)["stt"] == 0.0
    assert futures.breakdown("sell", 0, 24_000)["total"] == 0.0  # an empty order costs nothing
    with pytest.raises(ChargesError, match="side"):
        futures.breakdown("short", 1, 1.0)


# ---- Brokerage styles and breakevens --------------------------------------------------------------


def test_brokerage_styles() -> None:
    assert Brokerage().charge(1e6) == 0.0
    assert Brokerage(flat=20).charge(10.0) == 20.0 and Brokerage(flat=20).charge(0.0) == 0.0
    lower = Brokerage(flat=20, pct=0.0003)
    assert lower.charge(50_000) == pytest.approx(15.0) and lower.charge(1e6) == 20.0
    capped = Brokerage(pct=0.005, cap=50)  # 0.5 % up to ₹50
    assert capped.charge(4_000) == pytest.approx(20.0) and capped.charge(1e6) == 50.0
    assert Brokerage(pct=0.001).charge(1e6) == pytest.approx(1_000.0)  # uncapped percent
    assert lower.describe() == "0.03% of value, at most ₹20 per order"
    assert Brokerage(flat=20).describe() == "₹20 per order" and Brokerage().describe() == "free"
    with pytest.raises(ChargesError, match="fraction pct"):
        Brokerage(pct=3.0)  # 3 means 300 %: a percent given where a fraction is expected
    with pytest.raises(ChargesError):
        Brokerage(flat=-1)


def test_custom_brokerage_and_dp_reach_the_total() -> None:
    base = trade_charges(1000, 1100, 100, "delivery", as_of=AS_OF)
    custom = trade_charges(1000, 1100, 100, "delivery", brokerage=Brokerage(flat=20), dp_charge=0.0, as_of=AS_OF)
    # + ₹40 brokerage with GST, − DP 13.5 with GST
    assert custom.total - base.total == pytest.approx(40 * 1.18 - 13.5 * 1.18)
    assert custom.brokerage == "₹20 per order"


@pytest.mark.parametrize(("segment", "buy", "sell", "qty"), [
    ("delivery", 1000, 1100, 100), ("intraday", 250.5, 249.0, 400), ("futures", 24_000, 23_900, 75),
    ("options", 12.5, 30.0, 1_500),
])
def test_breakevens_leave_zero_net_pnl(segment: str, buy: float, sell: float, qty: int) -> None:
    t = trade_charges(buy, sell, qty, segment, as_of=AS_OF)
    long_exit = trade_charges(buy, t.breakeven_sell, qty, segment, as_of=AS_OF)
    short_cover = trade_charges(t.breakeven_buy, sell, qty, segment, as_of=AS_OF)
    assert long_exit.net_pnl == pytest.approx(0.0, abs=1e-6)
    assert short_cover.net_pnl == pytest.approx(0.0, abs=1e-6)
    assert t.breakeven_sell > buy and t.breakeven_buy < sell


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"qty": 0}, "quantity must be at least 1"),
    ({"buy_price": 0}, "buy price must be above 0"),
    ({"sell_price": -5}, "sell price must be above 0"),
    ({"segment": "deliverry"}, "did you mean 'delivery'"),
    ({"segment": "commodity"}, "unknown segment 'commodity'"),
    ({"exchange": "MCX"}, "unknown exchange 'MCX'"),
])
def test_bad_input_is_a_clear_error(kwargs: dict, message: str) -> None:
    args = {"buy_price": 100.0, "sell_price": 110.0, "qty": 10, "segment": "delivery", "exchange": "NSE",
            "as_of": AS_OF, **kwargs}
    with pytest.raises(ChargesError, match=message):
        trade_charges(**args)


# ---- The dated schedule file ----------------------------------------------------------------------


def test_bundled_schedule_holds_the_october_2024_rates() -> None:
    r = segment_rates("NSE", "options", AS_OF)
    assert (r.stt, r.stt_side, r.exchange_txn, r.stamp, r.stamp_side) == pytest.approx(
        (0.001, "sell", 0.0003503, 0.00003, "buy"))
    assert r.gst == pytest.approx(0.18) and set(r.gst_on) >= {"brokerage", "exchange", "sebi"}
    assert "zerodha.com/charges" in r.source
    assert segment_rates("bse", "Delivery", AS_OF).exchange_txn == pytest.approx(0.0000375)
    with pytest.raises(ChargesError, match="no charges schedule entry in force on 2024-09-30"):
        segment_rates("NSE", "delivery", date(2024, 9, 30))


def test_legacy_nse_table_is_derived_unchanged() -> None:
    # the original in-code table, so backtests with "nse_delivery"/"nse_intraday" reproduce
    assert NSE_RATES[RATES_FROM] == pytest.approx({
        "stt_delivery": 0.001, "stt_intraday_sell": 0.00025, "exchange_txn": 0.0000297, "sebi_per_crore": 10.0,
        "stamp_delivery_buy": 0.00015, "stamp_intraday_buy": 0.00003, "gst": 0.18})


def _with_entry(tmp_path: Path, effective: str, old: str, new: str, name: str = "schedule.toml") -> Path:
    """The bundled schedule plus a copy of its first entry taking effect on `effective` with `old` → `new`."""
    text = DEFAULT_SCHEDULE.read_text(encoding="utf-8")
    entry = text[text.index("\n[[entry]]") + 1:]
    assert old in entry
    changed = entry.replace("effective = 2024-10-01", f"effective = {effective}").replace(old, new)
    path = tmp_path / name
    path.write_text(text + "\n" + changed, encoding="utf-8")
    return path


def test_a_newer_entry_applies_only_from_its_date(tmp_path: Path) -> None:
    # a hypothetical STT rise on intraday sells, 0.025 % → 0.05 %, from 1 Apr 2025
    path = _with_entry(tmp_path, "2025-04-01", 'stt_pct = 0.025\n', 'stt_pct = 0.05\n')
    before = trade_charges(1000, 1100, 100, "intraday", as_of=date(2025, 3, 31), schedule_path=path)
    after = trade_charges(1000, 1100, 100, "intraday", as_of=date(2025, 4, 1), schedule_path=path)
    bundled = trade_charges(1000, 1100, 100, "intraday", as_of=date(2025, 4, 1))
    assert before.components["stt"] == pytest.approx(27.5) and before.effective == RATES_FROM
    assert after.components["stt"] == pytest.approx(55.0) and after.effective == date(2025, 4, 1)
    assert after.total - before.total == pytest.approx(27.5)
    assert bundled.components["stt"] == pytest.approx(27.5)  # the override never leaks into the default
    assert trade_charges(1000, 1100, 100, "delivery", as_of=date(2025, 4, 1), schedule_path=path).total == \
        pytest.approx(before.total - 85.30746 + 248.53746)  # delivery unchanged by the new entry


def test_default_date_is_today_so_a_future_entry_waits(tmp_path: Path) -> None:
    tomorrow = date.today() + timedelta(days=1)
    path = _with_entry(tmp_path, tomorrow.isoformat(), 'exchange_pct = 0.00297\n', 'exchange_pct = 0.005\n')
    assert IndianCharges(schedule_path=path).rates.effective == RATES_FROM
    assert IndianCharges(schedule_path=path, as_of=tomorrow).rates.exchange_txn == pytest.approx(0.00005)


@pytest.mark.parametrize(("edit", "message"), [
    (("stt_pct = 0.025\n", "stt_pc = 0.025\n"), "unknown key 'stt_pc' — did you mean 'stt_pct'?"),
    (('stamp_side = "buy"\n', 'stamp_side = "buyer"\n'), "'stamp_side' must be one of buy, sell, both"),
    (("exchange_pct = 0.00173\n", 'exchange_pct = "0.00173"\n'), "'exchange_pct' must be a number"),
    (("[entry.BSE.options]", "[entry.BSE.option]"), "[entry.BSE]: unknown key 'option'"),
    (("effective = 2025-04-01", 'effective = "2025-04-01"'), "'effective' must be a date like 2024-10-01"),
    (("effective = 2025-04-01", "effective = 2024-10-01"), "two entries take effect on 2024-10-01"),
    (("gst_pct = 18.0", "gst_pct = 0.18\ngst_rate = 1"), "unknown key 'gst_rate'"),
    (('gst_on = ["brokerage"', 'gst_on = ["stt", "brokerage"'), "'gst_on' must list components"),
    (("stt_pct = 0.1\n", "stt_pct = 100\n"), "below 100"),
])
def test_malformed_schedule_is_a_clear_error(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    text = _with_entry(tmp_path, "2025-04-01", "source", "source").read_text(encoding="utf-8")
    second = text.rindex("\n[[entry]]")  # break the newer entry only
    assert edit[0] in text[second:]
    bad = tmp_path / "bad.toml"
    bad.write_text(text[:second] + text[second:].replace(*edit, 1), encoding="utf-8")
    with pytest.raises(ScheduleError) as info:
        load_schedule(bad)
    assert message in str(info.value) and str(bad) in str(info.value)
    assert isinstance(info.value, ConfigError)


def test_unreadable_schedules(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="not found"):
        load_schedule(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("schema = 1\n[[entry]\n", encoding="utf-8")
    with pytest.raises(ScheduleError, match="not valid TOML"):
        load_schedule(broken)
    empty = tmp_path / "empty.toml"
    empty.write_text("schema = 1\n", encoding="utf-8")
    with pytest.raises(ScheduleError, match=r"no \[\[entry\]\] tables"):
        load_schedule(empty)
    missing_bse = tmp_path / "nse_only.toml"
    text = DEFAULT_SCHEDULE.read_text(encoding="utf-8")
    missing_bse.write_text(text[:text.index("[entry.BSE.delivery]")], encoding="utf-8")
    with pytest.raises(ScheduleError, match="every entry lists NSE and BSE"):
        IndianCharges("NSE", "delivery", schedule_path=missing_bse)


# ---- Cost-model specs for backtests and paper trading -----------------------------------------------


def test_old_specs_keep_their_numbers_and_match_the_general_model() -> None:
    for segment in ("delivery", "intraday"):
        old = make_cost_model(f"nse_{segment}")
        assert isinstance(old, NSECharges)
        general = IndianCharges("NSE", segment, dp_charge=0.0)
        for side in ("buy", "sell"):
            for qty, price in ((100, 1000.0), (3, 87.5), (10_000, 2_450.0)):
                assert old.cost(side, qty, price) == pytest.approx(general.cost(side, qty, price))
    # the legacy breakdown keeps its keys (no IPFT/DP)
    assert set(NSECharges().breakdown("buy", 1, 1.0)) == {"brokerage", "stt", "exchange", "sebi", "stamp", "gst",
                                                          "total"}


@pytest.mark.parametrize(("spec", "exchange", "segment"), [
    ("nse_futures", "NSE", "futures"), ("NSE_Options", "NSE", "options"), ("bse_delivery", "BSE", "delivery"),
    ("bse_intraday", "BSE", "intraday"), ("bse_futures", "BSE", "futures"), ("bse_options", "BSE", "options"),
])
def test_new_exchange_specs(spec: str, exchange: str, segment: str) -> None:
    model = make_cost_model(spec)
    assert isinstance(model, IndianCharges)
    assert (model.exchange, model.segment, model.dp_per_sell) == (exchange, segment, 0.0)
    assert make_cost_model(model.spec) == model
    assert model.cost("sell", 75, 100.0) == pytest.approx(IndianCharges(exchange, segment, dp_charge=0).cost(
        "sell", 75, 100.0))


def test_nse_futures_spec_costs_one_lot_by_hand() -> None:
    # sell 75 @ 24,100 = 18,07,500: brokerage 20, STT 361.5, exchange 31.26975, SEBI 1.8075,
    # GST 18 % × (20 + 31.26975 + 1.8075) = 9.553905 → 424.131155
    assert make_cost_model("nse_futures").cost("sell", 75, 24_100) == pytest.approx(424.131155)


@pytest.mark.parametrize("spec", ["nse_commodity", "bse_deliverry"])
def test_unknown_exchange_segment_specs_are_backtest_errors(spec: str) -> None:
    with pytest.raises(BacktestError, match="unknown segment"):
        make_cost_model(spec)
