-- Running timers (keep in step with ../postgres/0007_timers.sql): at most one per person,
-- whichever device started it. The phone chose its id, which the entry its stop makes
-- will carry: creating that entry ends the timer, on any device, exactly once.
CREATE TABLE timers (
    user_id     TEXT    PRIMARY KEY NOT NULL REFERENCES users (id),
    id          TEXT    NOT NULL UNIQUE,
    project_id  TEXT    NOT NULL REFERENCES projects (id),
    note        TEXT,
    -- When it started on the phone (Unix milliseconds): the phone's clock decides.
    started_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
