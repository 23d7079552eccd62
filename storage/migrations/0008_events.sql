-- Community events (the free haircut on the 16th): series, who does not want reminders,
-- sign-ups per occurrence, cancelled occurrences and the reminders sent.
CREATE TABLE event_series (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    place       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- "monthly:16" (the last day of a shorter month), "weekly:5" (1 Monday … 7 Sunday),
    -- "once:2026-12-01"
    rule        TEXT NOT NULL,
    at_time     TEXT NOT NULL,
    -- "all", "grid:A" or "building:3"
    audience    TEXT NOT NULL DEFAULT 'all',
    capacity    INTEGER,
    active      INTEGER NOT NULL DEFAULT 1,
    changed_by  INTEGER,
    changed_at  TEXT NOT NULL
);

CREATE TABLE event_muted (
    series_id INTEGER NOT NULL REFERENCES event_series(id),
    user_id   INTEGER NOT NULL,
    PRIMARY KEY (series_id, user_id)
);

CREATE TABLE event_signups (
    series_id INTEGER NOT NULL REFERENCES event_series(id),
    day       TEXT NOT NULL,
    user_id   INTEGER NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (series_id, day, user_id)
);

CREATE TABLE event_cancelled (
    series_id INTEGER NOT NULL REFERENCES event_series(id),
    day       TEXT NOT NULL,
    by_id     INTEGER,
    at        TEXT NOT NULL,
    PRIMARY KEY (series_id, day)
);

CREATE TABLE event_reminders (
    series_id INTEGER NOT NULL REFERENCES event_series(id),
    day       TEXT NOT NULL,
    step      TEXT NOT NULL,
    at        TEXT NOT NULL,
    skipped   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (series_id, day, step)
);
