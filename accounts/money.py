"""Money helpers: one precision for every stored amount, one rounding rule for bills."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Stored amounts keep four decimals so per-part prices such as 0.035 are exact;
# what a customer pays is rounded half up to cents by `to_cents`.
MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 4
CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """Round an amount half up to cents, the rule for every bill we show or charge."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
