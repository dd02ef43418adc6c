"""The contract records a Health carries, read from the packed records of the account state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.state import AccountState
from models.state_records import (
    C_ARR,
    C_AT,
    C_NEW_ARR,
    C_RENEWAL_DAY,
    C_STATUS,
    RENEWAL_STATUSES,
)

_EPOCH_DATE = date(1970, 1, 1)


def known_contracts(state: AccountState) -> list[dict[str, Any]]:
    """Each contract's latest status, by contract_id, as `models.health.Contract` data."""
    return [
        {
            "contract_id": contract_id,
            "status": RENEWAL_STATUSES[int(record[C_STATUS])],
            "renewal_date": _EPOCH_DATE + timedelta(days=int(record[C_RENEWAL_DAY])),
            "arr": record[C_ARR],
            "new_arr": record[C_NEW_ARR] if record[C_NEW_ARR] >= 0 else None,
            "decided_at": datetime.fromtimestamp(int(record[C_AT]), UTC),
        }
        for contract_id, record in sorted(state.contracts.items())
    ]
