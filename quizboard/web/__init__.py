"""The web client: static pages, styles and scripts, served by the API (no build step)."""
