"""Lobby kiosk for commune public-service centres."""

__version__ = "0.1.0"
