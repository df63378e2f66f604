"""The executors: they run plans (plans.py, readplans.py) and jobs (jobs.py) against Redis.

``sync`` sends with redis-py's blocking client, ``async_`` awaits ``redis.asyncio``; ``common``
holds all they share (generation checks, retry policy, errors). Neither holds the logic of any
operation: that is in the plans, written once.
"""
