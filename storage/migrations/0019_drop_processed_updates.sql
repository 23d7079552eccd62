-- The handled-update ids live in the inbox (0013): processed_updates has not been written since.
DROP TABLE IF EXISTS processed_updates;
