-- Runs once, when the compose PostgreSQL volume is first initialised (docker-entrypoint-initdb.d).
-- btree_gist backs the scheduler's exclusion constraint; creating an extension needs a superuser.
CREATE EXTENSION IF NOT EXISTS btree_gist;
