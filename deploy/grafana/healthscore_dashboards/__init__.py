"""healthscore's Grafana dashboards as code (written out by ../build_dashboards.py)."""

from .account import account
from .pipeline import pipeline
from .portfolio import portfolio
from .renewals import renewals

__all__ = ["account", "pipeline", "portfolio", "renewals"]
