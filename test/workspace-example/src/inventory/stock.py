from collections import defaultdict


class Stock:
    """Quantities on hand, per warehouse and item."""

    def __init__(self):
        self._levels = defaultdict(int)

    def add(self, warehouse: str, item: str, quantity: int) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self._levels[(warehouse, item)] += quantity

    def take(self, warehouse: str, item: str, quantity: int) -> bool:
        key = (warehouse, item)
        if self._levels[key] < quantity:
            return False
        self._levels[key] -= quantity
        return True

    def total(self, item: str) -> int:
        return sum(count for (_, name), count in self._levels.items() if name == item)
