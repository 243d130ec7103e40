"""Rasa input channels of the project's own."""
