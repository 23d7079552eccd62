-- Wizard buttons bound to the step that showed them, a wizard set aside while a worker acts,
-- albums answered once, and an outbox that can edit any message it knows and replay a reply
-- keyboard (a direct reply that could not be sent at once).

-- A new nonce at every saved step; the step's buttons carry it.
ALTER TABLE dialogs ADD COLUMN nonce INTEGER NOT NULL DEFAULT 0;
-- The wizard this one interrupted (JSON), asked again when this one ends.
ALTER TABLE dialogs ADD COLUMN suspended TEXT;

-- Albums (photos sent together) that already answered a question: the rest of them are not
-- another answer.
CREATE TABLE answered_albums (
    user_id        INTEGER NOT NULL,
    media_group_id TEXT NOT NULL,
    at             TEXT NOT NULL,
    PRIMARY KEY (user_id, media_group_id)
);

CREATE TABLE outbox_v2 (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    -- send a notice; post a request's card; edit_card it in place; edit one known message.
    kind            TEXT NOT NULL CHECK (kind IN ('send', 'card', 'edit_card', 'edit')),
    request_id      INTEGER REFERENCES requests(id),
    message_id      INTEGER,
    text            TEXT NOT NULL,
    buttons         TEXT NOT NULL DEFAULT '[]',
    -- A reply keyboard (or its removal) as Telegram's JSON, for direct replies sent late.
    markup          TEXT,
    photo           TEXT,
    -- What to post instead (a JSON list) if the chat refuses us.
    fallback        TEXT,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'held', 'failed', 'unconfirmed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
INSERT INTO outbox_v2 (id, chat_id, kind, request_id, text, buttons, photo, fallback, status,
                       attempts, next_attempt_at, last_error, created_at, sent_at)
    SELECT id, chat_id, kind, request_id, text, buttons, photo, fallback, status, attempts,
           next_attempt_at, last_error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_chat ON outbox (chat_id, status);
-- Where a request's cards went (routing a press, editing cards) without scanning the outbox.
CREATE INDEX outbox_request ON outbox (request_id, kind);
-- A worker's claims (the Start greeting) without scanning every request.
CREATE INDEX requests_assignee ON requests (assignee_id, status);
