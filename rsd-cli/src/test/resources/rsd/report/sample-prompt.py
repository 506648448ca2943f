from typing import List


def running_stats(values: List[float]) -> dict:
    """Return the count, mean, minimum and maximum of values.
    >>> running_stats([1.0, 2.0, 3.0])
    {'count': 3, 'mean': 2.0, 'min': 1.0, 'max': 3.0}
    """
