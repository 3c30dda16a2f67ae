"""Paper trading: deployments, the paper broker (the backtest's bar loop, resumable) and the tick runner."""
