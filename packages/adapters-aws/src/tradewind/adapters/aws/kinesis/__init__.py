"""Kinesis (the market-data stream): producer keyed by symbol, consumer with durable per-shard
checkpoints. The same code runs on moto, AWS, and the in-process twin (``memory/kinesis.py``)."""
