-- Accounts, the order write table, and the transactional outbox.
CREATE TABLE accounts (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    cash        numeric(20, 4) NOT NULL,
    token_hash  text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL
);

-- The write model: an order as submitted. Immutable; progress lives in the read model.
CREATE TABLE orders (
    id               uuid PRIMARY KEY,
    account_id       uuid NOT NULL REFERENCES accounts (id),
    client_order_id  text NOT NULL,
    symbol           text NOT NULL,
    side             text NOT NULL,
    qty              integer NOT NULL CHECK (qty > 0),
    order_type       text NOT NULL,
    time_in_force    text NOT NULL,
    limit_price      numeric(20, 4),
    stop_price       numeric(20, 4),
    correlation_id   uuid NOT NULL,
    created_at       timestamptz NOT NULL,
    UNIQUE (account_id, client_order_id)
);
CREATE INDEX orders_account_idx ON orders (account_id);

CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL,
    key         text NOT NULL,
    event_id    uuid NOT NULL UNIQUE,
    payload     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL;
