"""The API's FilingState type (the `status` filter of GET /systems) names exactly the filing states."""

from __future__ import annotations

from typing import get_args


def test_filing_state_literal_equals_the_filing_states():
    from tianping.server.api import FilingState
    from tianping.server.filings import STATES

    assert get_args(FilingState) == tuple(STATES)
