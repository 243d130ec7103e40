"""Rasa Core pieces that run inside the Rasa server (no action server needed)."""
