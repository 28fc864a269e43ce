-- A live quiz may show its board only between questions: the players' pages hide it
-- while a question is open.

ALTER TABLE quizzes ADD COLUMN board_between_questions boolean NOT NULL DEFAULT false;
