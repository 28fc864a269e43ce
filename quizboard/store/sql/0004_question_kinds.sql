-- More kinds of question. What only some kinds have (the right choices of a multi,
-- the items of an order, the pairs of a match, a text's comparison options, partial
-- scoring) is kept in one jsonb column, read back into the question as it was.

ALTER TABLE questions DROP CONSTRAINT questions_kind_check;
ALTER TABLE questions
    ADD CONSTRAINT questions_kind_check
        CHECK (kind IN ('choice', 'true_false', 'multi', 'text', 'order', 'match', 'poll')),
    ADD COLUMN spec        jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN explanation text;
