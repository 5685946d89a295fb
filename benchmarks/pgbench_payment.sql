-- One payment notification's writes done the least way: the ceiling benchmarks/sql_payments.py compares with.
-- Run by pgbench in a scratch schema whose tables are copies of the adapter's (orders, subscriptions,
-- invoices, outbox, with their indexes) plus a one-row-per-kind "templates" table of real documents.
-- :orders (pgbench -D orders=...) is how many orders the schema holds; order o<n> renews subscription s<n>.
-- Each transaction takes the next number k: the order is o<1 + k % orders>, the invoice part and the outbox
-- id are k, so no two transactions collide on a key and the four clients work on different orders.
SELECT nextval('payments_seq') AS k \gset
\set n 1 + :k % :orders
BEGIN;
SELECT version FROM orders WHERE id = 'o' || :n FOR UPDATE;
UPDATE orders SET version = version + 1, state = 'fulfilled', document = (SELECT document FROM templates WHERE name = 'order') WHERE id = 'o' || :n;
UPDATE subscriptions SET version = version + 1, history_length = history_length + 1, next_due_at = next_due_at + interval '1 year', document = (SELECT document FROM templates WHERE name = 'subscription') WHERE id = 's' || :n;
INSERT INTO invoices (order_id, part, series, number, issued_at, grand_total, currency, document) SELECT 'o' || :n, :k, '1C26TAA', lpad(CAST(:k AS text), 8, '0'), now(), 6000000, 'VND', document FROM templates WHERE name = 'invoice';
INSERT INTO outbox (id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, document) SELECT 'pgbench-' || :k, 'order_paid', 'email', 'o' || :n, now(), 'pending', 0, now(), document FROM templates WHERE name = 'outbox';
END;
