-- A worker's question to the resident pauses the request's resolve clock until the answer.
ALTER TABLE requests ADD COLUMN paused_at TEXT;
