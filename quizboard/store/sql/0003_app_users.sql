-- The app's own users join with their JWT: player_id is then the token's sub, any
-- string (often a number), not only a uuid the server made.

ALTER TABLE user_quiz ALTER COLUMN player_id TYPE text USING player_id::text;
ALTER TABLE user_answer ALTER COLUMN player_id TYPE text USING player_id::text;
