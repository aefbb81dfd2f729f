"""Twilio route: Programmable Messaging REST API and its signed webhooks."""
