-- The inbox, the mirror of the outbox: every update Telegram gives the bot is written here
-- (a whole getUpdates batch, or one webhook request, in one transaction) before the offset
-- that acknowledges it is sent, then handled from here and marked done. After a crash, what
-- is stored and not done is handled at start-up, in update_id order.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    -- The update as Telegram sent it (JSON); emptied once it is done (it may hold a phone).
    raw         TEXT NOT NULL,
    received_at TEXT NOT NULL,
    -- pending: stored, not yet handled; done: handled; skipped: could not be read (reason).
    status      TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'done', 'skipped')),
    reason      TEXT,
    done_at     TEXT
);
CREATE INDEX inbox_pending ON inbox (update_id) WHERE status = 'pending';
CREATE INDEX inbox_done_at ON inbox (done_at);
