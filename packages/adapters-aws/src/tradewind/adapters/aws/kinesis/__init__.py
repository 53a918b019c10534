"""Kinesis (the market-data stream): producer keyed by symbol, consumer with durable per-shard
checkpoints. The same code runs on kinesalite (the local twin), moto, AWS, and the in-process
twin (``memory/kinesis.py``)."""
