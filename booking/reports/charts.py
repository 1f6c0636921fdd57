"""Server-side SVG charts: no JavaScript, every text escaped, sized by viewBox so they scale.

Each function takes plain, already translated labels and numbers and returns Markup of one
<svg role="img"> element; the page puts the same figures in a table next to it.
"""

from markupsafe import Markup, escape

WIDTH = 360  # about a phone's CSS width: 1 unit is about 1 px there
PALETTE = ("#1f77b4", "#b7791f", "#8e44ad", "#c0392b", "#16a085", "#d35400", "#2c3e50", "#7f8c8d")
LOW, HIGH = (0xEE, 0xF5, 0xF1), (0x0B, 0x6E, 0x4F)


def _attrs(**attrs) -> str:
    return " ".join(f'{k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items() if v is not None)


def _el(tag: str, text=None, **attrs) -> str:
    if text is None:
        return f"<{tag} {_attrs(**attrs)}/>"
    return f"<{tag} {_attrs(**attrs)}>{escape(text)}</{tag}>"


def _svg(height: float, label: str, body: list[str], testid: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'{_attrs(aria_label=label, data_testid=testid)} class="rp-svg">'
    )
    return Markup(head + _el("title", label) + "".join(body) + "</svg>")


def _shade(share: float) -> str:
    share = max(0.0, min(1.0, share))
    return "#" + "".join(f"{round(lo + (hi - lo) * share):02x}" for lo, hi in zip(LOW, HIGH))


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def heatmap(rows: list[tuple[str, list]], columns: list[str], label: str, closed_text: str = "") -> Markup:
    """rows: [(row label, [(share 0..1 or None when closed, tooltip), ...one per column])]."""
    left, top, cell_h = 42, 20, 22
    cell_w = (WIDTH - left) / max(len(columns), 1)
    body = [
        _el("text", col, x=f"{left + cell_w * (i + 0.5):.1f}", y="14", text_anchor="middle", class_="rp-axis")
        for i, col in enumerate(columns)
    ]
    for r, (row_label, cells) in enumerate(rows):
        y = top + r * cell_h
        body.append(
            _el("text", row_label, x=str(left - 6), y=f"{y + cell_h * 0.68:.1f}", text_anchor="end", class_="rp-axis")
        )
        for c, (share, tip) in enumerate(cells):
            x = left + c * cell_w
            fill = "#f1f2f3" if share is None else _shade(share)
            body.append(
                f"<g>{_el('title', tip)}"
                + _el(
                    "rect",
                    x=f"{x + 1:.1f}",
                    y=f"{y + 1:.1f}",
                    width=f"{cell_w - 2:.1f}",
                    height=str(cell_h - 2),
                    rx="3",
                    fill=fill,
                    data_share="" if share is None else f"{share:.4f}",
                )
                + _el(
                    "text",
                    closed_text if share is None else (f"{round(share * 100)}" if share else ""),
                    x=f"{x + cell_w / 2:.1f}",
                    y=f"{y + cell_h * 0.68:.1f}",
                    text_anchor="middle",
                    class_="rp-cell" + (" rp-on-dark" if share is not None and share > 0.55 else ""),
                )
                + "</g>"
            )
    return _svg(top + len(rows) * cell_h + 2, label, body, "heatmap")


def hbars(items: list[tuple[str, float, str]], label: str) -> Markup:
    """Horizontal bars, each under a line with its label (left) and value (right): [(label, value, text)]."""
    row_h, bar_h = 36, 12
    top = max((value for _, value, _ in items), default=0) or 1
    body = []
    for i, (name, value, text) in enumerate(items):
        y = i * row_h
        short = name if len(name) <= 15 else name[:14] + "…"
        width = max(2.0, WIDTH * value / top) if value else 0
        body.append(
            f"<g>{_el('title', f'{name}: {text}')}"
            + _el("text", short, x="0", y=f"{y + 13}", class_="rp-label")
            + _el("text", text, x=str(WIDTH), y=f"{y + 13}", text_anchor="end", class_="rp-value")
            + _el(
                "rect",
                x="0",
                y=f"{y + 19}",
                width=f"{width:.1f}",
                height=str(bar_h),
                rx="3",
                fill=PALETTE[0],
                data_value=_fmt(value),
            )
            + "</g>"
        )
    return _svg(len(items) * row_h + 2, label, body, "bars")


def trend(
    labels: list[str], total: tuple[str, list[float]], lines: list[tuple[str, list[float], str]], label: str
) -> Markup:
    """Bars for the total per period (e.g. ISO week) and one line per part (colour given)."""
    left, right, top, bottom, height = 34, 8, 10, 26, 200
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    n = max(len(labels), 1)
    step = plot_w / n
    peak = max([*total[1], *(v for _, values, _ in lines for v in values), 0]) or 1
    ticks = _ticks(peak)
    peak = ticks[-1]

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / peak)

    body = []
    for tick in ticks:
        body.append(
            _el(
                "line",
                x1=str(left),
                x2=str(WIDTH - right),
                y1=f"{y_of(tick):.1f}",
                y2=f"{y_of(tick):.1f}",
                class_="rp-grid",
            )
        )
        body.append(
            _el("text", _fmt(tick), x=str(left - 4), y=f"{y_of(tick) + 4:.1f}", text_anchor="end", class_="rp-axis")
        )
    every = max(1, -(-n // 6))  # at most about 6 labels under the axis
    for i, (name, value) in enumerate(zip(labels, total[1])):
        x = left + i * step
        body.append(
            f"<g>{_el('title', f'{name}: {total[0]} {_fmt(value)}')}"
            + _el(
                "rect",
                x=f"{x + step * 0.15:.1f}",
                y=f"{y_of(value):.1f}",
                width=f"{step * 0.7:.1f}",
                height=f"{plot_h * value / peak:.1f}",
                fill="#cfe9dc",
                data_value=_fmt(value),
            )
            + "</g>"
        )
        if i % every == 0:
            body.append(
                _el("text", name, x=f"{x + step / 2:.1f}", y=str(height - 8), text_anchor="middle", class_="rp-axis")
            )
    for name, values, colour in lines:
        points = " ".join(f"{left + (i + 0.5) * step:.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        body.append(
            f"<g>{_el('title', name)}"
            + _el("polyline", points=points, fill="none", stroke=colour, stroke_width="2", data_series=name)
            + "".join(
                _el("circle", cx=f"{left + (i + 0.5) * step:.1f}", cy=f"{y_of(v):.1f}", r="2.5", fill=colour)
                for i, v in enumerate(values)
            )
            + "</g>"
        )
    return _svg(height, label, body, "trend")


def _ticks(peak: float) -> list[float]:
    """0 and up to 4 round steps reaching at least `peak`."""
    raw = peak / 4
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    count = int(-(-peak // step))
    return [step * i for i in range(count + 1)]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]
