-- The host's control of a room: whether a live quiz takes players after its first
-- question, and the players the host removed (their answers stay, marked by this row).

ALTER TABLE quizzes ADD COLUMN late_join boolean NOT NULL DEFAULT true;

CREATE TABLE removed_players (
    quiz_id    bigint      NOT NULL REFERENCES quizzes (id) ON DELETE CASCADE,
    player_id  text        NOT NULL,
    reason     text        NOT NULL CHECK (reason IN ('kick', 'ban')),
    removed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (quiz_id, player_id)
);
