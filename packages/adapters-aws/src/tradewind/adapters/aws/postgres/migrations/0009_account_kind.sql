-- Accounts are cash (the default: no leverage, no short sales) or margin (a multiplier on equity,
-- shorting allowed), set by an admin (issue 13).
ALTER TABLE accounts
    ADD COLUMN kind text NOT NULL DEFAULT 'cash' CHECK (kind IN ('cash', 'margin')),
    ADD COLUMN margin_multiplier numeric(6, 2) NOT NULL DEFAULT 1 CHECK (margin_multiplier >= 1 AND margin_multiplier <= 10);
