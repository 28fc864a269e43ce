-- Live quizzes: a host opens the questions one by one, each for its time limit.
-- The live state itself is kept in Redis (one clock, atomic with the answers);
-- these columns record it for operators and exports.

ALTER TABLE quizzes
    ADD COLUMN mode        text NOT NULL DEFAULT 'open' CHECK (mode IN ('open', 'live')),
    ADD COLUMN phase       text CHECK (phase IN ('lobby', 'question', 'results', 'finished')),
    ADD COLUMN finished_at timestamptz;

ALTER TABLE questions
    ADD COLUMN time_limit_s integer CHECK (time_limit_s BETWEEN 5 AND 300),
    ADD COLUMN opened_at    timestamptz,
    ADD COLUMN closed_at    timestamptz;
