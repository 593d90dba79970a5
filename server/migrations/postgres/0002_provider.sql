-- The embedded OpenID Connect provider (used when no external issuer is configured).
-- Keep in step with ../sqlite/0002_provider.sql. Every piece of its state is here, so
-- instances behind a load balancer share sign-ins. Secrets are stored only as hashes:
-- SHA-256 for random tokens (codes, refresh tokens, session ids), argon2id for passwords
-- and client secrets. Timestamps are Unix milliseconds.

-- Signing keys. The newest unretired one signs; retired ones stay in the JWKS until the
-- tokens they signed have expired.
CREATE TABLE provider_keys (
    kid          TEXT    PRIMARY KEY NOT NULL,
    algorithm    TEXT    NOT NULL,
    private_key  TEXT    NOT NULL,  -- PKCS#8 DER, base64
    public_jwk   TEXT    NOT NULL,  -- JSON
    created_at   BIGINT  NOT NULL,
    retired_at   BIGINT 
);

-- People who sign in here; `id` is their `sub`.
CREATE TABLE accounts (
    id            TEXT    PRIMARY KEY NOT NULL,
    email         TEXT    NOT NULL UNIQUE,  -- lower case
    name          TEXT    NOT NULL,
    picture       TEXT,
    role          TEXT    NOT NULL CHECK (role IN ('employee', 'contractor', 'manager', 'admin')),
    password_hash TEXT    NOT NULL,
    disabled      BIGINT  NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE TABLE oauth_clients (
    id                        TEXT    PRIMARY KEY NOT NULL,
    name                      TEXT    NOT NULL,
    kind                      TEXT    NOT NULL CHECK (kind IN ('public', 'confidential')),
    secret_hash               TEXT,
    redirect_uris             TEXT    NOT NULL,  -- JSON array of exact URIs
    post_logout_redirect_uris TEXT    NOT NULL,  -- JSON array of exact URIs
    scopes                    TEXT    NOT NULL,  -- what client credentials may grant
    created_at                BIGINT  NOT NULL,
    CHECK ((kind = 'confidential') = (secret_hash IS NOT NULL))
);

-- Browser sessions at the provider (the login cookie holds the id; we keep its hash).
CREATE TABLE provider_sessions (
    id_hash     TEXT    PRIMARY KEY NOT NULL,
    sid         TEXT    NOT NULL UNIQUE,  -- the public `sid` claim
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    auth_time   BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);

-- Authorization requests waiting for the login form, bound to the browser that made them.
CREATE TABLE pending_logins (
    id            TEXT    PRIMARY KEY NOT NULL,
    csrf          TEXT    NOT NULL,
    binding_hash  TEXT    NOT NULL,
    request       TEXT    NOT NULL,  -- JSON of the validated authorization request
    expires_at    BIGINT  NOT NULL
);

CREATE TABLE authorization_codes (
    code_hash       TEXT    PRIMARY KEY NOT NULL,
    client_id       TEXT    NOT NULL,
    account_id      TEXT    NOT NULL REFERENCES accounts (id),
    redirect_uri    TEXT    NOT NULL,
    scope           TEXT    NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT    NOT NULL,
    auth_time       BIGINT  NOT NULL,
    sid             TEXT,
    family_id       TEXT    NOT NULL,  -- the refresh-token family its redemption starts
    expires_at      BIGINT  NOT NULL,
    used_at         BIGINT 
);

-- One sign-in's chain of rotated refresh tokens.
CREATE TABLE token_families (
    id          TEXT    PRIMARY KEY NOT NULL,
    account_id  TEXT    NOT NULL REFERENCES accounts (id),
    client_id   TEXT    NOT NULL,
    scope       TEXT    NOT NULL,
    auth_time   BIGINT  NOT NULL,
    sid         TEXT,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,  -- absolute: rotation never extends it
    revoked_at  BIGINT 
);
CREATE INDEX token_families_sid ON token_families (sid);
CREATE INDEX token_families_account ON token_families (account_id);

CREATE TABLE refresh_tokens (
    token_hash  TEXT    PRIMARY KEY NOT NULL,
    family_id   TEXT    NOT NULL REFERENCES token_families (id),
    issued_at   BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,  -- idle timeout, capped by the family's
    used_at     BIGINT             -- rotated: presenting it again revokes the family
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Failed logins per email (known or not), for the lockout.
CREATE TABLE login_failures (
    email         TEXT    PRIMARY KEY NOT NULL,
    failures      BIGINT  NOT NULL,
    window_start  BIGINT  NOT NULL,
    locked_until  BIGINT 
);
