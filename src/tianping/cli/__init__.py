"""Typer command-line interface; thin: every command calls a service."""
