-- Trading states per account and platform-wide, and admin accounts (issue 13). Who changed a
-- state and why goes to risk.events (through the outbox, in the same transaction).
ALTER TABLE accounts
    ADD COLUMN is_admin boolean NOT NULL DEFAULT false,
    ADD COLUMN trading_state text NOT NULL DEFAULT 'active' CHECK (trading_state IN ('active', 'reducing', 'halted')),
    ADD COLUMN trading_state_reason text;
CREATE TABLE platform_state (
    id             smallint PRIMARY KEY CHECK (id = 1),
    trading_state  text NOT NULL CHECK (trading_state IN ('active', 'reducing', 'halted')),
    reason         text,
    changed_by     text,
    changed_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO platform_state (id, trading_state) VALUES (1, 'active');
