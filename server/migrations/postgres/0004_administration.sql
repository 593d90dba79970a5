-- Administration of a real instance (keep in step with ../sqlite/0004_administration.sql):
-- projects get a customer and a colour; changes to projects and people are kept in an
-- append-only trail of their own (audit_log is per entry); people invited by an admin
-- set their own password from a one-time link.

ALTER TABLE projects ADD COLUMN customer TEXT;
ALTER TABLE projects ADD COLUMN colour TEXT CHECK (colour IS NULL OR length(colour) = 7);

-- Who changed which project or person, through which client, and when.
CREATE TABLE admin_log (
    id              BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- `project` (target_id is its code) or `person` (its subject at the embedded provider).
    target          TEXT    NOT NULL CHECK (target IN ('project', 'person')),
    target_id       TEXT    NOT NULL,
    actor_issuer    TEXT,
    actor_subject   TEXT,
    -- A machine client, or `cli` for the server's own command line.
    actor_client_id TEXT,
    -- add, update, archive, activate, invite, disable, enable, role.
    action          TEXT    NOT NULL,
    -- What changed, as the admin would read it (e.g. `name: Old -> New`).
    detail          TEXT,
    at              BIGINT  NOT NULL
);
CREATE INDEX admin_log_target ON admin_log (target, target_id, id);

CREATE FUNCTION admin_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'admin_log is append-only';
END;
$$;
CREATE TRIGGER admin_log_no_update_or_delete BEFORE UPDATE OR DELETE ON admin_log
    FOR EACH ROW EXECUTE FUNCTION admin_log_append_only();

-- One-time links that let an invited person choose their password. Only the token's
-- SHA-256 is stored; a used or expired link sets nothing.
CREATE TABLE invitations (
    token_hash  TEXT    PRIMARY KEY NOT NULL,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX invitations_account ON invitations (account_id);
