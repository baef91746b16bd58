-- Privileges of the service's roles in one database, run in that database by its owner
-- (or a superuser). Idempotent: run it once per database, before or after migrations.
-- psql variables: owner (the role that runs migrations and owns the tables), runtime,
-- readonly (see roles.sql).
--
--   owner     everything (DDL): `alpes db upgrade` (ALPES_MIGRATION_DATABASE_URL)
--   runtime   SELECT/INSERT/UPDATE/DELETE on the service's tables, its sequences; reads
--             alembic_version (workers check the schema is at head) but cannot move it;
--             no DDL (ALPES_DATABASE_URL)
--   readonly  SELECT only (ALPES_READONLY_DATABASE_URL)
--
-- Tables that later migrations create are covered by the owner's default privileges.
\set ON_ERROR_STOP on
SET ROLE :"owner";

SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'runtime')\gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'readonly')\gexec
-- Nobody but the owner creates objects in the schema (PostgreSQL < 15 let everyone).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"runtime", :"readonly";

-- Alembic's own table, created here exactly as Alembic creates it (it then finds it), so
-- that the runtime role can be kept from writing it whatever the order of the steps.
CREATE TABLE IF NOT EXISTS public.alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- What exists now...
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"runtime";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"runtime";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"readonly";
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.alembic_version FROM :"runtime";

-- ...and what the owner's later migrations create.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"runtime";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"runtime";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT ON TABLES TO :"readonly";

RESET ROLE;
