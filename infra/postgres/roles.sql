-- The service's least-privilege database roles (PostgreSQL), created by a superuser.
-- Idempotent; passwords are (re)set on every run. psql variables:
--   runtime, runtime_password    the workers: read and write their tables, no DDL
--   readonly, readonly_password  the CLI's queries: read only
-- The owner role (migrations, DDL) is the database's owner, created beforehand.
-- Privileges inside a database are granted by grants.sql.
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I', :'runtime')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'runtime')\gexec
SELECT format('CREATE ROLE %I', :'readonly')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'readonly')\gexec

SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD %L',
              :'runtime', :'runtime_password')\gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD %L',
              :'readonly', :'readonly_password')\gexec
