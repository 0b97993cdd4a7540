"""Content negotiation: for POST /simulate the `Accept` header picks JSON, CSV, SVG or PNG; POST /sweep answers
JSON only, and says so (406) to an Accept header that rules it out.

Media ranges are matched the usual way (RFC 9110 §12.5.1): the most specific range that matches an offer
gives its quality; the offer with the highest quality wins, ties going to the order of `OFFERS`. A missing
header, or `*/*`, means JSON. Figures need matplotlib (the `figures` extra); without it the image types are
not offered, and asking for one only is a 406 that says how to install it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from .. import figures
from .errors import shown

JSON = "application/json"
CSV = "text/csv"
SVG = "image/svg+xml"
PNG = "image/png"
OFFERS = (JSON, CSV, SVG, PNG)
IMAGES = (SVG, PNG)


def parse_accept(header: str) -> list[tuple[str, str, float]]:
    """`text/csv;q=0.5, image/*` -> [("text", "csv", 0.5), ("image", "*", 1.0)]; malformed parts are skipped."""
    ranges = []
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.count("/") != 1:
            continue
        kind, sub = (s.lower() for s in media.split("/"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    quality = 0.0
        ranges.append((kind, sub, quality))
    return ranges


def quality(offer: str, ranges: list[tuple[str, str, float]]) -> float:
    """The quality the client gives `offer`: from its most specific matching range, 0 if none matches."""
    kind, sub = offer.split("/")
    best, specificity = 0.0, -1
    for r_kind, r_sub, q in ranges:
        if (r_kind, r_sub) == (kind, sub):
            rank = 2
        elif (r_kind, r_sub) == (kind, "*"):
            rank = 1
        elif (r_kind, r_sub) == ("*", "*"):
            rank = 0
        else:
            continue
        if rank > specificity:
            best, specificity = q, rank
    return best


def negotiate(accept: str | None, can_draw: bool) -> str:
    """The media type to answer with, or a 406 naming the supported ones."""
    if not accept or not accept.strip():
        return JSON
    ranges = parse_accept(accept)
    offers = OFFERS if can_draw else tuple(o for o in OFFERS if o not in IMAGES)
    scored = [(quality(o, ranges), -i, o) for i, o in enumerate(offers)]
    q, _, chosen = max(scored)
    if q > 0:
        return chosen
    if not can_draw and any(quality(image, ranges) > 0 for image in IMAGES):
        raise HTTPException(
            406,
            f"Figures ({', '.join(IMAGES)}) need matplotlib, which this server lacks: install the `figures` extra "
            f"(pip install 'optiscope[figures]'). Available here: {', '.join(offers)}.",
        )
    raise HTTPException(
        406, f"Cannot answer with {shown(accept, 200)}. POST /simulate answers (Accept header): {', '.join(offers)}."
    )


async def accepted_media(request: Request) -> str:
    # The request alone (not a Header parameter): POST /simulate is a LeanRoute (api/lean.py).
    return negotiate(request.headers.get("accept"), figures.available())


Media = Annotated[str, Depends(accepted_media)]


# The 406 of a route that answers JSON only, as the OpenAPI document declares it.
NOT_ACCEPTABLE = {
    406: {
        "description": "The Accept header rules out application/json, the only type this route answers.",
        "content": {JSON: {"schema": {"type": "object", "properties": {"detail": {"type": "string"}}}}},
    }
}


async def json_only(request: Request) -> None:
    """For routes that answer JSON only (POST /sweep, POST /schedules/simulate): a 406 when the Accept header
    rules JSON out."""
    accept = request.headers.get("accept")
    if accept and accept.strip() and quality(JSON, parse_accept(accept)) == 0:
        raise HTTPException(
            406,
            f"Cannot answer with {shown(accept, 200)}. {request.method} {request.url.path[:200]} answers {JSON} only.",
        )
