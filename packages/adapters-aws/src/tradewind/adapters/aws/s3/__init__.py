"""S3 adapters: the object store under the audit archive."""
