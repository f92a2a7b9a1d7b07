"""A restock plan still being written: the `for` line lacks its colon, so it does not parse."""


def restock_plan(levels: dict, minimum: int) -> dict:
    plan = {}
    for item in levels
        if levels[item] < minimum:
            plan[item] = minimum - levels[item]
    return plan
