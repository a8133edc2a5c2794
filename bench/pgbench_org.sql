-- The statements kinship sends to PostgreSQL for one
-- POST /customer-organizations (an owner and two members), for pgbench:
-- what rules_org_create (src/rules/organizations.c) calls, as the
-- PostgreSQL backend (src/store/pg/) sends it, in one READ COMMITTED
-- transaction (docs/postgresql.md, "How the concurrency rules are enforced"):
--
--   BEGIN ISOLATION LEVEL READ COMMITTED  pipelined with the first statement,
--                                         as pg/engine.c does
--   HIERARCHY_LOCK   the owner, both members: advisory locks on the owner and
--                    its ancestors (exclusive) and the members (shared), the
--                    customer rows FOR SHARE; answers the ancestors (the R6
--                    check), the three customers' briefs (R5) and the owner's
--                    organization (R1), which kinship's checks then use
--   ORG_INSERT       the organization and its two members (one statement:
--                    data-modifying CTEs)
--   COMMIT
--
-- Three round trips. Not included: the API client lookup kinship makes per
-- request (a separate read), idempotency records (the benchmark sends no
-- Idempotency-Key).
--
-- Variables (pgbench -D): account (the account id), nclients (-c), i=0.
-- Client c's n-th transaction uses the pool customers 3m, 3m+1, 3m+2 with
-- m = c + nclients * (n - 1), whose ids are 0b000000-0000-7000-8000-<hex>
-- (bench/preload.c --pgbench-pool); the organization's id is
-- 0c000000-0000-7000-8000-<hex of m>. Run with -M prepared (as kinship
-- prepares every statement); no retries are needed (nothing conflicts).
\set i :i + 1
\set m :client_id + :nclients * (:i - 1)
\set o 3 * :m
\set a 3 * :m + 1
\set b 3 * :m + 2
\startpipeline
BEGIN ISOLATION LEVEL READ COMMITTED;
SELECT * FROM kinship_hierarchy_lock(:account,
    '0b000000-0000-7000-8000-' || lpad(to_hex(:o::bigint), 12, '0'),
    ARRAY['0b000000-0000-7000-8000-' || lpad(to_hex(:a::bigint), 12, '0'),
          '0b000000-0000-7000-8000-' || lpad(to_hex(:b::bigint), 12, '0')]);
\endpipeline
WITH o AS (INSERT INTO organizations (account_id, id, owner_id, created_at)
           VALUES (:account,
                   '0c000000-0000-7000-8000-' || lpad(to_hex(:m::bigint), 12, '0'),
                   '0b000000-0000-7000-8000-' || lpad(to_hex(:o::bigint), 12, '0'),
                   (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
           ON CONFLICT (account_id, owner_id) DO NOTHING RETURNING id),
     m AS (INSERT INTO organization_members (account_id, organization_id, customer_id, position)
           SELECT :account, o.id, x.id, x.ord
             FROM o, (SELECT id, min(ord) AS ord
                        FROM unnest(ARRAY[
                               '0b000000-0000-7000-8000-' || lpad(to_hex(:a::bigint), 12, '0'),
                               '0b000000-0000-7000-8000-' || lpad(to_hex(:b::bigint), 12, '0')])
                             WITH ORDINALITY AS u(id, ord)
                       GROUP BY id) x
           ON CONFLICT DO NOTHING)
SELECT count(*) FROM o;
COMMIT;
