"""A long report builder: refine on it writes the whole function (too long to rank single edits),
which takes seconds, so the end-to-end test can cancel it while it runs."""


def stock_report(levels: dict, prices: dict, minimum: int, title: str = "Stock report") -> str:
    lines = [title, "=" * len(title), ""]
    total_items = 0
    total_value = 0.0
    low = []
    missing_price = []
    for item in sorted(levels):
        count = levels[item]
        total_items += count
        price = prices.get(item)
        if price is None:
            missing_price.append(item)
            lines.append(f"{item:<20} {count:>6}        n/a")
            continue
        value = count * price
        total_value += value
        lines.append(f"{item:<20} {count:>6} {value:>10.2f}")
        if count < minimum:
            low.append((item, minimum - count))
    lines.append("")
    lines.append(f"{'total':<20} {total_items:>6} {total_value:>10.2f}")
    if low:
        lines.append("")
        lines.append("Below the minimum:")
        for item, short in sorted(low, key=lambda pair: -pair[1]):
            lines.append(f"  {item}: order {short}")
    if missing_price:
        lines.append("")
        lines.append("No price on file:")
        for item in missing_price:
            lines.append(f"  {item}")
    average = total_value / total_items if total_items else 0.0
    lines.append("")
    lines.append(f"Average value per item: {average:.2f}")
    most_valuable = max(
        (item for item in levels if item in prices),
        key=lambda item: levels[item] * prices[item],
        default=None,
    )
    if most_valuable is not None:
        lines.append(f"Most valuable line: {most_valuable}")
    empty = [item for item in levels if levels[item] == 0]
    if empty:
        lines.append("Out of stock: " + ", ".join(sorted(empty)))
    return "\n".join(lines) + "\n"
