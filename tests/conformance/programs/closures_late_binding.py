# Closures capture variables, not values: late binding, and the default-argument fix.
def make_adders():
    adders = []
    for i in range(4):
        adders.append(lambda x: x + i)
    return adders


def make_adders_fixed():
    adders = []
    for i in range(4):

        def add(x, i=i):
            return x + i

        adders.append(add)
    return adders


def outer():
    x = 1

    def show():
        return x

    x = 2
    return show


def main():
    late = [f(10) for f in make_adders()]
    fixed = [f(10) for f in make_adders_fixed()]

    def compose(f, g):
        return lambda v: f(g(v))

    inc_then_double = compose(lambda v: v * 2, lambda v: v + 1)
    return [late, fixed, outer()(), inc_then_double(5)]
