# Sieve of Eratosthenes, prime factorisation, gcd/lcm.
def sieve(n):
    is_prime = [True] * (n + 1)
    is_prime[0] = is_prime[1] = False
    p = 2
    while p * p <= n:
        if is_prime[p]:
            for m in range(p * p, n + 1, p):
                is_prime[m] = False
        p += 1
    return [i for i, flag in enumerate(is_prime) if flag]


def factorise(n):
    factors = {}
    d = 2
    while d * d <= n:
        while n % d == 0:
            factors[d] = factors.get(d, 0) + 1
            n //= d
        d += 1
    if n > 1:
        factors[n] = factors.get(n, 0) + 1
    return factors


def gcd(a, b):
    while b:
        a, b = b, a % b
    return a


def main():
    primes = sieve(500)
    return [
        len(primes),
        primes[:15],
        primes[-3:],
        factorise(360),
        factorise(9973),
        factorise(2**10 * 3**5),
        gcd(462, 1071),
        462 * 1071 // gcd(462, 1071),
    ]
