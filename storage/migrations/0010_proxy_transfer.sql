-- Staff tools: requests filed on behalf of a resident without Telegram (代办), and requests
-- moved to another grid or worker.

-- A resident without a Telegram account, as the worker who filed for them typed it. A request
-- filed for them names them in resident_id; its reporter_id and filed_by are the worker, who
-- receives the updates (marked "for <name>") and enters the resident's rating.
CREATE TABLE offline_residents (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    phone      TEXT,
    building   TEXT NOT NULL,
    unit       TEXT NOT NULL,
    added_by   INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX offline_residents_who ON offline_residents (name, phone, building, unit);
ALTER TABLE requests ADD COLUMN resident_id INTEGER REFERENCES offline_residents(id);

-- Who a request is for, whoever filed it: the KPIs and the ledger count residents from here.
-- resident_key is 'u<telegram id>' or 'o<offline resident id>'.
CREATE VIEW request_residents AS
SELECT r.id AS request_id,
       CASE WHEN o.id IS NULL THEN 'u' || r.reporter_id ELSE 'o' || o.id END AS resident_key,
       COALESCE(o.name, u.name) AS name,
       CASE WHEN o.id IS NULL THEN u.phone ELSE o.phone END AS phone,
       COALESCE(o.building, u.building) AS building,
       COALESCE(o.unit, r.unit) AS unit,
       r.filed_by AS filed_by,
       o.id IS NOT NULL AS proxied
FROM requests r
LEFT JOIN offline_residents o ON o.id = r.resident_id
LEFT JOIN users u ON u.user_id = r.reporter_id;

-- A card a request left behind when it moved to another grid: the outbox's card rows up to
-- outbox_id for that chat no longer count as the request's card there (a later card does).
CREATE TABLE moved_cards (
    request_id INTEGER NOT NULL REFERENCES requests(id),
    chat_id    INTEGER NOT NULL,
    outbox_id  INTEGER NOT NULL,
    PRIMARY KEY (request_id, chat_id, outbox_id)
);

-- What an event is about beyond its note: where a transfer sent the request.
ALTER TABLE events ADD COLUMN detail TEXT;
