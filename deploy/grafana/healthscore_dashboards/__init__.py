"""healthscore's Grafana dashboards as code (written out by ../build_dashboards.py)."""

from .account import account
from .experience import experience
from .pipeline import pipeline
from .portfolio import portfolio
from .renewals import renewals

__all__ = ["account", "experience", "pipeline", "portfolio", "renewals"]
