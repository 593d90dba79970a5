-- Sender-constrained tokens (RFC 9449; keep in step with ../sqlite/0005_dpop.sql): the key
-- a code or a public client's refresh tokens are bound to (its JWK SHA-256 thumbprint),
-- and the DPoP proofs the token endpoint has seen, so that no instance accepts one twice.

ALTER TABLE authorization_codes ADD COLUMN dpop_jkt TEXT;
ALTER TABLE token_families ADD COLUMN dpop_jkt TEXT;

CREATE TABLE dpop_proofs (
    -- SHA-256 of the key's thumbprint and the proof's jti, base64url.
    proof_key   TEXT    PRIMARY KEY NOT NULL,
    -- Unix ms after which the proof's iat is too old to be accepted anyway.
    expires_at  BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_expiry ON dpop_proofs (expires_at);
