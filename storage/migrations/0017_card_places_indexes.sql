-- Where a request's cards live, kept with the card rather than read from the outbox's history
-- (whose sent rows are pruned). One row per outbox card row that was queued and did not fail;
-- triggers keep it in step with the outbox in the same statement, so no caller has to.
CREATE TABLE card_places (
    outbox_id  INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL,
    chat_id    INTEGER NOT NULL
);
CREATE INDEX card_places_request ON card_places (request_id, outbox_id);
CREATE INDEX card_places_chat ON card_places (chat_id);

INSERT INTO card_places (outbox_id, request_id, chat_id)
SELECT id, request_id, chat_id FROM outbox
WHERE kind = 'card' AND request_id IS NOT NULL AND status != 'failed';

CREATE TRIGGER card_places_queued AFTER INSERT ON outbox
WHEN NEW.kind = 'card' AND NEW.request_id IS NOT NULL AND NEW.status != 'failed'
BEGIN
    INSERT OR IGNORE INTO card_places (outbox_id, request_id, chat_id)
    VALUES (NEW.id, NEW.request_id, NEW.chat_id);
END;

CREATE TRIGGER card_places_failed AFTER UPDATE OF status ON outbox
WHEN NEW.kind = 'card' AND NEW.status = 'failed'
BEGIN
    DELETE FROM card_places WHERE outbox_id = NEW.id;
END;

CREATE TRIGGER card_places_migrated AFTER UPDATE OF chat_id ON outbox
WHEN NEW.kind = 'card' AND NEW.chat_id != OLD.chat_id
BEGIN
    UPDATE card_places SET chat_id = NEW.chat_id WHERE outbox_id = NEW.id;
END;

-- The delivery loop's "oldest pending row of each chat" reads only pending rows.
CREATE INDEX outbox_pending ON outbox (chat_id, id) WHERE status = 'pending';
-- Pruning sent rows by age.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE status = 'sent';
-- A press on a card finds its request by the card's message.
CREATE INDEX cards_message ON cards (chat_id, message_id);
-- A resident's /my: the requests they follow.
CREATE INDEX followers_user ON followers (user_id, request_id);
-- Figures and the echo wall: events of a kind in a period.
CREATE INDEX events_action_at ON events (action, at);
-- The ledger's points of a period.
CREATE INDEX points_at ON points (at);
