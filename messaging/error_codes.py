"""Error codes of messaging: transactional sends and webhooks."""

from __future__ import annotations

from enum import StrEnum


class MessagingErrorCode(StrEnum):
    INVALID = "invalid"
    INVALID_NUMBER = "invalid_number"
    SUPPRESSED = "suppressed"
    EMPTY_TEXT = "empty_text"
    TEXT_TOO_LONG = "text_too_long"
    INVALID_SENDER = "invalid_sender"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress"
    INVALID_WEBHOOK = "invalid_webhook"
    DELIVERY_IN_FLIGHT = "delivery_in_flight"
