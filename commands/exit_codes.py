"""Exit codes every command uses, and the one exception type that carries them."""

from __future__ import annotations

OK = 0
RECORDS_REJECTED = 1
BAD_INPUT = 2
CRM_UNAVAILABLE = 3
