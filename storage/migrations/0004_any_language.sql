-- A person's language is any the bot has a catalog for (bot/locales/<code>.po), not a fixed
-- pair: the users table is rebuilt without its CHECK on lang. Nothing refers to it by key.
CREATE TABLE users_v4 (
    user_id       INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    lang          TEXT NOT NULL,
    building      TEXT,
    unit          TEXT,
    phone         TEXT,
    registered_at TEXT,
    created_at    TEXT NOT NULL
);
INSERT INTO users_v4 (user_id, name, lang, building, unit, phone, registered_at, created_at)
    SELECT user_id, name, lang, building, unit, phone, registered_at, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_v4 RENAME TO users;
