-- Names fit for a classroom: a quiz may hand out made-up names, in its language.

ALTER TABLE quizzes
    ADD COLUMN names    text NOT NULL DEFAULT 'chosen' CHECK (names IN ('chosen', 'generated')),
    ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'vi'));
