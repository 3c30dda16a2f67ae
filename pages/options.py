"""Options: Black-Scholes-Merton calculator (price, Greeks, implied vol) and Yahoo option chains (smile, OI, PCR, max pain)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from engine.data.instruments import normalise_symbol
from engine.errors import DataError, ProviderError, QuantdeskError
from engine.options import Greeks, bsm_greeks, figures, implied_vol, years_from_days
from engine.options import chain as option_chain
from pages._widgets import CHART_CONFIG, metric_slots

P = "opt"  # session-state prefix
TABS = ["Calculator", "Chain"]
IV_SOURCES = {"yahoo": "Yahoo's", "model": "Recomputed from mid prices"}

st.title("Options")
st.caption("Price a European option and its Greeks (Black-Scholes-Merton), back out implied volatility, "
           "and read a listed option chain.")


def contract_inputs() -> dict:
    """The contract and market inputs; rates and vols are typed in percent and returned as decimals."""
    c = st.columns(4)
    spot = c[0].number_input("Spot", 0.0, value=100.0, step=1.0, key=f"{P}_spot")
    strike = c[1].number_input("Strike", 0.0, value=105.0, step=1.0, key=f"{P}_strike")
    days = c[2].number_input("Days to expiry", 0.0, value=30.0, step=1.0, key=f"{P}_days",
                             help="Calendar days; years = days / 365.")
    kind = c[3].selectbox("Type", ["call", "put"], key=f"{P}_kind")
    c = st.columns(3)
    rate = c[0].number_input("Rate %", -20.0, 100.0, 7.0, 0.25, key=f"{P}_rate",
                             help="Risk-free rate, annual %, continuously compounded.")
    vol = c[1].number_input("Volatility %", 0.0, 1000.0, 20.0, 1.0, key=f"{P}_vol", help="Annualised volatility, %.")
    div = c[2].number_input("Dividend yield %", 0.0, 100.0, 0.0, 0.25, key=f"{P}_div",
                            help="Continuous dividend yield, annual %.")
    return {"spot": spot, "strike": strike, "days": days, "kind": kind, "rate": rate / 100, "vol": vol / 100,
            "div": div / 100}


def greek_cards(g: Greeks) -> None:
    m = metric_slots(6)
    m[0].metric("Price", f"{g.price:,.4f}")
    m[1].metric("Delta", f"{g.delta:.4f}", help="Change in price per 1.00 move in the spot.")
    m[2].metric("Gamma", f"{g.gamma:.4f}", help="Change in delta per 1.00 move in the spot.")
    m[3].metric("Theta / day", f"{g.theta_per_day:.4f}", help="Per calendar day (theta per year / 365).")
    m[4].metric("Vega / 1%", f"{g.vega_pct:.4f}", help="Change in price per 1 percentage point of volatility.")
    m[5].metric("Rho / 1%", f"{g.rho_pct:.4f}", help="Change in price per 1 percentage point of the rate.")
    with st.expander("All Greeks and their units"):
        rows = {"Price": g.price, "Delta": g.delta, "Gamma": g.gamma, "Theta (per year)": g.theta,
                "Theta (per day, ÷365)": g.theta_per_day, "Vega (per 1.00 vol)": g.vega,
                "Vega (per 1% vol)": g.vega_pct, "Rho (per 1.00 rate)": g.rho, "Rho (per 1% rate)": g.rho_pct}
        st.dataframe(pd.DataFrame({"value": rows}).style.format("{:.6f}"), width="stretch", key=f"{P}_greeks_table")


def iv_form(terms: dict, years: float, model_price: float) -> None:
    st.subheader("Implied volatility")
    key = f"{P}_market_price"
    if key not in st.session_state:
        st.session_state[key] = round(model_price, 2)
    c = st.columns(2)
    price = c[0].number_input("Market price", 0.0, step=0.05, format="%.4f", key=key,
                              help="The option's traded price; the same spot, strike, days, rate and dividend.")
    try:
        iv = implied_vol(price, terms["spot"], terms["strike"], years, terms["rate"], terms["div"], terms["kind"])
    except QuantdeskError as exc:
        c[1].error(str(exc), icon="⚠️")
        return
    with c[1]:
        st.metric("Implied vol", f"{iv:.2%}", f"{(iv - terms['vol']) * 100:+.2f} pts vs input", delta_color="off")


def calculator() -> None:
    with st.container(border=True):
        terms = contract_inputs()
    try:
        years = years_from_days(terms["days"])
        args = (terms["spot"], terms["strike"], years, terms["rate"], terms["vol"], terms["div"], terms["kind"])
        g = bsm_greeks(*args)
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
        return
    greek_cards(g)
    c = st.columns(2)
    c[0].plotly_chart(figures.payoff_figure(*args), width="stretch", config=CHART_CONFIG, key=f"{P}_payoff")
    c[1].plotly_chart(figures.greeks_figure(*args), width="stretch", config=CHART_CONFIG, key=f"{P}_greeks")
    iv_form(terms, years, float(g.price))


@st.cache_data(ttl=300, show_spinner="Fetching the option chain…")
def chain_cached(symbol: str, expiry: str | None) -> option_chain.OptionChain:
    return option_chain.load_chain(symbol, expiry)


@st.cache_data(ttl=300, show_spinner="Recomputing implied vols…")
def model_iv_cached(_chain: option_chain.OptionChain, symbol: str, expiry: str, rate: float) -> option_chain.OptionChain:
    """The chain with our implied vols from mid prices (keyed by symbol, expiry and rate; ~2 ms a contract)."""
    return option_chain.with_model_iv(_chain, rate)


def fetch_chain(symbol: str, expiry_slot: DeltaGenerator) -> option_chain.OptionChain | None:
    """The chain for the expiry chosen in `expiry_slot`, or None after an info/warning/error that says why not."""
    try:
        symbol = normalise_symbol(symbol)
        if not option_chain.chains_available(symbol):
            st.info(option_chain.nse_message(symbol), icon="🇮🇳")
            return None
        nearest = chain_cached(symbol, None)
        expiry = expiry_slot.selectbox("Expiry", nearest.expiries, key=f"{P}_expiry")
        return nearest if expiry == nearest.expiry else chain_cached(symbol, expiry)
    except ProviderError as exc:
        st.warning(f"**offline** — {exc}. Option chains need Yahoo Finance; the Calculator works offline.",
                   icon="📴")
    except QuantdeskError as exc:
        st.error(str(exc), icon="⚠️")
    return None


def chain_view() -> None:
    with st.container(border=True):
        c = st.columns([2, 2, 1])
        symbol = c[0].text_input("Symbol", "AAPL", key=f"{P}_symbol", help="US-listed stocks, ETFs and indices.")
        source = c[2].radio("IV", list(IV_SOURCES), format_func=IV_SOURCES.get, key=f"{P}_iv_source")
        rate = st.number_input("Rate % (for recomputed IV)", -20.0, 100.0, 4.5, 0.25, key=f"{P}_chain_rate") \
            if source == "model" else None
        chain = fetch_chain(symbol, c[1])
    if chain is None:
        return
    column = "iv"
    if rate is not None:
        try:
            chain, column = model_iv_cached(chain, chain.symbol, chain.expiry, rate / 100), "model_iv"
        except DataError as exc:
            st.error(str(exc), icon="⚠️")
            return
    summary = option_chain.chain_summary(chain)
    fmt = lambda v, spec: "—" if v is None else format(v, spec)  # noqa: E731
    m = metric_slots(4)
    m[0].metric("Spot", fmt(chain.spot, ",.2f"), help=f"{chain.currency}, as sent with the chain")
    m[1].metric("Put-call ratio (OI)", fmt(summary["pcr_open_interest"], ".2f"), help="Σ put OI / Σ call OI")
    m[2].metric("Put-call ratio (volume)", fmt(summary["pcr_volume"], ".2f"), help="Σ put volume / Σ call volume")
    m[3].metric("Max pain", fmt(summary["max_pain"], ",.2f"),
                help="Settlement strike at which option holders would collect the least.")
    c = st.columns(2)
    c[0].plotly_chart(figures.smile_figure(option_chain.smile(chain, column), chain.spot), width="stretch",
                      config=CHART_CONFIG, key=f"{P}_smile")
    c[1].plotly_chart(figures.open_interest_figure(option_chain.open_interest(chain), chain.spot,
                                                   summary["max_pain"]),
                      width="stretch", config=CHART_CONFIG, key=f"{P}_oi")
    with st.expander(f"Chain table · {chain.expiry} · {summary['calls']} calls, {summary['puts']} puts"):
        t = st.tabs(["Calls", "Puts"])
        t[0].dataframe(chain.calls, width="stretch", hide_index=True, key=f"{P}_calls")
        t[1].dataframe(chain.puts, width="stretch", hide_index=True, key=f"{P}_puts")


calc_tab, chain_tab = st.tabs(TABS, key=f"{P}_tab", on_change="rerun")
if calc_tab.open:
    with calc_tab:
        calculator()
if chain_tab.open:
    with chain_tab:
        chain_view()
