-- The daily loss limit (issue 13): each account's equity when a session (a UTC day) started,
-- taken by the first risk check of the session under the account lock. Pruned after 8 days.
CREATE TABLE account_sessions (
    account_id    uuid NOT NULL REFERENCES accounts (id),
    session_date  date NOT NULL,
    start_equity  numeric NOT NULL,
    taken_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, session_date)
);
CREATE INDEX account_sessions_taken_at ON account_sessions (taken_at);
