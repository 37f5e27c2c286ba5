"""What lets a petition travel beyond its own page: the counter badge, the embeddable form, share cards."""
