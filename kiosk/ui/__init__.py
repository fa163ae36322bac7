"""Kivy screens. The only package that imports Kivy; call kiosk.ui.env.prepare() first."""
