"""Routes that take messages out: one package per provider, one interface (`base`),
looked up by kind in `kinds`."""
