"""Pictures and sounds: uploaded by their bytes, stored in PostgreSQL by their SHA-256,
served with an immutable cache, and named by quizzes, on a real Valkey and PostgreSQL."""

from __future__ import annotations

import hashlib
import random
from typing import Any

import httpx
import psycopg
import pytest

from tests.support.media import GIF, JPEG_HEAD, M4A, MP3, OGG, WEBP, png, wav
from tests.support.quizzes import ADMIN_AUTH, quiz_body
from tests.support.steps import count, create_quiz, join

FILES = [
    (png(), "image/png"), (JPEG_HEAD, "image/jpeg"), (WEBP, "image/webp"), (GIF, "image/gif"),
    (MP3, "audio/mpeg"), (OGG, "audio/ogg"), (wav(), "audio/wav"), (M4A, "audio/mp4"),
]  # fmt: skip


async def upload(api: httpx.AsyncClient, data: bytes, **headers: str) -> httpx.Response:
    return await api.post("/media", content=data, headers={**ADMIN_AUTH, **headers})


@pytest.mark.parametrize(("data", "content_type"), FILES)
async def test_each_kind_is_uploaded_once_and_served_with_an_immutable_cache(
    api: httpx.AsyncClient, data: bytes, content_type: str
) -> None:
    first = await upload(api, data, **{"content-type": "application/octet-stream"})
    assert first.status_code == 201, first.text
    media_id = hashlib.sha256(data).hexdigest()
    assert first.json() == {"id": media_id, "content_type": content_type, "size": len(data)}
    assert first.headers["location"] == f"/media/{media_id}"
    again = await upload(api, data)
    assert (again.status_code, again.json()["id"]) == (200, media_id)  # a re-upload is free

    served = await api.get(f"/media/{media_id}")
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == content_type
    assert served.headers["etag"] == f'"{media_id}"'
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    cached = await api.get(f"/media/{media_id}", headers={"If-None-Match": f'"{media_id}"'})
    assert (cached.status_code, cached.content) == (304, b"")
    assert cached.headers["etag"] == f'"{media_id}"'


@pytest.mark.parametrize(
    ("data", "claimed"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "image/png"),
        (b"hello, this is text", "image/jpeg"),
        (png()[:20], "image/png"),  # a PNG cut before its header ends
        (b"RIFF\x00\x00\x00\x00WAVE", "audio/wav"),  # a WAV with no format chunk
        (b"\x00" * 64, "audio/mpeg"),
        (b"", "image/png"),
    ],
)
async def test_a_file_is_judged_by_its_bytes_not_its_label(
    api: httpx.AsyncClient, db: psycopg.AsyncConnection[Any], data: bytes, claimed: str
) -> None:
    reply = await upload(api, data, **{"content-type": claimed})
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["code"] in {"unsupported_media", "invalid_media"}
    assert await count(db, "SELECT count(*) FROM media") == 0


async def test_a_file_over_the_limit_is_refused_with_413(
    api: httpx.AsyncClient, db: psycopg.AsyncConnection[Any]
) -> None:
    big = png() + b"\x00" * (2 * 1024 * 1024)
    assert (await upload(api, big)).status_code == 413
    assert await count(db, "SELECT count(*) FROM media") == 0


async def test_who_may_upload_and_what_is_not_there(api: httpx.AsyncClient) -> None:
    quiz = await create_quiz(api)
    player = await join(api, quiz["id"], "Ann")
    host = {"Authorization": f"Bearer {quiz['host_token']}"}
    as_host = await api.post(f"/quizzes/{quiz['id']}/media", content=GIF, headers=host)
    assert as_host.status_code == 201
    for headers in ({}, {"Authorization": f"Bearer {player['token']}"}, host):
        assert (await api.post("/media", content=GIF, headers=headers)).status_code in {401, 403}
    player_auth = {"Authorization": f"Bearer {player['token']}"}
    refused = await api.post(f"/quizzes/{quiz['id']}/media", content=GIF, headers=player_auth)
    assert refused.status_code in {401, 403}
    for missing in ("0" * 64, "not-an-id", "A" * 64):
        reply = await api.get(f"/media/{missing}")
        assert (reply.status_code, reply.json()["error"]["code"]) == (404, "media_not_found")


async def test_a_quiz_shows_its_pictures_and_sounds_and_refuses_unknown_ones(
    api: httpx.AsyncClient, db: psycopg.AsyncConnection[Any]
) -> None:
    picture = (await upload(api, png())).json()["id"]
    sound = (await upload(api, wav())).json()["id"]
    question = {
        "kind": "choice", "prompt": "Which one is red?", "points": 10, "answer": 0,
        "image": picture, "audio": sound,
        "choices": [{"text": "this", "image": picture}, {"text": "that", "audio": sound}, "none"],
    }  # fmt: skip
    body = {**quiz_body(opens_in=3600), "questions": [question]}  # editable till it opens
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    shown = (await api.get(f"/quizzes/{created.json()['id']}", headers=ADMIN_AUTH)).json()
    shown = shown["questions"][0]
    assert (shown["image"], shown["audio"]) == (picture, sound)
    assert shown["choices"] == ["this", "that", "none"]
    assert shown["choice_media"] == [{"image": picture}, {"audio": sound}, None]

    unknown = "f" * 64
    bad = {**question, "choices": ["a", {"text": "b", "audio": unknown}]}
    refused = await api.post("/quizzes", json={**quiz_body(), "questions": [question, bad]},
                             headers=ADMIN_AUTH)  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "unknown_media"
    assert f"question 2: choices[1].audio {unknown}" in refused.json()["error"]["message"]
    assert await count(db, "SELECT count(*) FROM quizzes") == 1  # nothing half-created

    edited = await api.patch(f"/quizzes/{created.json()['id']}",
                             json={"title": "Colours again"}, headers=ADMIN_AUTH)  # fmt: skip
    assert edited.status_code == 200, edited.text  # the stored media went round unchanged
    assert edited.json()["questions"][0]["choice_media"] == shown["choice_media"]


async def test_truncated_flipped_and_mislabelled_files_never_make_a_5xx(
    api: httpx.AsyncClient, db: psycopg.AsyncConnection[Any]
) -> None:
    """Every file cut short at many places, with bits flipped, under every label: a 2xx
    stores exactly the bytes sent, anything else stores nothing."""
    rng = random.Random(21)
    accepted = set()
    for data, _ in FILES:
        cuts = sorted({*range(0, len(data), max(1, len(data) // 12)), len(data) - 1})
        variants = [data[:cut] for cut in cuts]
        for _ in range(8):
            at = rng.randrange(len(data))
            variants.append(
                data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1 :]
            )
        for variant in variants:
            label = rng.choice(["image/png", "audio/mpeg", "text/plain", "application/json"])
            reply = await upload(api, variant, **{"content-type": label})
            assert reply.status_code in {200, 201, 422}, (variant[:16], reply.text)
            if reply.status_code < 300:
                assert reply.json()["id"] == hashlib.sha256(variant).hexdigest()
                assert (await api.get(f"/media/{reply.json()['id']}")).content == variant
                accepted.add(reply.json()["id"])
            else:
                assert set(reply.json()) == {"error"}
    assert await count(db, "SELECT count(*) FROM media") == len(accepted)
