"""Drawing the lessons' figures as SVG that follows the book's theme.

Used by scripts/figures (the drawn figures, from lessons/figures/*.fig) and scripts/timeline
(the figures drawn from recorded runs). Only the standard library: a fresh machine with
python3 draws every figure, offline.

Every colour is one of mdBook's CSS variables (--fg, --bg, --quote-bg and the blockquote
colours), with a fallback for viewing a file on its own, so a figure included inline in a page
follows the reader's theme, light or dark, and prints like the page. Text is real text, so it
can be searched and copied, and is drawn in the page's fonts.

An SVG is written with no blank line in it: the pages include it inline, and Markdown ends an
HTML block at a blank line.
"""

from html import escape
import unicodedata

# Colour names a figure may use, and the theme variable each one follows.
COLOURS = {
    "fg": "var(--fg, #000)",
    "bg": "var(--bg, #fff)",
    "box": "var(--quote-bg, #eef5f8)",
    "blue": "var(--blockquote-note-color, #0969da)",
    "green": "var(--blockquote-tip-color, #008000)",
    "amber": "var(--blockquote-warning-color, #9a6700)",
    "red": "var(--blockquote-caution-color, #b52731)",
    "purple": "var(--blockquote-important-color, #8250df)",
}

# One style sheet for every figure. Its rules are the same in every figure, so it does not
# matter that a page with two figures has it twice.
STYLE = """\
.slf text{fill:%(fg)s;font-family:"Open Sans","Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;font-size:14px}
.slf .m{font-family:"Source Code Pro",Consolas,"Ubuntu Mono",Menlo,"DejaVu Sans Mono",monospace,monospace;font-size:13px}
.slf .s,.slf .s .m,.slf .m.s{font-size:12px}
.slf .b{font-weight:bold}
.slf .i{font-style:italic;opacity:.8}
.slf .ln{stroke:%(fg)s;stroke-width:1.5;fill:none}
.slf .thin{stroke-width:1}
.slf .dash{stroke-dasharray:5 4}
.slf .head{fill:%(fg)s;stroke:none}
.slf .box{fill:%(box)s;stroke:%(fg)s;stroke-width:1.2}
.slf .plain{fill:%(bg)s;stroke:%(fg)s;stroke-width:1.2}
.slf .group{fill:none;stroke:%(fg)s;stroke-width:1;stroke-dasharray:4 3;opacity:.7}
""" % COLOURS
for _name in ("blue", "green", "amber", "red", "purple"):
    STYLE += ".slf .%s{fill:%s;fill-opacity:.22;stroke:%s;stroke-width:1.2}\n" % (
        _name, COLOURS[_name], COLOURS[_name])
    STYLE += ".slf .%s-ln{stroke:%s;stroke-width:2;fill:none}\n" % (_name, COLOURS[_name])
    STYLE += ".slf .%s-head{fill:%s;stroke:none}\n" % (_name, COLOURS[_name])
    STYLE += ".slf text.%s-t{fill:%s}\n" % (_name, COLOURS[_name])

FONT = 14
MONO = 13


def text_width(text, size=FONT, mono=False):
    """An estimate of how wide a line of text is drawn, in pixels: enough to size boxes and
    space lanes. Wide (CJK) characters take a full em."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += size
        elif mono:
            width += 0.6 * size
        elif ch in "il.,:;|'!()[]{} ":
            width += 0.32 * size
        elif ch.isupper() or ch in "mwMW_":
            width += 0.72 * size
        else:
            width += 0.56 * size
    return width


def rich_width(label, size=None):
    """How wide Svg.rich draws a label with `backticked` code in it."""
    return sum(text_width(part, size or (MONO if k % 2 else FONT), k % 2 == 1)
               for k, part in enumerate(label.split("`")))


def num(x):
    """A coordinate as short text: 12, 12.5."""
    x = round(x, 1)
    return str(int(x)) if x == int(x) else str(x)


class Svg:
    """An SVG drawing: add shapes, then render() it."""

    def __init__(self, title):
        self.title = title
        self.parts = []
        self.right = 0.0
        self.bottom = 0.0

    def _grow(self, x, y):
        self.right = max(self.right, x)
        self.bottom = max(self.bottom, y)

    def rect(self, x, y, w, h, cls="box", rx=4):
        self._grow(x + w, y + h)
        self.parts.append('<rect class="%s" x="%s" y="%s" width="%s" height="%s" rx="%s"/>'
                          % (cls, num(x), num(y), num(w), num(h), num(rx)))

    def text(self, x, y, text, cls="", anchor="middle", size=None, mono=False):
        """One line of text; y is its baseline's middle (the text is centred on y)."""
        size = size or (MONO if mono else FONT)
        w = text_width(text, size, mono)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        self._grow(left + w, y + size / 2 + 2)
        small = "s" if size == 12 and "s" not in cls.split() else ""
        classes = " ".join(c for c in (cls, "m" if mono else "", small) if c)
        attr = ' class="%s"' % classes if classes else ""
        anchor_attr = "" if anchor == "start" else ' text-anchor="%s"' % anchor
        self.parts.append('<text%s x="%s" y="%s"%s dominant-baseline="central">%s</text>'
                          % (attr, num(x), num(y), anchor_attr, escape(text, quote=False)))
        return w

    def rich(self, x, y, label, cls="", anchor="middle", size=None):
        """A line of text in which `backticked` parts are set in the code font."""
        segments = [(part, k % 2 == 1) for k, part in enumerate(label.split("`")) if part]
        if len(segments) == 1:
            return self.text(x, y, segments[0][0], cls, anchor, size, segments[0][1])
        w = rich_width(label, size)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        self._grow(left + w, y + (size or FONT) / 2 + 2)
        if size == 12 and "s" not in cls.split():
            cls = (cls + " s").strip()
        attr = ' class="%s"' % cls if cls else ""
        anchor_attr = "" if anchor == "start" else ' text-anchor="%s"' % anchor
        spans = "".join('<tspan%s>%s</tspan>' % (' class="m"' if mono else "",
                                                 escape(part, quote=False))
                        for part, mono in segments)
        self.parts.append('<text%s x="%s" y="%s"%s dominant-baseline="central">%s</text>'
                          % (attr, num(x), num(y), anchor_attr, spans))
        return w

    def line(self, x1, y1, x2, y2, cls="ln"):
        self._grow(max(x1, x2), max(y1, y2))
        self.parts.append('<line class="%s" x1="%s" y1="%s" x2="%s" y2="%s"/>'
                          % (cls, num(x1), num(y1), num(x2), num(y2)))

    def path(self, d, cls="ln"):
        self.parts.append('<path class="%s" d="%s"/>' % (cls, d))

    def head(self, x, y, dx, dy, cls="head", size=9):
        """An arrowhead with its tip at (x, y), pointing along (dx, dy)."""
        length = (dx * dx + dy * dy) ** 0.5 or 1.0
        ux, uy = dx / length, dy / length
        bx, by = x - ux * size, y - uy * size
        px, py = -uy * size * 0.45, ux * size * 0.45
        self.parts.append('<path class="%s" d="M%s %sL%s %sL%s %sZ"/>' % (
            cls, num(x), num(y), num(bx + px), num(by + py), num(bx - px), num(by - py)))

    def arrow(self, x1, y1, x2, y2, dashed=False, both=False, colour=None):
        """A straight arrow from (x1, y1) to (x2, y2)."""
        cls = "%s-ln" % colour if colour else "ln"
        if dashed:
            cls += " dash"
        self.line(x1, y1, x2, y2, cls)
        head = "%s-head" % colour if colour else "head"
        self.head(x2, y2, x2 - x1, y2 - y1, head)
        if both:
            self.head(x1, y1, x1 - x2, y1 - y2, head)

    def cross(self, x, y, size=6, colour="red"):
        """An x: where something was lost."""
        cls = "%s-ln" % colour
        self.line(x - size, y - size, x + size, y + size, cls)
        self.line(x - size, y + size, x + size, y - size, cls)

    def render(self, margin=8):
        width = int(self.right + margin + 0.999)
        height = int(self.bottom + margin + 0.999)
        out = ['<svg class="slf" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" '
               'width="%d" height="%d" style="max-width:100%%;height:auto" '
               'aria-hidden="true" focusable="false">' % (width, height, width, height),
               "<title>%s</title>" % escape(self.title, quote=False),
               "<style>", STYLE.rstrip("\n"), "</style>"]
        out.extend(self.parts)
        out.append("</svg>")
        text = "\n".join(out) + "\n"
        assert "\n\n" not in text, "an SVG for a page must have no blank line"
        return text
