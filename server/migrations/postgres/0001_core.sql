-- Core tables of Timesheets (PostgreSQL). Keep in step with ../sqlite/0001_core.sql:
-- same tables, columns and constraints; only the type spellings differ.
-- Ids are UUID text, dates ISO `YYYY-MM-DD` text, timestamps Unix milliseconds
-- (types that sqlx's Any driver reads the same way on both backends).

-- A person, known by the issuer that signed them in and their subject there (never by email).
CREATE TABLE users (
    id          TEXT    PRIMARY KEY NOT NULL,
    issuer      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    email       TEXT,
    name        TEXT,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    UNIQUE (issuer, subject)
);
CREATE INDEX users_email ON users (email);

CREATE TABLE projects (
    id          TEXT    PRIMARY KEY NOT NULL,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    active      BIGINT  NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

CREATE TABLE entries (
    id            TEXT    PRIMARY KEY NOT NULL,
    user_id       TEXT    NOT NULL REFERENCES users (id),
    project_id    TEXT    NOT NULL REFERENCES projects (id),
    work_date     TEXT    NOT NULL CHECK (length(work_date) = 10),
    minutes       BIGINT  NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
    note          TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
    -- The manager's note on the last decision (why it was rejected).
    decision_note TEXT,
    -- `app`, `api` or `batch:<client id>`.
    source        TEXT    NOT NULL,
    -- The uploader's own id for the row, so a retried batch upload never duplicates.
    external_id   TEXT,
    version       BIGINT  NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX entries_user_date ON entries (user_id, work_date);
CREATE INDEX entries_status_date ON entries (status, work_date);

-- Append-only: who did what to which entry, through which client, and when.
CREATE TABLE audit_log (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id        TEXT    NOT NULL,
    actor_issuer    TEXT,
    actor_subject   TEXT,
    actor_client_id TEXT,
    action          TEXT    NOT NULL,
    from_status     TEXT,
    to_status       TEXT,
    note            TEXT,
    at              BIGINT  NOT NULL
);
CREATE INDEX audit_log_entry ON audit_log (entry_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
