"""The live quiz's formulas: speed points, streaks, and the close, at their boundaries."""

from __future__ import annotations

import pytest

from quizboard.core.scoring import open_at, speed_points, streak_after, streak_bonus

LIMIT = 20_000  # a 20 s question


@pytest.mark.parametrize(
    ("elapsed", "points", "expected"),
    [
        (0, 1000, 1000),  # at once: full points
        (LIMIT, 1000, 500),  # at the close: half
        (LIMIT // 2, 1000, 750),
        (1, 1000, 1000),  # 999.975 rounds to 1000
        (LIMIT - 1, 1000, 500),  # 500.025
        (5_000, 100, 88),  # 87.5 rounds half up
        (15_000, 100, 63),  # 62.5 rounds half up
        (-5, 1000, 1000),  # a clock a hair behind: never more than full
        (LIMIT + 1, 1000, 500),  # never less than half for an accepted answer
        (7_000, 0, 0),
    ],
)
def test_speed_points(elapsed: int, points: int, expected: int) -> None:
    assert speed_points(points, elapsed, LIMIT) == expected


def test_the_formula_by_its_definition() -> None:
    for elapsed in range(0, LIMIT + 1, 37):
        exact = (1 - (elapsed / LIMIT) / 2) * 1000
        assert abs(speed_points(1000, elapsed, LIMIT) - exact) <= 0.5


def test_a_streak_grows_on_consecutive_right_answers_and_resets() -> None:
    streak, last = 0, None
    history = []
    for position, correct in [(1, True), (2, True), (3, True), (4, False), (5, True), (6, True)]:
        streak = streak_after(streak, last, position, correct)
        last = position if correct else last
        history.append(streak)
    assert history == [1, 2, 3, 0, 1, 2]


def test_a_missed_question_resets_the_streak() -> None:
    assert streak_after(3, last_correct=2, position=4, correct=True) == 1  # question 3 missed
    assert streak_after(3, last_correct=3, position=4, correct=True) == 4


@pytest.mark.parametrize(
    ("streak", "bonus"), [(0, 0), (1, 0), (2, 100), (3, 200), (6, 500), (7, 500), (50, 500)]
)
def test_the_streak_bonus_is_capped(streak: int, bonus: int) -> None:
    assert streak_bonus(streak) == bonus


def test_a_question_closes_at_closes_at_not_one_ms_later() -> None:
    assert open_at(1_000, 1_000, 21_000)
    assert open_at(21_000, 1_000, 21_000)
    assert not open_at(21_001, 1_000, 21_000)
    assert not open_at(999, 1_000, 21_000)
