"""Tianping (天平): make AI governance frameworks interoperable and operational."""

__version__ = "0.1.0"
