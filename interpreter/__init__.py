"""The interpreter service: Flowmetal tasks run by a Kafka consumer group, exactly once.

    service.py      the process: options, start-up, signals, exit codes
    loop.py         the consume–transform–produce loop, commits, rebalances
    transaction.py  the transactional producer and its error classes
    engine.py       one inbox record -> one step -> the step's records
    effects.py      a step's effects -> records (outbox, inboxes, timers)
    hosting.py      the VM's Host, compiled programs, limits
    store.py        the RocksDB / in-memory replay cache with checkpoints
    restore.py      a partition's states, from the cache and the state topic
    timers.py       the deadline index of the owned partitions
    client.py       the task client behind `flowmetal tasks ...`

Nothing is imported here, so that `flowmetal check` never loads Kafka clients.
"""
