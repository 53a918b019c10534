"""The audit archive: every event, once, in date- and type-partitioned files (Parquet on S3)."""
