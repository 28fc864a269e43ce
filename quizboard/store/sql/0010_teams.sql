-- Teams: a quiz's teams (their names, in order) and how they are ranked; each
-- player's team (its index), recorded with its join.

ALTER TABLE quizzes
    ADD COLUMN teams      jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN team_score text  NOT NULL DEFAULT 'mean' CHECK (team_score IN ('mean', 'total'));
ALTER TABLE user_quiz ADD COLUMN team integer;
