"""Quizzes from spreadsheets and back: Kahoot's template as XLSX and CSV, our layout of
every kind, and the export that imports again, on a real Valkey and PostgreSQL."""

from __future__ import annotations

import io
import random
from typing import Any

import httpx
import psycopg
from openpyxl import Workbook, load_workbook

from tests.support.quizzes import ADMIN_AUTH, KINDS, quiz_body
from tests.support.steps import count, join

KAHOOT_HEADER = [
    "", "Question - max 120 characters", "Answer 1 - max 75 characters",
    "Answer 2 - max 75 characters", "Answer 3 - max 75 characters",
    "Answer 4 - max 75 characters",
    "Time limit (sec) - 5, 10, 20, 30, 60, 90, 120, or 240 secs",
    "Correct answer(s) - choose at least one",
]  # fmt: skip


def kahoot_xlsx(questions: list[list[Any]]) -> bytes:
    """A workbook laid out as Kahoot's template: notes at the top, the header on row
    8, a numbered row per question from row 9, and empty numbered rows after."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Quiz template"])
    sheet.append(
        ["Add questions, at least two answer alternatives, time limit and choose correct answers"]
    )
    for _ in range(5):
        sheet.append([])
    sheet.append(KAHOOT_HEADER)
    for number, question in enumerate(questions, start=1):
        sheet.append([number, *question])
    for number in range(len(questions) + 1, len(questions) + 4):
        sheet.append([number])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def import_file(api: httpx.AsyncClient, data: bytes, **query: str) -> httpx.Response:
    return await api.post("/quizzes/import", content=data, params=query, headers=ADMIN_AUTH)


async def test_a_kahoot_spreadsheet_becomes_a_live_quiz(api: httpx.AsyncClient) -> None:
    data = kahoot_xlsx([
        ["What is 'cat' in French?", "chat", "chien", None, None, 20, 1],
        ["Which are colours?", "red", "table", "blue", None, 30, "1,3"],
        ["The sky is blue.", "True", "False", None, None, 10, 1],
        ["Pick the verb.", "quickly", None, "run", "blue", 240, 3],  # a blank answer 2
    ])  # fmt: skip
    reply = await import_file(api, data, title="French animals")
    assert reply.status_code == 201, reply.text
    quiz = reply.json()
    assert (quiz["title"], quiz["mode"]) == ("French animals", "live")
    assert "host_token" in quiz
    kinds = [(q["kind"], q.get("answer"), q.get("answers"), q["time_limit_s"], q["points"])
             for q in quiz["questions"]]  # fmt: skip
    assert kinds == [
        ("choice", 0, None, 20, 1000), ("multi", None, [0, 2], 30, 1000),
        ("true_false", 0, None, 10, 1000), ("choice", 1, None, 240, 1000),
    ]  # fmt: skip
    assert quiz["questions"][3]["choices"] == ["quickly", "run", "blue"]
    player = await join(api, quiz["id"], "Importer")
    assert player["token"]


async def test_every_bad_cell_is_named_and_nothing_is_created(
    api: httpx.AsyncClient, db: psycopg.AsyncConnection[Any]
) -> None:
    data = kahoot_xlsx([
        ["Fine", "a", "b", None, None, 20, 2],
        ["Wrong number", "a", "b", None, None, 20, 5],
        ["One answer", "a", None, None, None, 20, 1],
        ["Bad time", "a", "b", None, None, "soon", 1],
        ["No right answer", "a", "b", None, None, 20, None],
        ["Too quick", "a", "b", None, None, 2, 1],
    ])  # fmt: skip
    reply = await import_file(api, data)
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "invalid_import"
    message = error["message"]
    assert message.startswith("5 problems: ")
    for where in ("row 10, column H", "row 11, column C", "row 12, column G",
                  "row 13, column H", "row 14: "):  # fmt: skip
        assert where in message, message
    assert "row 9" not in message
    assert await count(db, "SELECT count(*) FROM quizzes") == 0


async def test_a_kahoot_csv_with_semicolons_imports_too(api: httpx.AsyncClient) -> None:
    lines = [";".join(KAHOOT_HEADER), "1;Capital of Viet Nam?;Ha Noi;Hue;;;60;1"]
    reply = await import_file(api, ("\n".join(lines) + "\n").encode("utf-8-sig"), mode="open")
    assert reply.status_code == 201, reply.text
    [question] = reply.json()["questions"]
    assert (question["kind"], question["choices"], question["time_limit_s"]) == (
        "choice", ["Ha Noi", "Hue"], None,  # an open quiz has no timers
    )  # fmt: skip


async def test_an_export_of_every_kind_imports_back_as_the_same_quiz(
    api: httpx.AsyncClient,
) -> None:
    body = {**quiz_body(), "mode": "live", "wrong_answer_penalty": 5,
            "questions": [{**q, "time_limit_s": 30} for q in KINDS]}  # fmt: skip
    body["questions"][2]["time_limit_s"] = None  # no timer: it survives the round trip
    created = (await api.post("/quizzes", json=body, headers=ADMIN_AUTH)).json()
    host = {"Authorization": f"Bearer {created['host_token']}"}
    as_json = await api.get(f"/quizzes/{created['id']}/export", headers=host)
    assert as_json.status_code == 200
    original = as_json.json()
    assert original["questions"][2]["time_limit_s"] is None
    again = await api.post("/quizzes", json=original, headers=ADMIN_AUTH)
    assert again.status_code == 201, again.text
    for fmt in ("xlsx", "csv"):
        exported = await api.get(f"/quizzes/{created['id']}/export?format={fmt}",
                                 headers=ADMIN_AUTH)  # fmt: skip
        assert exported.status_code == 200
        assert f'filename="quiz-{created["id"]}.{fmt}"' in exported.headers["content-disposition"]
        if fmt == "xlsx":
            sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
            assert [c.value for c in sheet[1]][:4] == ["kind", "prompt", "options", "answer"]
        imported = await import_file(api, exported.content, title=original["title"],
                                     wrong_answer_penalty="5")  # fmt: skip
        assert imported.status_code == 201, imported.text
        back = await api.get(f"/quizzes/{imported.json()['id']}/export", headers=ADMIN_AUTH)
        assert back.json()["questions"] == original["questions"], fmt
        assert back.json()["wrong_answer_penalty"] == 5


async def test_files_that_are_no_spreadsheet_get_a_clear_422(
    api: httpx.AsyncClient, db: psycopg.AsyncConnection[Any]
) -> None:
    for data in (b"PK\x03\x04 not really a zip", "caf\u00e9".encode("latin-1"), b"",
                 b"kind,prompt\nriddle,What?\n", b"a\x00b"):  # fmt: skip
        reply = await import_file(api, data)
        assert reply.status_code == 422, (data, reply.text)
        assert reply.json()["error"]["code"] in {"invalid_spreadsheet", "invalid_import"}
    reply = await import_file(api, kahoot_xlsx([["Q", "a", "b", None, None, 20, 1]]),
                              available_at="yesterday")  # fmt: skip
    assert (reply.status_code, reply.json()["error"]["code"]) == (422, "invalid_query")
    assert await count(db, "SELECT count(*) FROM quizzes") == 0


async def test_spreadsheets_cut_short_or_bit_flipped_never_make_a_5xx(
    api: httpx.AsyncClient, db: psycopg.AsyncConnection[Any]
) -> None:
    """A 201 creates exactly one quiz; anything else creates none."""
    rng = random.Random(23)
    xlsx = kahoot_xlsx([["Cat?", "chat", "chien", None, None, 20, 1]])
    text = (",".join(KAHOOT_HEADER) + "\n1,Cat?,chat,chien,,,20,1\n").encode()
    created = 0
    for data in (xlsx, text):
        variants = [data[:cut] for cut in range(0, len(data), max(1, len(data) // 30))]
        for _ in range(30):
            at = rng.randrange(len(data))
            variants.append(
                data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1 :]
            )
        for variant in variants:
            reply = await import_file(api, variant)
            assert reply.status_code in {201, 422}, (variant[:20], reply.text)
            created += reply.status_code == 201
    assert await count(db, "SELECT count(*) FROM quizzes") == created
