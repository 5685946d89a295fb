-- One payment notification's statements, as the library sends them, run by pgbench: the baseline of
-- benchmarks/sql_payments.py. Written from the library's own statement list for one notification (captured by
-- the benchmark, which checks before timing that the library still sends exactly these, in this order): the
-- same tables, the same rows read back to the client, the same rows written with documents of the same size
-- (:d1 .. :d13 are the JSON texts the library wrote for one notification, passed with -D), in the same two
-- transactions: apply the notification; issue the invoice it requested (from the request and order in hand).
-- pgbench reads ':name' as a variable even between quotes: the outbox ids' colons are concatenated ':'.
-- Run with -M prepared (psycopg prepares a statement from its fifth run on, so the library's are prepared too). The
-- outbox rows of one batch are one executemany in the library, which psycopg sends in a pipeline: here too (the
-- subscriptions' notices with their batch, the order's after it).
--
-- The scratch schema holds, for each number k, customer cus-<k>, subscription sub-<k> (one history entry),
-- order ord-<k zero-padded to 32 digits> (one line) and its started payment pay-<k, likewise>: copies of one
-- order the library placed. Client c's i-th transaction takes k = :base + 1 + c + :clients * i, so no two
-- transactions share an order and none takes a row another run took (each run gets its own :base).
\set k :base + 1 + :client_id + :clients * :i
\set i :i + 1
BEGIN;
SELECT -1 AS position, orders.document FROM orders WHERE orders.id = 'ord-' || lpad(:k::text, 32, '0') UNION ALL SELECT order_lines.position, order_lines.document FROM order_lines WHERE order_lines.order_id = 'ord-' || lpad(:k::text, 32, '0') ORDER BY position;
INSERT INTO provider_notifications (provider, event_id, order_id, processed_at) VALUES ('vnptpay', 'evt-' || :k::text, 'ord-' || lpad(:k::text, 32, '0'), now()) ON CONFLICT DO NOTHING;
SELECT payments.document FROM payments WHERE payments.order_id = 'ord-' || lpad(:k::text, 32, '0') ORDER BY payments.started_at, payments.id;
UPDATE payments SET version = 1, order_id = 'ord-' || lpad(:k::text, 32, '0'), state = 'succeeded', started_at = now(), amount = 6000000, currency = 'VND', document = :d1::json WHERE payments.id = 'pay-' || lpad(:k::text, 32, '0') AND payments.version = 0;
SELECT subscriptions.id, -1 AS position, subscriptions.document FROM subscriptions WHERE subscriptions.id IN ('sub-' || :k::text) UNION ALL SELECT subscription_history.subscription_id, subscription_history.position, subscription_history.document FROM subscription_history WHERE subscription_history.subscription_id IN ('sub-' || :k::text) ORDER BY position;
UPDATE subscriptions SET version = 2, customer_id = 'cus-' || :k::text, product_code = 'amis', state = 'active', next_due_at = now() + interval '1 year', history_length = 2, held_back_since = NULL, document = :d2::json WHERE subscriptions.id = 'sub-' || :k::text AND subscriptions.version = 1;
INSERT INTO subscription_history (subscription_id, position, at, event, document) VALUES ('sub-' || :k::text, 1, now(), 'renew', :d3::json);
SELECT customers.document FROM customers WHERE customers.id IN ('cus-' || :k::text);
\startpipeline
INSERT INTO outbox (id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, document) VALUES ('sub-' || :k::text || ':' || '2' || ':' || 'extended' || ':' || 'email', 'extended', 'email', 'sub-' || :k::text, now(), 'pending', 0, now(), :d4::json) ON CONFLICT DO NOTHING;
INSERT INTO outbox (id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, document) VALUES ('sub-' || :k::text || ':' || '2' || ':' || 'extended' || ':' || 'in_app', 'extended', 'in_app', 'sub-' || :k::text, now(), 'pending', 0, now(), :d5::json) ON CONFLICT DO NOTHING;
\endpipeline
INSERT INTO invoice_requests (order_id, part, version, state, requested_at, next_attempt_at, document) VALUES ('ord-' || lpad(:k::text, 32, '0'), 0, 0, 'pending', now(), now(), :d6::json) ON CONFLICT DO NOTHING;
\startpipeline
INSERT INTO outbox (id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, document) VALUES ('ord-' || lpad(:k::text, 32, '0') || ':' || 'order_paid' || ':' || 'email', 'order_paid', 'email', 'ord-' || lpad(:k::text, 32, '0'), now(), 'pending', 0, now(), :d7::json) ON CONFLICT DO NOTHING;
INSERT INTO outbox (id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, document) VALUES ('ord-' || lpad(:k::text, 32, '0') || ':' || 'order_paid' || ':' || 'in_app', 'order_paid', 'in_app', 'ord-' || lpad(:k::text, 32, '0'), now(), 'pending', 0, now(), :d8::json) ON CONFLICT DO NOTHING;
\endpipeline
UPDATE orders SET version = 3, kind = 'renewal', customer_id = 'cus-' || :k::text, state = 'fulfilled', created_at = now(), pay_by = now() + interval '7 days', grand_total = 6000000, currency = 'VND', transfer_reference = lpad(:k::text, 16, '0'), remind_at = NULL, document = :d9::json WHERE orders.id = 'ord-' || lpad(:k::text, 32, '0') AND orders.version = 1;
COMMIT;
BEGIN;
SELECT invoice_requests.document FROM invoice_requests WHERE invoice_requests.order_id = 'ord-' || lpad(:k::text, 32, '0') AND invoice_requests.part = 0;
UPDATE invoice_requests SET version = 1, state = 'issued', requested_at = now(), next_attempt_at = now(), document = :d10::json WHERE invoice_requests.order_id = 'ord-' || lpad(:k::text, 32, '0') AND invoice_requests.part = 0 AND invoice_requests.version = 0;
INSERT INTO invoices (order_id, part, series, number, issued_at, grand_total, currency, document) VALUES ('ord-' || lpad(:k::text, 32, '0'), 0, '1C26TAA', lpad(:k::text, 8, '0'), now(), 6000000, 'VND', :d11::json) ON CONFLICT DO NOTHING;
\startpipeline
INSERT INTO outbox (id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, document) VALUES ('ord-' || lpad(:k::text, 32, '0') || ':' || 'invoice_issued' || ':' || '0' || ':' || 'email', 'invoice_issued', 'email', 'ord-' || lpad(:k::text, 32, '0'), now(), 'pending', 0, now(), :d12::json) ON CONFLICT DO NOTHING;
INSERT INTO outbox (id, kind, channel, subject_id, created_at, state, attempts, next_attempt_at, document) VALUES ('ord-' || lpad(:k::text, 32, '0') || ':' || 'invoice_issued' || ':' || '0' || ':' || 'in_app', 'invoice_issued', 'in_app', 'ord-' || lpad(:k::text, 32, '0'), now(), 'pending', 0, now(), :d13::json) ON CONFLICT DO NOTHING;
\endpipeline
COMMIT;
