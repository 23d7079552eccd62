-- The directory in the database: grids, buildings, categories, people's roles and the chats
-- the bot posts to. Filled from the config file and kept in step with it by a logged sync;
-- staff tools change it at runtime. Every row says who changed it last and when, and every
-- change is also written to directory_log.

CREATE TABLE grids (
    key           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    group_chat_id INTEGER,
    active        INTEGER NOT NULL DEFAULT 1,
    changed_by    INTEGER,
    changed_at    TEXT NOT NULL
);

-- Buttons carry a building's id, which never changes or moves to another building.
CREATE TABLE buildings (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    grid_key   TEXT NOT NULL REFERENCES grids(key),
    active     INTEGER NOT NULL DEFAULT 1,
    changed_by INTEGER,
    changed_at TEXT NOT NULL
);

CREATE TABLE categories (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    key           TEXT NOT NULL,
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    claim_hours   REAL NOT NULL,
    resolve_hours REAL NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    changed_by    INTEGER,
    changed_at    TEXT NOT NULL,
    UNIQUE (kind, key)
);

-- A person's roles: admin (grid_key ''), worker of a grid, and (next) volunteer. `source` says
-- where the role came from: the config file's sync removes only what it added.
CREATE TABLE roles (
    user_id    INTEGER NOT NULL,
    role       TEXT NOT NULL,
    grid_key   TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL,
    granted_by INTEGER,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, role, grid_key)
);
CREATE INDEX roles_grid ON roles (role, grid_key);

-- The chats with a purpose of their own: 'admin' (and next the wish wall, the echo wall).
CREATE TABLE chats (
    purpose    TEXT PRIMARY KEY,
    chat_id    INTEGER NOT NULL,
    changed_by INTEGER,
    changed_at TEXT NOT NULL
);

CREATE TABLE directory_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor_id INTEGER,
    source   TEXT NOT NULL,
    change   TEXT NOT NULL
);

-- The directory of the config file as last applied: the sync applies what the file changed
-- since, so a change made at runtime stands until the file changes that same thing.
CREATE TABLE config_applied (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    snapshot TEXT NOT NULL,
    at       TEXT NOT NULL
);

-- Request kinds are defined in code (each with its policy), not by a fixed list here.
CREATE TABLE requests_v3 (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
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
INSERT INTO requests_v3 SELECT id, kind, seq, category, description, building, unit, photos,
    reporter_id, filed_by, grid_id, status, assignee_id, assignee_name, claim_due_at,
    resolve_due_at, rating, duplicate_of, created_at, updated_at FROM requests;
DROP TABLE requests;
ALTER TABLE requests_v3 RENAME TO requests;
CREATE INDEX requests_reporter ON requests (reporter_id);
CREATE INDEX requests_open ON requests (kind, building, category, status);
CREATE INDEX requests_assignee ON requests (assignee_id, status);
-- A grid's queue, oldest first, without reading every request.
CREATE INDEX requests_grid ON requests (grid_id, status, id);
