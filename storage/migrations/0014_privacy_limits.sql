-- An admin lifted a person's limits on new requests and presses until `until` (who and when).
CREATE TABLE limit_lifts (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    until      TEXT NOT NULL,
    by_id      INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX limit_lifts_user ON limit_lifts (user_id, until);

-- A person who asked the bot to forget them (/forgetme): when, so their rows read "erased".
ALTER TABLE users ADD COLUMN erased_at TEXT;
