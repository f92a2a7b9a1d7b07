"""Prices after discounts.

apply_discount carries a seeded bug for the end-to-end refine test: the discount is added to the
price instead of taken off it.
"""


def apply_discount(price: float, percent: float) -> float:
    if percent < 0 or percent > 100:
        raise ValueError("percent must be between 0 and 100")
    return price * (1 + percent / 100)
