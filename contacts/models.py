"""Contact lists, contacts, opt-outs and the system blacklist."""
