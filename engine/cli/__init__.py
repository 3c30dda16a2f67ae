"""CLI command modules; each exposes register(subparsers) and sets `func` on its parsers."""

COMMAND_MODULES = (
    "engine.cli.data_cmd",  # sync, data list|validate|import, db upgrade
    "engine.cli.research_cmd",  # backtest, sweep, walkforward, lookahead, strategies
    "engine.cli.worker_cmd",  # worker [--once], jobs
    "engine.cli.risk_cmd",  # risk size
    "engine.cli.paper_cmd",  # paper deploy|list|tick|positions|orders|trades|fills|replay|pause|resume|stop|reset|delete
    "engine.cli.portfolio_cmd",  # portfolio import|add|show|transactions|delete|report
    "engine.cli.costs_cmd",  # costs (NSE/BSE charges calculator)
    "engine.cli.options_cmd",  # options price|iv|chain
    "engine.cli.vol_cmd",  # vol [--window] [--garch]
    "engine.cli.news_cmd",  # news fetch|list
    "engine.cli.optimize_cmd",  # optimize (weights, lot allocation, frontier)
    "engine.cli.sentiment_cmd",  # sentiment score
    "engine.cli.alerts_cmd",  # alerts add|list|check|history|ack|snooze|disable|rearm|delete|kinds
    "engine.cli.auth_cmd",  # auth hash-password|unlock|attempts
)
