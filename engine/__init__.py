"""Quantdesk engine: data, research, trading and monitoring logic, free of any UI code."""

__version__ = "0.1.0"
