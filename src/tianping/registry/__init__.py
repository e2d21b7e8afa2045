"""AI-system profiles: the registered description of a system that rule packs classify."""
