"""Why a campaign request is refused: one code per rule, whatever the interface."""

from __future__ import annotations

from enum import StrEnum


class CampaignErrorCode(StrEnum):
    REQUIRED = "required"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_SENDER = "invalid_sender"
    TEXT_TOO_LONG = "text_too_long"
    CONTACT_LIST_NOT_FOUND = "contact_list_not_found"
    CONTACT_LIST_REQUIRED = "contact_list_required"
    MESSAGE_REQUIRED = "message_required"
    INVALID_GOAL = "invalid_goal"
    INVALID_TRANSITION = "invalid_transition"
    CHANGED_MEANWHILE = "changed_meanwhile"
    NOT_CALCULATED = "not_calculated"
    SCHEDULE_IN_PAST = "schedule_in_past"
    SCHEDULE_REQUIRED = "schedule_required"
    SCHEDULE_TOO_FAR = "schedule_too_far"
    TOO_MANY_ACTIVE = "too_many_active"
    TOO_MANY_RECIPIENTS = "too_many_recipients"
    NO_RECIPIENTS = "no_recipients"
    UNKNOWN_FIX = "unknown_fix"
    INVALID_TEST_NUMBERS = "invalid_test_numbers"
    INVALID_RRULE = "invalid_rrule"
    INVALID_TIMEZONE = "invalid_timezone"
    NO_OCCURRENCE = "no_occurrence"
    RECURRING_ENDED = "recurring_ended"
    INVALID_RECURRING_TRANSITION = "invalid_recurring_transition"
    OCCURRENCE_MISSED = "occurrence_missed"
    TEMPLATE_NOT_APPROVED = "template_not_approved"
    TEMPLATE_VARIABLES = "template_variables"
    INVALID_SEND_WINDOW = "invalid_send_window"
    INVALID_SPEED = "invalid_speed"
    INVALID_CANARY = "invalid_canary"
