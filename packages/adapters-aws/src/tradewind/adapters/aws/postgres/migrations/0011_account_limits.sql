-- Risk limits per account, over the platform defaults (issue 13): one row per overridden limit.
CREATE TABLE account_limits (
    account_id  uuid NOT NULL REFERENCES accounts (id),
    name        text NOT NULL,
    value       text NOT NULL,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, name)
);
