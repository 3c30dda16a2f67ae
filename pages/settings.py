"""Settings: watchlist, provider and cadences; default costs and risk limits; notification channels; health."""

from __future__ import annotations

import streamlit as st

from pages._channels import channels_section
from pages._notify import use_streamlit_secret_key
from pages._prefs import general_form, risk_costs_form
from pages._system_health import health_section

st.title("Settings")
st.caption("What Quantdesk watches and how often, the defaults of new backtests and deployments, where alerts go, "
           "and whether everything is healthy. Saved to the config file; environment variables win.")

use_streamlit_secret_key()
general, risk_costs, notifications, health = st.tabs(["General", "Risk & costs", "Notifications", "Health"])
with general:
    general_form()
with risk_costs:
    risk_costs_form()
with notifications:
    st.caption("Where Quantdesk sends alerts. Every notification also appears under the 🔔 in the sidebar.")
    channels_section()
with health:
    health_section()
