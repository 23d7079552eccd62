-- Staff tools: invite links that grant a role to whoever opens and accepts them.
-- A code is the deep-link payload (t.me/<bot>?start=<code>); buttons carry the invite's id.
CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    grid_key    TEXT NOT NULL DEFAULT '',
    -- NULL: any number of people may use it; 1: single use
    max_uses    INTEGER,
    uses        INTEGER NOT NULL DEFAULT 0,
    created_by  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_by  INTEGER,
    revoked_at  TEXT
);

-- Who opened an invite (and so may press its Accept button), and when they accepted it.
CREATE TABLE invite_opens (
    invite_id   INTEGER NOT NULL REFERENCES invites(id),
    user_id     INTEGER NOT NULL,
    opened_at   TEXT NOT NULL,
    accepted_at TEXT,
    PRIMARY KEY (invite_id, user_id)
);
