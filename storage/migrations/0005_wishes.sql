-- Micro-wishes: the text the wish wall shows, wish kinds with their points, volunteers and the
-- service-points ledger (爱心储蓄存折).

-- What the wall shows of a wish: the resident's text until an admin edits it.
ALTER TABLE requests ADD COLUMN public_text TEXT;

-- Categories of any kind: deadlines are optional (a wish has none), points are what a fulfilled
-- request of the category earns its volunteer.
CREATE TABLE categories_v5 (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    key           TEXT NOT NULL,
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    claim_hours   REAL,
    resolve_hours REAL,
    points        INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,
    changed_by    INTEGER,
    changed_at    TEXT NOT NULL,
    UNIQUE (kind, key)
);
INSERT INTO categories_v5 (id, kind, key, name_zh, name_en, claim_hours, resolve_hours, active,
                           changed_by, changed_at)
    SELECT id, kind, key, name_zh, name_en, claim_hours, resolve_hours, active, changed_by,
           changed_at FROM categories;
DROP TABLE categories;
ALTER TABLE categories_v5 RENAME TO categories;

-- Volunteers (the role is in roles): who they are, and their application.
CREATE TABLE volunteers (
    user_id     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    applied_at  TEXT NOT NULL,
    decided_by  INTEGER,
    decided_at  TEXT
);

-- Every change of a volunteer's points is a row: earned for a wish (once per wish), awarded for
-- service offline, redeemed. The balance is the sum; nothing is ever edited.
CREATE TABLE points (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    delta      INTEGER NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN ('wish', 'award', 'redeem')),
    request_id INTEGER REFERENCES requests(id),
    note       TEXT,
    by_id      INTEGER,
    at         TEXT NOT NULL
);
CREATE INDEX points_user ON points (user_id, id);
CREATE UNIQUE INDEX points_once_per_wish ON points (request_id) WHERE reason = 'wish';
