"""SMPP 3.4: one long-lived bind process per route (`manage.py smpp_bind`)."""
