from __future__ import annotations

from quizboard.ops.reconcile import QuizState, differences


def agreeing() -> QuizState:
    return QuizState(
        quiz_id=1,
        accepted={("a", 1): "1-0", ("a", 2): "2-0", ("b", 1): "3-0"},
        rows={("a", 1): 100, ("a", 2): 0, ("b", 1): 150},
        players={"a": "Ann", "b": "Bo", "c": "Cy"},
        board={"a": 100, "b": 150, "c": 0},
    )


def test_agreeing_stores_have_no_difference() -> None:
    assert differences(agreeing()) == []


def test_a_lost_row_is_named() -> None:
    state = agreeing()
    del state.rows[("b", 1)]
    found = differences(state)
    assert any("1 accepted answers have no user_answer row: b:1" in line for line in found)
    assert any("scores differ" in line and "b (board 150, user_answer 0)" in line
               for line in found)  # fmt: skip


def test_a_double_count_on_the_board_is_named() -> None:
    state = agreeing()
    state.board["a"] = 200
    assert differences(state) == [
        "1 players' scores differ from user_answer: a (board 200, user_answer 100)"
    ]


def test_players_missing_from_the_board_or_from_user_quiz() -> None:
    state = agreeing()
    del state.board["c"]
    del state.players["b"]
    found = differences(state)
    assert any("c (board absent, user_answer 0)" in line for line in found)
    assert any("answered but have no user_quiz row: b" in line for line in found)


def test_a_row_that_nobody_accepted() -> None:
    state = agreeing()
    state.rows[("z", 9)] = 0
    state.board["z"] = 0
    state.players["z"] = "Zed"
    assert differences(state) == ["1 user_answer rows match no accepted answer: z:9"]
