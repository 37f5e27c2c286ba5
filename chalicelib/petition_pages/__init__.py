"""The public petition pages: their routes (routes.py) and how each is drawn (views.py)."""
