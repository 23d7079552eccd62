-- Time: reminders and escalations sent once per step, daily digests sent once per day, and
-- messages held through a resident's quiet hours.

-- A deadline step done for a request: once per step and deadline (a new claim brings a new
-- resolve deadline, and its steps again).
CREATE TABLE reminders (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    step       TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    PRIMARY KEY (request_id, step, due_at)
);

-- A grid's daily digest, by local date: sent (or skipped when too late) once.
CREATE TABLE digests (
    grid_key TEXT NOT NULL,
    day      TEXT NOT NULL,
    sent_at  TEXT NOT NULL,
    skipped  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (grid_key, day)
);

CREATE INDEX requests_claim_due ON requests (status, claim_due_at);
CREATE INDEX requests_resolve_due ON requests (status, resolve_due_at);

-- 'quiet': a message to a resident that waits for the end of their quiet hours.
CREATE TABLE outbox_v6 (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('send', 'card', 'edit_card', 'edit')),
    request_id      INTEGER REFERENCES requests(id),
    message_id      INTEGER,
    text            TEXT NOT NULL,
    buttons         TEXT NOT NULL DEFAULT '[]',
    markup          TEXT,
    photo           TEXT,
    fallback        TEXT,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'held', 'failed', 'unconfirmed',
                                      'quiet')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
INSERT INTO outbox_v6 SELECT id, chat_id, kind, request_id, message_id, text, buttons, markup,
    photo, fallback, status, attempts, next_attempt_at, last_error, created_at, sent_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v6 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_chat ON outbox (chat_id, status);
CREATE INDEX outbox_request ON outbox (request_id, kind);
