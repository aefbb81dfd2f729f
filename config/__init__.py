"""Megafono project configuration: settings, URLs, Celery app and the JSON API."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
