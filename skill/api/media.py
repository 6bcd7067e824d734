"""``GET /media/{track_id}?exp=&sig=``: the embedded demo's audio, behind signed URLs.

Only URLs the app signed play (403 otherwise, and after they expire). The bytes are the
demo tune of ``playback.demo_audio``; single byte ranges are served (206) because players
seek and resume with them.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Header, Query
from fastapi import Path as PathParam
from fastapi.responses import Response

from playback.demo_audio import AudioUnavailable, track_mp3
from playback.url_signing import UrlSigner
from skill.api.problems import ApiProblem

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def media_router(signer: UrlSigner) -> APIRouter:
    router = APIRouter()

    @router.api_route("/media/{track_id}", methods=["GET", "HEAD"], include_in_schema=False)
    def media(
        track_id: Annotated[str, PathParam(min_length=1, max_length=256)],
        exp: Annotated[int, Query()],
        sig: Annotated[str, Query(max_length=128)],
        range_header: Annotated[str | None, Header(alias="range", max_length=64)] = None,
    ) -> Response:
        if not signer.verify(track_id, exp, sig):
            raise ApiProblem(403, "Invalid or expired media URL")
        try:
            audio = track_mp3(track_id)
        except AudioUnavailable as exc:
            raise ApiProblem(503, "Demo audio unavailable", str(exc)) from exc
        headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600"}
        if range_header is None:
            return Response(audio, media_type="audio/mpeg", headers=headers)
        start, end = _byte_range(range_header, len(audio))
        headers["Content-Range"] = f"bytes {start}-{end}/{len(audio)}"
        return Response(audio[start : end + 1], 206, headers=headers, media_type="audio/mpeg")

    return router


def _byte_range(header: str, size: int) -> tuple[int, int]:
    """(first, last) byte of a single ``bytes=`` range; 416 when it is not satisfiable."""
    match = _RANGE.fullmatch(header.strip())
    if match is None or match.group(1) == match.group(2) == "":
        raise ApiProblem(416, "Range not satisfiable", headers={"Content-Range": f"bytes */{size}"})
    first, last = match.group(1), match.group(2)
    if first == "":  # the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(size - 1, int(last)) if last else size - 1
    if start > end or start >= size:
        raise ApiProblem(416, "Range not satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return start, end
