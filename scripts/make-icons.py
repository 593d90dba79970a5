#!/usr/bin/env python3
"""Draws the app icons in public/icons/ (run by hand when the design changes; needs Pillow).

The mark is a clock face with a check: "time, approved". Maskable icons keep the mark
inside the central 80 % safe zone so launchers can crop them to any shape.
"""
from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (31, 95, 191, 255)
WHITE = (255, 255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "public" / "icons"


def mark(draw: ImageDraw.ImageDraw, size: int, scale: float) -> None:
    c = size / 2
    r = size * 0.30 * scale
    w = max(2, round(size * 0.055 * scale))
    draw.ellipse((c - r, c - r, c + r, c + r), outline=WHITE, width=w)
    # Clock hands pointing at 12 and 3, drawn as a check mark's long stroke.
    draw.line((c, c - r * 0.62, c, c), fill=WHITE, width=w)
    draw.line((c, c, c + r * 0.48, c), fill=WHITE, width=w)
    dot = w * 0.75
    draw.ellipse((c - dot, c - dot, c + dot, c + dot), fill=WHITE)


def icon(size: int, *, maskable: bool) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if maskable:
        draw.rectangle((0, 0, size, size), fill=BLUE)
        mark(draw, size, 0.8)
    else:
        draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size * 0.22, fill=BLUE)
        mark(draw, size, 1.0)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    icon(32, maskable=False).save(OUT / "favicon-32.png", optimize=True)


if __name__ == "__main__":
    main()
