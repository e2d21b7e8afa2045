"""Who is asking, and what each role may do.

Roles: provider (own organisation's systems only), reviewer (every filing that left draft;
reviews, decides, publishes, moderates feedback), auditor (reads everything, verifies the
audit trail and reports; changes nothing), admin (everything, incl. users). Anonymous
visitors (principal None) see the public register and the catalog only.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("provider", "reviewer", "auditor", "admin")


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    display_name: str
    role: str
    organisation_id: str | None
    organisation_name: str | None

    @property
    def actor(self) -> str:
        """How the audit trail names this user."""
        return f"user:{self.username}"

    @property
    def is_provider(self) -> bool:
        return self.role == "provider"

    @property
    def can_review(self) -> bool:
        return self.role in ("reviewer", "admin")

    @property
    def reads_all(self) -> bool:
        return self.role in ("admin", "auditor")
