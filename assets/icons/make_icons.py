"""Draw the kiosk's pictogram icons.

Every icon is a 256x256 RGBA PNG: white (#FFFFFF) shapes on a transparent
background, meant to sit on the dark navy buttons. Shapes are drawn into an
alpha mask at 4x size and downsampled with LANCZOS for smooth edges. No text
or fonts are used, so the icons work for people who do not read.

The file is long (over 400 lines) because each pictogram is its own short function, read
and changed one at a time; splitting them would only scatter the one drawing grid.

Run from the project root:

    .venv/bin/python assets/icons/make_icons.py
"""

import math
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256  # output size in pixels; all drawing coordinates use this grid
SCALE = 4  # supersampling factor
STROKE = 21  # main stroke width, about 1/12 of SIZE
THIN = 16  # stroke width for inner details
INK = 255  # alpha value for drawn (white) areas
CLEAR = 0  # alpha value for cut-out (transparent) areas
OUT_DIR = Path(__file__).resolve().parent

Point = tuple[float, float]


class Pen:
    """Draws on a supersampled alpha mask using SIZE-grid coordinates."""

    def __init__(self) -> None:
        self.mask = Image.new("L", (SIZE * SCALE, SIZE * SCALE), CLEAR)
        self.draw = ImageDraw.Draw(self.mask)

    @staticmethod
    def _pts(points: Sequence[Point]) -> list[Point]:
        return [(x * SCALE, y * SCALE) for x, y in points]

    @staticmethod
    def _box(cx: float, cy: float, rx: float, ry: float) -> list[float]:
        return [(cx - rx) * SCALE, (cy - ry) * SCALE, (cx + rx) * SCALE, (cy + ry) * SCALE]

    def dot(self, center: Point, radius: float, fill: int = INK) -> None:
        """Filled circle."""
        self.draw.ellipse(self._box(*center, radius, radius), fill=fill)

    def line(
        self, points: Sequence[Point], width: float = STROKE, fill: int = INK, closed: bool = False
    ) -> None:
        """Polyline with rounded joints and rounded end caps."""
        pts = list(points) + ([points[0], points[1]] if closed else [])
        self.draw.line(self._pts(pts), fill=fill, width=round(width * SCALE), joint="curve")
        for point in pts:
            self.dot(point, width / 2, fill)

    def ring(
        self,
        center: Point,
        rx: float,
        ry: float | None = None,
        width: float = STROKE,
        fill: int = INK,
    ) -> None:
        """Ellipse outline whose stroke is centred on the given radii."""
        ry = rx if ry is None else ry
        half = width / 2
        box = self._box(*center, rx + half, ry + half)
        self.draw.ellipse(box, outline=fill, width=round(width * SCALE))

    def arc(
        self,
        center: Point,
        radius: float,
        start: float,
        end: float,
        width: float = STROKE,
        fill: int = INK,
    ) -> None:
        """Circular arc with round caps; angles in degrees, clockwise from 3 o'clock."""
        half = width / 2
        box = self._box(*center, radius + half, radius + half)
        self.draw.arc(box, start, end, fill=fill, width=round(width * SCALE))
        for angle in (start, end):
            rad = math.radians(angle)
            cap = (center[0] + radius * math.cos(rad), center[1] + radius * math.sin(rad))
            self.dot(cap, half, fill)

    def rect(
        self, box: Sequence[float], radius: float, width: float | None = None, fill: int = INK
    ) -> None:
        """Rounded rectangle: filled, or outlined with a stroke centred on the box edge."""
        x0, y0, x1, y1 = box
        if width is None:
            scaled = [v * SCALE for v in box]
            self.draw.rounded_rectangle(scaled, radius=radius * SCALE, fill=fill)
            return
        half = width / 2
        scaled = [(v - half) * SCALE for v in (x0, y0)] + [(v + half) * SCALE for v in (x1, y1)]
        self.draw.rounded_rectangle(
            scaled, radius=(radius + half) * SCALE, outline=fill, width=round(width * SCALE)
        )

    def polygon(self, points: Sequence[Point], fill: int = INK) -> None:
        """Filled polygon with sharp corners."""
        self.draw.polygon(self._pts(points), fill=fill)

    def image(self) -> Image.Image:
        """White RGBA image at final size, alpha taken from the downsampled mask."""
        alpha = self.mask.resize((SIZE, SIZE), Image.Resampling.LANCZOS)
        icon = Image.new("RGBA", (SIZE, SIZE), (255, 255, 255, 0))
        icon.putalpha(alpha)
        return icon


def zigzag(x0: float, x1: float, y_tip: float, y_valley: float, teeth: int) -> list[Point]:
    """Points of a saw-tooth edge from x0 to x1 (a torn paper edge)."""
    step = (x1 - x0) / teeth
    points: list[Point] = []
    for i in range(teeth):
        points.append((x0 + i * step, y_tip))
        points.append((x0 + (i + 0.5) * step, y_valley))
    points.append((x1, y_tip))
    return points


def draw_ticket(pen: Pen) -> None:
    """Queue ticket: a solid paper slip with a torn bottom edge and a cut-out number sign."""
    left, right = 60, 196
    pen.rect((left, 24, right, 206), 18)
    pen.polygon([(left, 190), *zigzag(left, right, 232, 212, 5), (right, 190)])
    # Number sign "#" cut out of the slip.
    pen.line([(112, 58), (104, 146)], 16, CLEAR)
    pen.line([(152, 58), (144, 146)], 16, CLEAR)
    pen.line([(86, 86), (172, 86)], 16, CLEAR)
    pen.line([(84, 118), (170, 118)], 16, CLEAR)
    # A printed line below the number.
    pen.line([(92, 178), (164, 178)], 14, CLEAR)


def draw_procedures(pen: Pen) -> None:
    """Clipboard with a checklist: three ticks, each followed by a line."""
    pen.rect((54, 44, 202, 232), 18, STROKE)
    pen.rect((92, 22, 164, 66), 12)
    pen.line([(112, 38), (144, 38)], 10, CLEAR)
    for y in (104, 148, 192):
        pen.line([(78, y), (90, y + 11), (110, y - 11)], THIN)
        pen.line([(128, y), (178, y)], THIN)


def draw_dossier(pen: Pen) -> None:
    """Folder with a magnifying glass over its lower right corner."""
    pen.line(
        [(32, 66), (32, 202), (214, 202), (214, 86), (110, 86), (94, 60), (38, 60)],
        STROKE,
        closed=True,
    )
    pen.line([(32, 110), (214, 110)], STROKE)
    lens, radius = (154, 158), 40
    handle = [(183, 187), (220, 224)]
    # Clear a gap around the magnifier so it stands apart from the folder.
    pen.dot(lens, radius + STROKE / 2 + 12, CLEAR)
    pen.line(handle, 26 + 24, CLEAR)
    pen.ring(lens, radius, width=STROKE)
    pen.line(handle, 26)


def draw_rating(pen: Pen) -> None:
    """Smiling face."""
    pen.ring((128, 128), 102, width=STROKE)
    pen.dot((92, 102), 15)
    pen.dot((164, 102), 15)
    pen.arc((128, 128), 58, 25, 155)


def draw_home(pen: Pen) -> None:
    """House: roof, walls and a door."""
    pen.line([(62, 118), (62, 220), (194, 220), (194, 118)], STROKE)
    pen.line([(26, 126), (128, 38), (230, 126)], STROKE + 3)
    pen.rect((108, 156, 148, 220), 8)


def draw_back(pen: Pen) -> None:
    """Arrow pointing left."""
    pen.line([(52, 128), (210, 128)], STROKE + 4)
    pen.line([(114, 64), (50, 128), (114, 192)], STROKE + 4)


def draw_language(pen: Pen) -> None:
    """Round speech bubble holding a globe (meridian ellipse and equator)."""
    center, radius = (134, 116), 88
    tail_a = math.radians(120)
    tail_b = math.radians(150)
    pen.polygon(
        [
            (center[0] + radius * math.cos(tail_a), center[1] + radius * math.sin(tail_a)),
            (32, 236),
            (center[0] + radius * math.cos(tail_b), center[1] + radius * math.sin(tail_b)),
        ]
    )
    pen.ring(center, radius, width=STROKE)
    pen.ring(center, 36, radius, width=THIN)
    pen.line([(center[0] - radius, center[1]), (center[0] + radius, center[1])], THIN)


def draw_printer(pen: Pen) -> None:
    """Receipt printer: a solid box with a printed receipt coming out of the top."""
    paper_top = zigzag(78, 178, 30, 44, 4)
    pen.line([(78, 130), *paper_top, (178, 130)], THIN)
    pen.line([(102, 74), (154, 74)], THIN)
    pen.line([(102, 102), (154, 102)], THIN)
    pen.rect((30, 122, 226, 216), 22)
    pen.line([(62, 146), (194, 146)], 12, CLEAR)
    pen.dot((190, 186), 11, CLEAR)


def draw_centre_link(pen: Pen) -> None:
    """The link to the centre (a staff mark): a large node joined to two small ones."""
    hub, left, right = (128, 70), (56, 190), (200, 190)
    pen.line([left, hub, right], THIN)
    pen.line([left, right], THIN)
    pen.dot(hub, 44)
    pen.dot(left, 32)
    pen.dot(right, 32)


def draw_warning(pen: Pen) -> None:
    """Solid rounded triangle with a cut-out exclamation mark."""
    corners = [(128, 34), (230, 214), (26, 214)]
    pen.polygon(corners)
    pen.line(corners, 28, closed=True)
    pen.line([(128, 96), (128, 156)], 24, CLEAR)
    pen.dot((128, 190), 14, CLEAR)


def draw_still_here(pen: Pen) -> None:
    """Raised open hand, palm facing the viewer."""
    finger = 27
    pen.rect((88, 124, 200, 236), 34)  # palm
    pen.line([(102, 140), (92, 54)], finger)  # index
    pen.line([(131, 136), (129, 34)], finger)  # middle
    pen.line([(160, 138), (166, 42)], finger)  # ring
    pen.line([(186, 148), (200, 74)], finger)  # little
    pen.line([(104, 204), (54, 140)], finger + 2)  # thumb


def draw_id_card(pen: Pen) -> None:
    """ID card: a rounded card with a photo square, text lines and a QR-like block."""
    pen.rect((20, 58, 236, 198), 18)
    pen.rect((40, 82, 100, 152), 8, fill=CLEAR)  # photo
    pen.dot((70, 106), 13)  # head
    pen.rect((50, 124, 90, 152), 10)  # shoulders
    pen.line([(118, 92), (214, 92)], 12, CLEAR)
    pen.line([(118, 120), (184, 120)], 12, CLEAR)
    pen.rect((166, 136, 216, 182), 4, fill=CLEAR)  # the QR on the front
    for x, y in ((176, 146), (198, 146), (176, 168), (198, 168)):
        pen.rect((x - 5, y - 5, x + 5, y + 5), 1)


def draw_text_size(pen: Pen) -> None:
    """Text size: a small letter A beside a large one."""
    pen.line([(22, 196), (62, 104), (102, 196)])  # small A
    pen.line([(40, 160), (84, 160)], THIN)
    pen.line([(106, 212), (170, 44), (234, 212)])  # large A
    pen.line([(136, 150), (204, 150)])


def draw_face_very_happy(pen: Pen) -> None:
    """Very satisfied: a filled face with a wide open smile."""
    pen.dot((128, 128), 110)
    pen.dot((90, 100), 16, CLEAR)
    pen.dot((166, 100), 16, CLEAR)
    pen.polygon([(70, 140), (186, 140), (170, 176), (128, 196), (86, 176)], CLEAR)


def draw_face_happy(pen: Pen) -> None:
    """Satisfied: a smiling face."""
    draw_rating(pen)


def draw_face_unhappy(pen: Pen) -> None:
    """Not satisfied: a face with a downturned mouth."""
    pen.ring((128, 128), 102, width=STROKE)
    pen.dot((92, 102), 15)
    pen.dot((164, 102), 15)
    pen.arc((128, 200), 52, 215, 325)


def draw_tick(pen: Pen) -> None:
    """A tick: this one is chosen."""
    pen.line([(48, 134), (104, 190), (208, 70)], STROKE + 8)


def draw_speaker(pen: Pen) -> None:
    """Loudspeaker with sound waves: listen to the screen read aloud."""
    pen.polygon([(34, 100), (78, 100), (134, 52), (134, 204), (78, 156), (34, 156)])
    pen.arc((134, 128), 44, -50, 50)
    pen.arc((134, 128), 84, -55, 55)


def draw_contrast(pen: Pen) -> None:
    """Contrast: a circle, half filled (the usual sign for a high-contrast switch)."""
    pen.ring((128, 128), 100, width=STROKE)
    pen.dot((128, 128), 100 - STROKE / 2)
    pen.polygon([(128, 0), (256, 0), (256, 256), (128, 256)], CLEAR)
    pen.ring((128, 128), 100, width=STROKE)


def _sheet(pen: Pen) -> None:
    """A solid sheet of paper, portrait, with its top right corner folded over."""
    pen.polygon([(52, 24), (164, 24), (212, 72), (212, 232), (52, 232)])
    pen.polygon([(160, 24), (160, 76), (212, 76), (212, 80), (156, 80), (156, 24)], CLEAR)


def draw_paper(pen: Pen) -> None:
    """A paper to bring: a sheet with lines of text."""
    _sheet(pen)
    for y in (104, 140, 176):
        pen.line([(80, y), (184, y)], 12, CLEAR)
    pen.line([(80, 68), (136, 68)], 12, CLEAR)


def draw_form(pen: Pen) -> None:
    """A form to fill in: a sheet with boxes to tick and lines to write on."""
    _sheet(pen)
    for y in (84, 130, 176):
        pen.rect((76, y - 14, 104, y + 14), 4, width=7, fill=CLEAR)
        pen.line([(120, y), (184, y)], 10, CLEAR)


def draw_certificate(pen: Pen) -> None:
    """A certificate: a sheet with a few lines and a round seal with ribbons."""
    _sheet(pen)
    for y in (76, 106):
        pen.line([(80, y), (184, y)], 12, CLEAR)
    pen.dot((140, 160), 40, CLEAR)
    pen.dot((140, 160), 30)
    pen.polygon([(118, 176), (108, 222), (126, 212), (136, 226), (142, 186)], CLEAR)
    pen.polygon([(162, 176), (172, 222), (154, 212), (144, 226), (138, 186)], CLEAR)


def draw_photo(pen: Pen) -> None:
    """A passport photo: a portrait frame with head and shoulders."""
    pen.rect((50, 24, 206, 232), 14, width=STROKE)
    pen.dot((128, 104), 38)
    pen.polygon([(68, 222), (76, 180), (100, 156), (156, 156), (180, 180), (188, 222)])


def draw_skip(pen: Pen) -> None:
    """Skip: an arrow that hops over a small card and lands on the right (not "back")."""
    pen.rect((92, 170, 164, 222), 8)  # the step left out (the ID card), small and solid
    center, radius, end = (128, 176), 86, 335
    pen.arc(center, radius, 195, end, STROKE + 4)  # the hop over it
    # The arrowhead continues the arc: its tip points the way the arc runs at its end.
    angle = math.radians(end)
    e = (center[0] + radius * math.cos(angle), center[1] + radius * math.sin(angle))
    d = (-math.sin(angle), math.cos(angle))  # clockwise direction along the arc
    n = (math.cos(angle), math.sin(angle))
    pen.polygon([(e[0] + 46 * d[0], e[1] + 46 * d[1]),
                 (e[0] + 36 * n[0] - 6 * d[0], e[1] + 36 * n[1] - 6 * d[1]),
                 (e[0] - 36 * n[0] - 6 * d[0], e[1] - 36 * n[1] - 6 * d[1])])


def _person(pen: Pen, x: float, head_y: float, scale: float, fill: int = INK) -> None:
    """A person seen from the front: a round head over rounded shoulders."""
    pen.dot((x, head_y), 24 * scale, fill)
    pen.rect((x - 40 * scale, head_y + 34 * scale, x + 40 * scale, head_y + 120 * scale),
             34 * scale, fill=fill)


def draw_civil_status(pen: Pen) -> None:
    """Civil status (births, marriages, deaths): a family, two adults and a child."""
    _person(pen, 70, 64, 1.0)
    _person(pen, 186, 64, 1.0)
    # The child stands in front, cut free of the adults by a clear outline.
    _person(pen, 128, 132, 0.86, CLEAR)
    pen.dot((128, 132), 24 * 0.86 + 8, CLEAR)
    pen.rect((128 - 40 * 0.86 - 8, 132 + 34 * 0.86 - 8, 128 + 40 * 0.86 + 8, 256), 34, fill=CLEAR)
    _person(pen, 128, 140, 0.8)


def draw_certification(pen: Pen) -> None:
    """Certification of copies: two sheets, the front one with a round seal."""
    pen.rect((34, 20, 164, 196), 12, width=THIN)  # the original, behind
    pen.rect((84, 60, 226, 240), 12)  # the certified copy
    for y in (94, 122):
        pen.line([(108, y), (202, y)], 12, CLEAR)
    pen.dot((170, 188), 30, CLEAR)
    pen.dot((170, 188), 20)


def draw_land(pen: Pen) -> None:
    """Land and construction: a house on a marked plot of ground."""
    pen.line([(20, 226), (236, 226)], STROKE)  # the ground
    pen.line([(36, 226), (36, 176)], THIN)  # boundary markers of the plot
    pen.line([(220, 226), (220, 176)], THIN)
    pen.polygon([(128, 30), (212, 104), (44, 104)])  # roof
    pen.rect((66, 100, 190, 206), 6)  # walls
    pen.rect((112, 144, 144, 206), 4, fill=CLEAR)  # door


def draw_social(pen: Pen) -> None:
    """Social affairs: a heart held in an open hand."""
    # The heart: two lobes and a point.
    pen.dot((100, 70), 38)
    pen.dot((156, 70), 38)
    pen.polygon([(64, 82), (192, 82), (128, 150)])
    # The open hand below, palm up.
    pen.line([(24, 150), (64, 188), (128, 200), (188, 190)], STROKE + 6)
    pen.line([(188, 190), (232, 148)], STROKE + 6)
    pen.rect((40, 196, 150, 236), 18)


def draw_business(pen: Pen) -> None:
    """Business registration: a shop front with a scalloped awning."""
    pen.rect((30, 30, 226, 62), 6)  # sign board
    pen.rect((30, 72, 226, 98), 4)  # awning
    step = (226 - 30) / 5
    for i in range(5):
        pen.dot((30 + step * (i + 0.5), 98), step / 2)
    pen.rect((46, 128, 210, 226), 8, width=THIN)  # walls
    pen.rect((122, 156, 170, 226), 4)  # door
    pen.rect((70, 156, 104, 190), 4)  # window


# Dossier status pictograms (kiosk/dossier.py STATUS_ICONS): one shape per status.
def draw_dossier_received(pen: Pen) -> None:
    """Received: a sheet going down into an open tray."""
    pen.rect((84, 20, 172, 120), 8)
    for y in (48, 76):
        pen.line([(104, y), (152, y)], 10, CLEAR)
    pen.polygon([(98, 118), (158, 118), (128, 150)])
    pen.line([(28, 150), (28, 222), (228, 222), (228, 150)], STROKE)
    pen.line([(28, 150), (84, 150), (100, 180), (156, 180), (172, 150), (228, 150)], STROKE)


def draw_dossier_in_progress(pen: Pen) -> None:
    """Being processed: a clock."""
    pen.ring((128, 128), 96, width=STROKE)
    pen.line([(128, 128), (128, 64)], STROKE)
    pen.line([(128, 128), (172, 156)], STROKE)
    pen.dot((128, 128), 16)


def draw_dossier_needs_papers(pen: Pen) -> None:
    """More papers needed: a sheet with a plus sign cut out."""
    _sheet(pen)
    pen.line([(132, 104), (132, 192)], STROKE, CLEAR)
    pen.line([(88, 148), (176, 148)], STROKE, CLEAR)


def draw_dossier_ready(pen: Pen) -> None:
    """Ready to collect: a sheet with a tick cut out."""
    _sheet(pen)
    pen.line([(84, 150), (116, 182), (180, 108)], STROKE, CLEAR)


def draw_dossier_returned(pen: Pen) -> None:
    """Returned: an arrow turning back over a sheet's lines."""
    pen.rect((56, 128, 216, 232), 12)
    for y in (160, 196):
        pen.line([(84, y), (188, y)], 12, CLEAR)
    pen.arc((140, 72), 48, 270, 450)
    pen.line([(140, 120), (116, 120)], STROKE)
    pen.line([(140, 24), (76, 24)], STROKE)
    pen.polygon([(48, 24), (84, 0), (84, 50)])


ICONS: dict[str, Callable[[Pen], None]] = {
    "ticket.png": draw_ticket,
    "procedures.png": draw_procedures,
    "dossier.png": draw_dossier,
    "rating.png": draw_rating,
    "home.png": draw_home,
    "back.png": draw_back,
    "language.png": draw_language,
    "printer.png": draw_printer,
    "centre_link.png": draw_centre_link,
    "warning.png": draw_warning,
    "still_here.png": draw_still_here,
    "id_card.png": draw_id_card,
    "text_size.png": draw_text_size,
    "face_very_happy.png": draw_face_very_happy,
    "face_happy.png": draw_face_happy,
    "face_unhappy.png": draw_face_unhappy,
    "tick.png": draw_tick,
    "speaker.png": draw_speaker,
    "contrast.png": draw_contrast,
    "paper.png": draw_paper,
    "form.png": draw_form,
    "certificate.png": draw_certificate,
    "photo.png": draw_photo,
    "skip.png": draw_skip,
    "civil_status.png": draw_civil_status,
    "certification.png": draw_certification,
    "land.png": draw_land,
    "social.png": draw_social,
    "business.png": draw_business,
    "dossier_received.png": draw_dossier_received,
    "dossier_in_progress.png": draw_dossier_in_progress,
    "dossier_needs_papers.png": draw_dossier_needs_papers,
    "dossier_ready.png": draw_dossier_ready,
    "dossier_returned.png": draw_dossier_returned,
}


def main() -> None:
    for name, draw in ICONS.items():
        pen = Pen()
        draw(pen)
        path = OUT_DIR / name
        pen.image().save(path)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
