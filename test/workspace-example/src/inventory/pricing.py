"""Prices after discounts.

Two seeded bugs for the end-to-end refine test:
- order_total starts counting at the second price, so the first is never charged;
- apply_discount adds the discount to the price instead of taking it off.
"""


def order_total(prices: list[float]) -> float:
    total = 0.0
    for i in range(1, len(prices)):
        total += prices[i]
    return total


def apply_discount(price: float, percent: float) -> float:
    if percent < 0 or percent > 100:
        raise ValueError("percent must be between 0 and 100")
    return price * (1 + percent / 100)
