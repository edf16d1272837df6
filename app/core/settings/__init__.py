"""The settings by concern; `app.core.config.Settings` is all of them together."""
