"""The centre service: the one holder of the centre database's credentials, serving kiosks,
counters and the lobby display over HTTPS (docs/architecture.md, Centre). No Kivy."""
