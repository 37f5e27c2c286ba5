"""Build the dashboard's world outline (chalicelib/static/world.svg). Dev-only.

Input: ``countries-110m.json`` from the npm package ``world-atlas`` (v2): Natural
Earth's 1:110m Admin 0 boundaries (public domain) as TopoJSON, keyed by ISO
3166-1 numeric codes. Get it with ``npm pack world-atlas@2`` and unpack it.

    python -m tools.world_map path/to/package/countries-110m.json

Output: one SVG path per country in the Equal Earth projection, tagged with
its ISO alpha-2 code (``data-cc``) so the dashboard can colour it. Antarctica
is left out (nobody signs from there and it takes a fifth of the height).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pycountry

OUT = Path(__file__).resolve().parent.parent / "chalicelib" / "static" / "world.svg"
WIDTH = 1000.0
LEAVE_OUT = {"010"}  # Antarctica

# Equal Earth (Šavrič, Patterson, Jenny 2018).
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(theta) / (3 * (9 * A4 * t6 * t2 + 7 * A3 * t6 + 3 * A2 * t2 + A1))
    y = theta * (A1 + A2 * t2 + A3 * t6 + A4 * t6 * t2)
    return x, -y


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Quantized, delta-encoded arcs -> lists of (lon, lat)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def unwrap(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Longitudes made continuous: a ring that crosses the antimeridian runs past 180 instead of jumping."""
    out = [points[0]]
    for lon, lat in points[1:]:
        previous = out[-1][0]
        while lon - previous > 180:
            lon -= 360
        while lon - previous < -180:
            lon += 360
        out.append((lon, lat))
    return out


def clip(points: list[tuple[float, float]], edge: float, keep_below: bool) -> list[tuple[float, float]]:
    """Sutherland-Hodgman against the meridian ``edge``: the part of a ring on one side of it."""
    inside = (lambda lon: lon <= edge) if keep_below else (lambda lon: lon >= edge)
    out = []
    for i, q in enumerate(points):
        p = points[i - 1]
        if inside(q[0]) != inside(p[0]):
            t = (edge - p[0]) / (q[0] - p[0])
            out.append((edge, p[1] + t * (q[1] - p[1])))
        if inside(q[0]):
            out.append(q)
    return out


def split_at_antimeridian(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """A ring as drawable pieces within [-180, 180] (Fiji and Chukotka cross the line)."""
    points = unwrap(points)
    low, high = min(p[0] for p in points), max(p[0] for p in points)
    if low >= -180 and high <= 180:
        return [points]
    shift = 360 if high > 180 else -360
    beyond = clip(points, 180, False) if shift > 0 else clip(points, -180, True)
    pieces = [clip(points, 180, True) if shift > 0 else clip(points, -180, False),
              [(lon - shift, lat) for lon, lat in beyond]]
    return [piece for piece in pieces if len(piece) >= 3]


def polygons(geometry: dict) -> list[list[list[int]]]:
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def alpha_2(numeric: str | None) -> str | None:
    country = pycountry.countries.get(numeric=numeric) if numeric else None
    return country.alpha_2 if country else None


def num(tenths: int) -> str:
    """Tenths of a pixel as the shortest SVG number: 7 -> ".7", -5 -> "-.5"."""
    text = f"{tenths / 10:g}"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def numbers(values: list[int]) -> str:
    """SVG path numbers, separated only where a minus sign does not already separate them."""
    out = ""
    for value in values:
        text = num(value)
        out += text if not out or text.startswith("-") else " " + text
    return out


def build(topology: dict) -> str:
    arcs = decode_arcs(topology)
    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") in LEAVE_OUT:
            continue
        rings = [[equal_earth(*p) for p in piece]
                 for poly in polygons(geometry) for r in poly for piece in split_at_antimeridian(ring(arcs, r))]
        features.append((alpha_2(geometry.get("id")), geometry["properties"]["name"], rings))

    xs = [x for _, _, rings in features for r in rings for x, _ in r]
    ys = [y for _, _, rings in features for r in rings for _, y in r]
    scale = WIDTH / (max(xs) - min(xs))
    left, top = min(xs), min(ys)
    height = round((max(ys) - top) * scale)

    paths = []
    for code, _name, rings in sorted(features, key=lambda f: f[1]):
        d = []
        for r in rings:
            # Relative moves at 0.1 px: a third the size of absolute coordinates.
            pts = [(round((x - left) * scale * 10), round((y - top) * scale * 10)) for x, y in r]
            px, py = pts[0]
            steps = []
            for x, y in pts[1:]:
                if (x, y) != (px, py):
                    steps += [x - px, y - py]
                    px, py = x, y
            d.append("M" + numbers(list(pts[0])) + "l" + numbers(steps) + "z")
        tag = f' data-cc="{code}"' if code else ""
        paths.append(f'<path{tag} d="{"".join(d)}"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {height}" role="img">'
        "<!-- Natural Earth 1:110m Admin 0 boundaries (public domain), via world-atlas (ISC); "
        "built by tools/world_map.py -->"
        + "".join(paths)
        + "</svg>\n"
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    svg = build(json.loads(Path(argv[0]).read_text()))
    OUT.write_text(svg)
    print(f"wrote {OUT} ({len(svg.encode()) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
