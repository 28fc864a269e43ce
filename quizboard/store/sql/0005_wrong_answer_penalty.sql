-- What a wrong answer costs, per quiz (0: nothing, as before).

ALTER TABLE quizzes
    ADD COLUMN wrong_answer_penalty integer NOT NULL DEFAULT 0
        CHECK (wrong_answer_penalty >= 0);
