    if not values:
        return {'count': 0, 'mean': 0.0, 'min': 0.0, 'max': 0.0}
    count = 0
    total = 0.0
    low = values[0]
    high = values[0]
    for value in values:
        count += 1
        total += value
        if value < low:
            low = value
        if value > high:
            high = value
    return {'count': count, 'mean': total / count, 'min': low, 'max': high}


class RunningStats:
    def __init__(self):
        self.count = 0
        self.total = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value

    def mean(self) -> float:
        if self.count == 0:
            return 0.0
        return self.total / self.count
