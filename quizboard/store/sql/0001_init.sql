-- The quizzes, their questions, and the two event tables the workers fill.
-- The event tables have natural primary keys, so a redelivered event is a no-op.

CREATE TABLE quizzes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title        text        NOT NULL,
    available_at timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    partition    integer     NOT NULL CHECK (partition >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > available_at)
);

CREATE TABLE questions (
    quiz_id  bigint  NOT NULL REFERENCES quizzes (id) ON DELETE CASCADE,
    id       bigint  GENERATED ALWAYS AS IDENTITY,
    position integer NOT NULL,
    kind     text    NOT NULL CHECK (kind IN ('choice', 'text')),
    prompt   text    NOT NULL,
    choices  jsonb,
    accepted jsonb,
    answer   integer,
    points   integer NOT NULL CHECK (points >= 0),
    PRIMARY KEY (quiz_id, id),
    UNIQUE (quiz_id, position)
);

-- No foreign keys on the event tables: their consumer groups run independently,
-- and `quizboard reconcile` checks the relations instead.
CREATE TABLE user_quiz (
    quiz_id      bigint      NOT NULL,
    player_id    uuid        NOT NULL,
    display_name text        NOT NULL,
    joined_at    timestamptz NOT NULL,
    PRIMARY KEY (quiz_id, player_id)
);

CREATE TABLE user_answer (
    quiz_id     bigint      NOT NULL,
    player_id   uuid        NOT NULL,
    question_id bigint      NOT NULL,
    answer      text        NOT NULL,
    correct     boolean     NOT NULL,
    points      integer     NOT NULL,
    answered_at timestamptz NOT NULL,
    event_id    text        NOT NULL,
    PRIMARY KEY (quiz_id, player_id, question_id)
);
