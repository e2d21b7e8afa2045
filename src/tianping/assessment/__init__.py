"""Test plans, process checklists and assessment of obligations against evidence."""
