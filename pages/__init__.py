"""Streamlit pages: thin layouts over the engine."""
