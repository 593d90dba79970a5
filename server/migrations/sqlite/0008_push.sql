-- Web Push reminders (keep in step with ../postgres/0008_push.sql): the server's VAPID key
-- pair, each person's push subscriptions (one per device), and the reminders sent: one row
-- per person, kind and period, inserted by the instance that sends it, so that several
-- instances send each reminder once.
CREATE TABLE push_keys (
    id           TEXT    PRIMARY KEY NOT NULL,
    -- PKCS#8 DER of the P-256 key, base64.
    private_key  TEXT    NOT NULL,
    -- The uncompressed public point, base64url: the browsers' applicationServerKey.
    public_key   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE push_subscriptions (
    id          TEXT    PRIMARY KEY NOT NULL,
    user_id     TEXT    NOT NULL REFERENCES users (id),
    -- The push service's URL for this device (RFC 8030).
    endpoint    TEXT    NOT NULL UNIQUE,
    -- The device's P-256 public key and auth secret, base64url (RFC 8291).
    p256dh      TEXT    NOT NULL,
    auth        TEXT    NOT NULL,
    -- IANA time zone of the device: reminders come at its local time.
    time_zone   TEXT    NOT NULL,
    -- 1 when the subscribing token granted approve:timesheets (daily approvals reminder).
    approves    INTEGER NOT NULL DEFAULT 0 CHECK (approves IN (0, 1)),
    created_at  INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

CREATE TABLE reminders_sent (
    user_id  TEXT    NOT NULL REFERENCES users (id),
    -- 'week': the person's week is not submitted; 'approvals': entries wait for them.
    kind     TEXT    NOT NULL CHECK (kind IN ('week', 'approvals')),
    -- The ISO week (2026-W49) or the day (2026-12-07) it is about.
    period   TEXT    NOT NULL,
    sent_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, period)
);
