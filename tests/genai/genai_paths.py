"""Where the shared LLM safety sets live (a uniquely named module, importable from test files without
colliding with other directories' conftest modules)."""

from pathlib import Path

SHARED_LLM = Path(__file__).resolve().parents[3] / "shared" / "data" / "llm_safety"
