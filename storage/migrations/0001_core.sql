-- Core loop: residents, requests, their events, group cards, the outbox and wizard drafts.

CREATE TABLE users (
    user_id     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    lang        TEXT NOT NULL CHECK (lang IN ('zh', 'en')),
    building    TEXT,
    unit        TEXT,
    phone       TEXT,
    registered_at TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE requests (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('repair', 'wish')),
    seq            INTEGER NOT NULL,
    category       TEXT NOT NULL,
    description    TEXT NOT NULL,
    building       TEXT NOT NULL,
    unit           TEXT,
    photos         TEXT NOT NULL DEFAULT '[]',
    reporter_id    INTEGER NOT NULL,
    filed_by       INTEGER,
    grid_id        TEXT NOT NULL,
    status         TEXT NOT NULL,
    assignee_id    INTEGER,
    assignee_name  TEXT,
    claim_due_at   TEXT,
    resolve_due_at TEXT,
    rating         INTEGER,
    duplicate_of   INTEGER REFERENCES requests(id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (kind, seq)
);
CREATE INDEX requests_reporter ON requests (reporter_id);
CREATE INDEX requests_open ON requests (kind, building, category, status);

-- Residents who said "same problem" and follow an existing request.
CREATE TABLE followers (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    user_id    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (request_id, user_id)
);

-- Every change of a request, status or not: the timeline, the ledger and the KPIs read this.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES requests(id),
    at          TEXT NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT,
    action      TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT,
    photo       TEXT
);
CREATE INDEX events_request ON events (request_id, id);

-- Where a request's card was posted, so it can be edited in place.
CREATE TABLE cards (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    has_photo  INTEGER NOT NULL,
    PRIMARY KEY (request_id, chat_id)
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('send', 'card', 'edit_card')),
    request_id      INTEGER REFERENCES requests(id),
    text            TEXT NOT NULL,
    buttons         TEXT NOT NULL DEFAULT '[]',
    photo           TEXT,
    -- What to post instead if the chat refuses us (a worker who never opened a private chat).
    fallback        TEXT,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'held', 'failed', 'unconfirmed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_chat ON outbox (chat_id, status);

-- Chats that refused delivery (blocked the bot, never started it); cleared when they write.
CREATE TABLE unreachable_chats (
    chat_id INTEGER PRIMARY KEY,
    since   TEXT NOT NULL,
    reason  TEXT NOT NULL
);

-- A group that became a supergroup gets a new id; cards and routing follow it.
CREATE TABLE chat_migrations (
    old_chat_id INTEGER PRIMARY KEY,
    new_chat_id INTEGER NOT NULL
);

-- A half-filled wizard (registration, report, resolve note): written at every step.
CREATE TABLE dialogs (
    user_id    INTEGER PRIMARY KEY,
    flow       TEXT NOT NULL,
    step       TEXT NOT NULL,
    data       TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Updates already handled, so a redelivered update changes nothing twice.
CREATE TABLE processed_updates (
    update_id INTEGER PRIMARY KEY,
    at        TEXT NOT NULL
);
