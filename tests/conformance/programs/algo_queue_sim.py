# A bank-queue simulation with a deterministic pseudo-random generator.
def lcg(seed):
    state = [seed]

    def nxt(n):
        state[0] = (state[0] * 6364136223846793005 + 1442695040888963407) % 2**64
        return (state[0] >> 33) % n

    return nxt


def main():
    rnd = lcg(42)
    queue, served, waits, clock = [], 0, [], 0
    tellers = [0, 0]
    for minute in range(200):
        clock = minute
        for _ in range(rnd(3)):
            queue.append(minute)
        for t in range(len(tellers)):
            if tellers[t] <= minute and queue:
                arrived = queue.pop(0)
                waits.append(minute - arrived)
                tellers[t] = minute + 1 + rnd(3)
                served += 1
    return [served, len(queue), max(waits), round(sum(waits) / len(waits), 3), clock]
