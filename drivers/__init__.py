"""Device drivers: one package per device family, no Kivy and no imports from kiosk/."""
