"""WhatsApp Cloud API (Meta): template messages, status webhooks, replies."""
