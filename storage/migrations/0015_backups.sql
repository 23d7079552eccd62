-- The daily backups of the database: each attempt, taken or failed, for /health and the
-- schedule (one copy a day, a missed one taken at the next start).

CREATE TABLE backups (
    id        INTEGER PRIMARY KEY,
    day       TEXT NOT NULL,     -- the local date the copy is for (YYYY-MM-DD)
    taken_at  TEXT NOT NULL,     -- when the attempt ended (UTC)
    file      TEXT NOT NULL,     -- the copy's path, as written
    size      INTEGER,           -- bytes, NULL when it failed
    ok        INTEGER NOT NULL,  -- 1 taken, 0 failed
    error     TEXT               -- why it failed
);
CREATE INDEX backups_by_day ON backups (day, ok);
