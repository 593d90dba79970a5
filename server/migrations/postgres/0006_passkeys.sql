-- Passkeys at the embedded provider (WebAuthn; keep in step with ../sqlite/0006_passkeys.sql):
-- the credentials people sign in with, the ceremonies under way (their challenges, so
-- that any instance can finish what another started), and the provider's policies.

CREATE TABLE passkeys (
    -- The credential id, base64url.
    id            TEXT    PRIMARY KEY NOT NULL,
    account_id    TEXT    NOT NULL REFERENCES accounts (id),
    -- What the person calls it ("Pixel 7"), shown in their list.
    name          TEXT    NOT NULL,
    -- webauthn-rs's Passkey as JSON: the public key and the signature counter.
    credential    TEXT    NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);
CREATE INDEX passkeys_account ON passkeys (account_id);

CREATE TABLE passkey_ceremonies (
    -- SHA-256 of the ceremony token the browser holds, base64url.
    id             TEXT    PRIMARY KEY NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('register', 'authenticate')),
    -- Whose passkey is being added (registrations only).
    account_id     TEXT    REFERENCES accounts (id),
    -- The login form it belongs to, when it is part of a sign-in.
    pending_login  TEXT,
    -- webauthn-rs's ceremony state as JSON (the challenge and what was asked for).
    state          TEXT    NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);
-- A new ceremony replaces its form's (or person's) earlier one.
CREATE INDEX passkey_ceremonies_form ON passkey_ceremonies (pending_login);
CREATE INDEX passkey_ceremonies_account ON passkey_ceremonies (account_id);

-- Settings an administrator changes while servers run (`timesheets passkeys require`).
CREATE TABLE provider_policies (
    name   TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);
