"""Rasa SDK actions: thin adapters between the conversation and bot.triage."""
