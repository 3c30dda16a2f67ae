"""Settings: notification channels (email, Telegram, webhook, Slack, Discord, ntfy, any apprise URL)."""

from __future__ import annotations

import streamlit as st

from pages._channels import channels_section
from pages._notify import use_streamlit_secret_key

st.title("Settings")
st.caption("Where Quantdesk sends alerts. Every notification also appears under the 🔔 in the sidebar.")

use_streamlit_secret_key()
channels_section()
