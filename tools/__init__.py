"""Dev and operations tools: never deployed (Chalice packages only app.py and chalicelib/)."""
