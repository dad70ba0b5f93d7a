"""The confirmation letter (surat konfirmasi) for an approved violation, as a PDF (fpdf2).

It follows the ETLE letter: who sends it, a reference code, the vehicle (plate, class), the act
(kind, article of law, date, time and place), the evidence pictures (overview, vehicle, plate,
annotated overview) and what the owner must do next. Indonesian, A4. The pictures are the stored,
verified media, and never an original that has a redacted copy or that the box withheld (UU PDP
27/2022: the owner sees the act, not the bystanders); the letter names the record and its chain
position so it can be traced back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF

from backoffice.privacy import by_role

KINDS = {
    "red_light": "Melanggar isyarat lampu lalu lintas (lampu merah)",
    "stop_line": "Melanggar marka berhenti (garis stop)",
    "solid_line_crossing": "Melanggar marka jalan utuh",
    "wrong_way": "Melawan arus lalu lintas",
    "restricted_lane": "Memasuki lajur yang dilarang",
    "speeding": "Melebihi batas kecepatan",
    "odd_even": "Melanggar ketentuan ganjil-genap",
    "illegal_stop": "Berhenti di tempat terlarang",
}
CLASSES = {"car": "Mobil penumpang", "motorcycle": "Sepeda motor", "bus": "Bus", "truck": "Truk"}
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")
PICTURES = (("overview_at", "Gambaran umum"), ("vehicle_closeup", "Kendaraan"), ("plate", "Pelat nomor"),
            ("overview_annotated", "Gambaran beranotasi"))


@dataclass(frozen=True, slots=True)
class LetterFacts:
    reference: str
    plate: str
    vehicle_class: str
    kind: str
    article: str
    at: datetime  # local time of the act, with its offset
    place: str
    event_id: str
    device: str
    approved_by: str


def reference_code(event: dict[str, Any]) -> str:
    """ETLE/<site>/<yyyymmdd>/<first 8 of the event id>: short, unique, printed on the letter."""
    day = datetime.fromisoformat(event["violation"]["detected_at"]).strftime("%Y%m%d")
    return f"ETLE/{event['site']['id']}/{day}/{event['event_id'][:8].upper()}"


def facts_of(event: dict[str, Any], approved_by: str) -> LetterFacts:
    plate = event.get("plate") if isinstance(event.get("plate"), dict) else {}
    violation, site = event["violation"], event["site"]
    location = site.get("location") or {}
    where = f"({location.get('lat')}, {location.get('lon')})"
    place = f"{site.get('name', site['id'])}, kamera {event['camera_id']} {where}"
    return LetterFacts(reference_code(event), str((plate or {}).get("formatted") or "tidak terbaca"),
                       CLASSES.get(event["vehicle"]["class"], event["vehicle"]["class"]),
                       KINDS.get(violation["type"], violation["type"]), violation["article"],
                       datetime.fromisoformat(violation["detected_at"]), place, event["event_id"],
                       f"{event['device']['id']} #{event['device']['seq']}", approved_by)


def _date(at: datetime) -> str:
    return f"{at.day} {MONTHS[at.month - 1]} {at.year}"


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(48, 6.5, label, border=1)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6.5, value, border=1, new_x="LMARGIN", new_y="NEXT")


def _pictures(pdf: FPDF, pictures: list[tuple[str, Path]]) -> None:
    width, height, gap = 88.0, 52.0, 4.0
    top = pdf.get_y() + 2
    for i, (caption, path) in enumerate(pictures[:4]):
        x, y = pdf.l_margin + (i % 2) * (width + gap), top + (i // 2) * (height + 9)
        pdf.image(str(path), x=x, y=y, w=width, h=height, keep_aspect_ratio=True)
        pdf.set_xy(x, y + height)
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(width, 5, caption, align="C")
    pdf.set_xy(pdf.l_margin, top + 2 * (height + 9) + 2)


def render_letter(facts: LetterFacts, pictures: list[tuple[str, Path]]) -> bytes:
    """The letter as PDF bytes. `pictures`: (caption, JPEG path), at most four."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"Surat Konfirmasi {facts.reference}")
    pdf.set_author("ETLE back office")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 6, "KEPOLISIAN NEGARA REPUBLIK INDONESIA", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 5, "Regional Traffic Management Center - Electronic Traffic Law Enforcement (ETLE)", align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "SURAT KONFIRMASI PELANGGARAN LALU LINTAS", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, f"Nomor referensi: {facts.reference}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 5, "Kepada Yth. pemilik kendaraan bermotor dengan nomor registrasi di bawah ini. Sistem ETLE "
                         "merekam pelanggaran lalu lintas oleh kendaraan Saudara dengan rincian berikut:")
    pdf.ln(1)
    for label, value in (("Nomor kendaraan", facts.plate), ("Jenis kendaraan", facts.vehicle_class),
                         ("Jenis pelanggaran", facts.kind), ("Pasal", facts.article),
                         ("Tanggal", _date(facts.at)), ("Waktu", facts.at.strftime("%H:%M:%S") + _zone(facts.at)),
                         ("Lokasi", facts.place), ("Kode rekaman", f"{facts.event_id} ({facts.device})"),
                         ("Divalidasi oleh", facts.approved_by)):
        _row(pdf, label, value)
    _pictures(pdf, pictures)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 4.5, "Saudara wajib melakukan konfirmasi dalam waktu 8 (delapan) hari sejak surat ini "
                           "diterima, melalui situs ETLE atau di kantor Satuan Lalu Lintas setempat, dengan "
                           "menyebutkan nomor referensi di atas. Bukti elektronik pelanggaran ini ditandatangani "
                           "secara digital oleh perangkat kamera dan telah diverifikasi.")
    return bytes(pdf.output())


def _zone(at: datetime) -> str:
    """Indonesia's zone names for its three offsets; any other offset as it is."""
    offset = at.utcoffset()
    hours = None if offset is None else offset.total_seconds() / 3600
    return {7.0: " WIB", 8.0: " WITA", 9.0: " WIT"}.get(hours or -1.0, f" (UTC{at.strftime('%z')})")


def pictures_of(folder: Path, event: dict[str, Any]) -> list[tuple[str, Path]]:
    """The letter's pictures: the redacted copy of each role wherever the event has one."""
    names = {role: str(item["name"]) for role, item in by_role(event, "image/jpeg").items()}
    return [(caption, folder / names[role]) for role, caption in PICTURES
            if role in names and Path(names[role]).name == names[role]]
