"""Quantdesk: page config, shared resources, navigation. Everything else lives in pages/ and engine/."""

from __future__ import annotations

import streamlit as st

from pages._auth import require_login
from pages._notify import notification_centre
from pages._shared import data_badge, get_db, get_scheduler

st.set_page_config(page_title="Quantdesk", page_icon="📈", layout="wide", initial_sidebar_state="auto")
require_login()  # before anything renders: login form + st.stop() until someone is logged in

get_db()  # migrations + first-start data, once per server process
get_scheduler()  # background jobs, once per server process (settings.scheduler == "thread")

PAGES = {
    "Monitor": [
        st.Page("pages/overview.py", title="Overview", icon="🏠", default=True),
        st.Page("pages/paper.py", title="Paper Trading", icon="🧾"),
        st.Page("pages/portfolio.py", title="Portfolio", icon="💼"),
        st.Page("pages/alerts.py", title="Alerts", icon="🔔"),
    ],
    "Research": [
        st.Page("pages/market.py", title="Market", icon="🕯️"),
        st.Page("pages/backtest.py", title="Backtest", icon="🧪"),
        st.Page("pages/strategy_lab.py", title="Strategy Lab", icon="🔬"),
        st.Page("pages/optimizer.py", title="Optimizer", icon="⚖️"),
        st.Page("pages/options.py", title="Options", icon="🧮"),
        st.Page("pages/sentiment.py", title="Sentiment", icon="📰"),
        st.Page("pages/risk.py", title="Risk", icon="🛡️"),
        st.Page("pages/charges.py", title="Charges", icon="💸"),
    ],
    "System": [
        st.Page("pages/data.py", title="Data", icon="🗄️"),
        st.Page("pages/settings.py", title="Settings", icon="⚙️"),
    ],
}

with st.sidebar:
    st.markdown("### 📈 Quantdesk")
    data_badge(sidebar=True)
    notification_centre()

st.navigation(PAGES).run()
