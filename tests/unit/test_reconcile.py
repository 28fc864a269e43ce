from __future__ import annotations

from quizboard.ops.reconcile import QuizState, differences, in_flight, unapplied_from
from quizboard.store.stream_state import GroupStatus


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


def test_an_answer_some_group_has_not_applied_yet_is_in_flight_not_a_difference() -> None:
    state = agreeing()
    state.accepted[("c", 1)] = "5-0"  # accepted, not yet stored nor on the board
    state.answers_from = (5, 0)
    assert differences(state) == []
    assert in_flight(state) == ({("c", 1)}, {"c"})


def test_an_answer_before_the_oldest_unapplied_entry_is_checked() -> None:
    state = agreeing()
    del state.rows[("b", 1)]
    state.board["b"] = 0
    state.answers_from = (4, 0)  # b's answer, 3-0, is behind every group
    assert differences(state) == ["1 accepted answers have no user_answer row: b:1"]


def test_joins_on_their_way_leave_the_join_checks_for_later() -> None:
    state = agreeing()
    state.players["d"] = "Di"  # stored in user_quiz, not yet on the board
    state.board["e"] = 0  # on the board, not yet in user_quiz
    state.joins_queued = True
    assert differences(state) == []
    state.joins_queued = False
    assert len(differences(state)) == 2


def status(name: str, last: str, lag: int, pending: str | None = None) -> GroupStatus:
    return GroupStatus(name, last, lag, int(pending is not None), pending, 0.0)


def test_the_oldest_entry_some_group_may_still_apply() -> None:
    assert unapplied_from([status("a", "9-0", 0), status("b", "9-0", 0)]) is None
    assert unapplied_from([status("a", "9-0", 0), status("b", "7-3", 2)]) == (7, 4)
    assert unapplied_from([status("a", "9-0", 0, pending="6-1"), status("b", "7-3", 2)]) == (6, 1)
