-- The one statement kinship sends to PostgreSQL for one GET /customers/{id}
-- (PG_ST_CUSTOMER_WHOLE in src/store/pg/statements.c, with the check of the
-- API client that src/store/pg/engine.c pipelines ahead of it in the same
-- round trip), for pgbench: the customer, its active contacts, its
-- properties and each organization it is a member of, whole (owner and
-- members with their names, in order). No BEGIN, no ROLLBACK: one statement
-- is its own snapshot.
--
-- Variables (pgbench -D, see bench/run.sh's ceilings): account (the account
-- id), client (an API client id of the account), ncustomers (how many customer
-- ids bench/run.sh put in bench_ids). The customer is picked at random
-- from bench_ids (kind 'customer', n = 1 .. ncustomers), which bench/run.sh makes
-- from the ids the wrk scripts read.
-- That lookup (an index probe, once per statement: an InitPlan) is the
-- only thing here kinship does not do. Run with -M prepared (kinship
-- prepares every statement) and -n.
\set k random(1, :ncustomers)
\startpipeline
SELECT count(*) FROM api_clients WHERE id = :client AND revoked_at IS NULL;
WITH x AS MATERIALIZED (SELECT id FROM bench_ids WHERE kind = 'customer' AND n = :k)
SELECT 0 AS k, NULL::bigint AS s1, NULL::text COLLATE "C" AS s2, NULL::bigint AS s3,
       c.id, c.legal_name, c.url, c.label, c.tax_status, c.status, c.line1, c.line2, c.town,
       c.state, c.postcode, c.country, c.integrations, c.created_at::text, c.updated_at::text,
       c.archived_at::text
  FROM customers c WHERE c.account_id = :account AND c.id = (SELECT id FROM x)
UNION ALL
SELECT 1, created_at, id, NULL, id, name, email, billing_preference,
       created_at::text, updated_at::text, archived_at::text,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM contacts
 WHERE account_id = :account AND customer_id = (SELECT id FROM x) AND archived_at IS NULL
UNION ALL
SELECT 2, NULL, key, NULL, key, value,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM customer_properties WHERE account_id = :account AND customer_id = (SELECT id FROM x)
UNION ALL
SELECT 3, o.created_at, o.id, m.position, o.id, o.owner_id, o.created_at::text,
       (SELECT legal_name FROM customers WHERE account_id = :account AND id = o.owner_id),
       m.customer_id,
       (SELECT legal_name FROM customers WHERE account_id = :account AND id = m.customer_id),
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM organization_members x2
 CROSS JOIN LATERAL (SELECT id, owner_id, created_at FROM organizations
                     WHERE account_id = :account AND id = x2.organization_id OFFSET 0) o
  LEFT JOIN LATERAL (SELECT customer_id, position FROM organization_members
                     WHERE account_id = :account AND organization_id = o.id OFFSET 0) m ON true
 WHERE x2.account_id = :account AND x2.customer_id = (SELECT id FROM x)
 ORDER BY k, s1, s2, s3;
\endpipeline
