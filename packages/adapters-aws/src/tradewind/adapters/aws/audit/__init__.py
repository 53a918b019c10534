"""The audit archive's adapters: Parquet files over an object store, and SQL over them."""
