"""Google RCS Business Messaging: agent messages, events and replies."""
