-- Exposure in O(open orders + symbols), not O(order history): the risk check reads these under
-- the account lock on every order.
-- Orders not yet known to be final: inserted with the order (same tx), removed by the projection
-- when the order reaches a final status.
CREATE TABLE open_orders (
    order_id    uuid PRIMARY KEY REFERENCES orders (id),
    account_id  uuid NOT NULL
);
CREATE INDEX open_orders_account_idx ON open_orders (account_id);
INSERT INTO open_orders (order_id, account_id)
SELECT o.id, o.account_id FROM orders o LEFT JOIN order_views v ON v.id = o.id
WHERE COALESCE(v.status, 'pending') NOT IN ('filled', 'canceled', 'rejected', 'expired', 'broker_unavailable');

-- Net filled shares and cash spent per account and symbol, kept by the order projection in the
-- same transaction as the fill it comes from (so exactly once, with the projection's dedupe).
CREATE TABLE fill_totals (
    account_id  uuid NOT NULL,
    symbol      text NOT NULL,
    qty         bigint NOT NULL,
    spent       numeric(28, 8) NOT NULL,
    PRIMARY KEY (account_id, symbol)
);
INSERT INTO fill_totals (account_id, symbol, qty, spent)
SELECT account_id, symbol,
       SUM(CASE WHEN side = 'buy' THEN filled_qty ELSE -filled_qty END),
       SUM(CASE WHEN side = 'buy' THEN 1 ELSE -1 END * filled_qty * COALESCE(filled_avg_price, 0))
FROM order_views WHERE filled_qty > 0 GROUP BY account_id, symbol;
