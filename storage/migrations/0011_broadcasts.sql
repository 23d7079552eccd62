-- Announcements (/broadcast): who sent what to whom and when, the outbox row of each
-- recipient, and the delivery report sent once when every row is settled.

CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY,
    admin_id    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    -- "all" (everyone registered), "grid:A", "building:3" or "volunteers"
    audience    TEXT NOT NULL,
    text        TEXT NOT NULL,  -- the admin's words, as Telegram HTML
    photo       TEXT,           -- a Telegram file id: the text is its caption
    recipients  INTEGER NOT NULL,
    -- Set once, in the transaction that queues the report to the admin.
    reported_at TEXT,
    sent        INTEGER,
    blocked     INTEGER,
    failed      INTEGER
);
CREATE INDEX broadcasts_unreported ON broadcasts (id) WHERE reported_at IS NULL;

-- One outbox row per recipient, written with the broadcast in one transaction.
-- (No foreign key to the outbox: a rebuilt or pruned outbox must not be held up by it.)
CREATE TABLE broadcast_rows (
    outbox_id    INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id),
    user_id      INTEGER NOT NULL
);
CREATE INDEX broadcast_rows_of ON broadcast_rows (broadcast_id);

-- A grid's number for button data (its key is text of up to 32 characters; buttons carry
-- numbers). Given once and never reused: a button made before a change still names its grid.
CREATE TABLE grid_ids (
    id       INTEGER PRIMARY KEY,
    grid_key TEXT NOT NULL UNIQUE REFERENCES grids(key)
);
INSERT INTO grid_ids (grid_key) SELECT key FROM grids ORDER BY rowid;
