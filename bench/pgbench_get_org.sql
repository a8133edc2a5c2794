-- The one statement kinship sends to PostgreSQL for one
-- GET /customer-organizations/{id} (PG_ST_ORG_GET in
-- src/store/pg/statements.c, with the check of the API client that
-- src/store/pg/engine.c pipelines ahead of it in the same round trip), for
-- pgbench: the organization whole, its owner and members with their names,
-- in order. No BEGIN, no ROLLBACK: one statement is its own snapshot.
--
-- Variables (pgbench -D, see bench/run.sh's ceilings): account (the account
-- id), client (an API client id of the account), norgs (how many organization
-- ids bench/run.sh put in bench_ids). The organization is picked at random
-- from bench_ids (kind 'org', n = 1 .. norgs), which bench/run.sh makes
-- from the ids the wrk scripts read.
-- That lookup (an index probe, once per statement: an InitPlan) is the
-- only thing here kinship does not do. Run with -M prepared and -n.
\set k random(1, :norgs)
\startpipeline
SELECT count(*) FROM api_clients WHERE id = :client AND revoked_at IS NULL;
SELECT o.owner_id, o.created_at,
       (SELECT legal_name FROM customers WHERE account_id = :account AND id = o.owner_id),
       m.customer_id,
       (SELECT legal_name FROM customers WHERE account_id = :account AND id = m.customer_id)
  FROM organizations o
  LEFT JOIN LATERAL (SELECT customer_id, position FROM organization_members
                     WHERE account_id = :account AND organization_id = o.id OFFSET 0) m ON true
 WHERE o.account_id = :account AND o.id = (SELECT id FROM bench_ids WHERE kind = 'org' AND n = :k)
 ORDER BY m.position;
\endpipeline
