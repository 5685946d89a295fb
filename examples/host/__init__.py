"""The reference host: wiring.py (copy it), app.py (the routes), pages.py (the HTML pages)."""
