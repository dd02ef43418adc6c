"""The four score components. Each turns an account's state into signals.

A signal is one factor's 0-100 value plus a sentence a CSM can act on; a
component with no data returns no signals and is left out of the score.
"""

from models.components.base import Context, Signal
from models.components.commercial import commercial_signals
from models.components.engagement import engagement_signals
from models.components.sentiment import sentiment_signals
from models.components.support import support_signals

__all__ = [
    "Context",
    "Signal",
    "commercial_signals",
    "engagement_signals",
    "sentiment_signals",
    "support_signals",
]
