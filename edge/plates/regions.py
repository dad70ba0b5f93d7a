"""Region codes of Indonesian plates (kode wilayah TNKB) and the area each one covers.

The code is the first one or two letters of a plate. Codes follow the old residency
(karesidenan) borders, so one province can have several codes (Jawa Barat: D, E, F, T, Z) and
one code can span two provinces (B: Jakarta with Depok, Bekasi and Tangerang, all under Polda
Metro Jaya). PS, PT, PG and PY were assigned after the 2022 split of Papua into new
provinces; check the table against Korlantas' current list before a deployment outside Java.

>>> REGIONS["DD"].province
'Sulawesi Selatan'
>>> "C" in REGIONS, "I" in REGIONS
(False, False)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DIPLOMATIC_PREFIXES", "REGIONS", "Region"]


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    province: str
    area: str


# Prefixes of foreign missions' plates: corps diplomatique and corps consulaire.
DIPLOMATIC_PREFIXES = ("CD", "CC")

_TABLE: tuple[tuple[str, str, str], ...] = (
    # Sumatera
    ("BL", "Aceh", "Aceh"),
    ("BB", "Sumatera Utara", "Tapanuli: Sibolga, Padang Sidempuan, Tarutung, Nias"),
    ("BK", "Sumatera Utara", "Medan, Binjai, Deli Serdang, Pematangsiantar, Tebing Tinggi"),
    ("BA", "Sumatera Barat", "Sumatera Barat: Padang, Bukittinggi"),
    ("BM", "Riau", "Riau: Pekanbaru, Dumai"),
    ("BP", "Kepulauan Riau", "Kepulauan Riau: Batam, Tanjung Pinang"),
    ("BH", "Jambi", "Jambi"),
    ("BD", "Bengkulu", "Bengkulu"),
    ("BG", "Sumatera Selatan", "Sumatera Selatan: Palembang"),
    ("BN", "Kepulauan Bangka Belitung", "Bangka Belitung: Pangkal Pinang"),
    ("BE", "Lampung", "Lampung: Bandar Lampung"),
    # Jawa
    ("A", "Banten", "Serang, Cilegon, Pandeglang, Lebak"),
    ("B", "DKI Jakarta", "Jakarta, Depok, Bekasi, Tangerang (Polda Metro Jaya)"),
    ("D", "Jawa Barat", "Bandung, Cimahi, Bandung Barat"),
    ("E", "Jawa Barat", "Cirebon, Indramayu, Majalengka, Kuningan"),
    ("F", "Jawa Barat", "Bogor, Sukabumi, Cianjur"),
    ("T", "Jawa Barat", "Karawang, Purwakarta, Subang"),
    ("Z", "Jawa Barat", "Priangan Timur: Garut, Tasikmalaya, Sumedang, Ciamis, Banjar, Pangandaran"),
    ("G", "Jawa Tengah", "Pekalongan, Tegal, Brebes, Batang, Pemalang"),
    ("H", "Jawa Tengah", "Semarang, Salatiga, Kendal, Demak"),
    ("K", "Jawa Tengah", "Pati, Kudus, Jepara, Rembang, Blora, Grobogan"),
    ("R", "Jawa Tengah", "Banyumas, Cilacap, Purbalingga, Banjarnegara"),
    ("AA", "Jawa Tengah", "Kedu: Magelang, Purworejo, Kebumen, Temanggung, Wonosobo"),
    ("AD", "Jawa Tengah", "Surakarta, Sukoharjo, Boyolali, Klaten, Sragen, Karanganyar, Wonogiri"),
    ("AB", "DI Yogyakarta", "Yogyakarta, Sleman, Bantul, Kulon Progo, Gunungkidul"),
    ("L", "Jawa Timur", "Surabaya"),
    ("M", "Jawa Timur", "Madura: Bangkalan, Sampang, Pamekasan, Sumenep"),
    ("N", "Jawa Timur", "Malang, Batu, Pasuruan, Probolinggo, Lumajang"),
    ("P", "Jawa Timur", "Besuki: Jember, Banyuwangi, Bondowoso, Situbondo"),
    ("S", "Jawa Timur", "Bojonegoro, Tuban, Lamongan, Mojokerto, Jombang"),
    ("W", "Jawa Timur", "Sidoarjo, Gresik"),
    ("AE", "Jawa Timur", "Madiun, Ngawi, Magetan, Ponorogo, Pacitan"),
    ("AG", "Jawa Timur", "Kediri, Blitar, Tulungagung, Nganjuk, Trenggalek"),
    # Bali and Nusa Tenggara
    ("DK", "Bali", "Bali"),
    ("DR", "Nusa Tenggara Barat", "Lombok"),
    ("EA", "Nusa Tenggara Barat", "Sumbawa, Bima, Dompu"),
    ("DH", "Nusa Tenggara Timur", "Timor: Kupang, Rote, Sabu, Alor"),
    ("EB", "Nusa Tenggara Timur", "Flores"),
    ("ED", "Nusa Tenggara Timur", "Sumba"),
    # Kalimantan
    ("KB", "Kalimantan Barat", "Kalimantan Barat: Pontianak"),
    ("DA", "Kalimantan Selatan", "Kalimantan Selatan: Banjarmasin"),
    ("KH", "Kalimantan Tengah", "Kalimantan Tengah: Palangka Raya"),
    ("KT", "Kalimantan Timur", "Kalimantan Timur: Samarinda, Balikpapan"),
    ("KU", "Kalimantan Utara", "Kalimantan Utara: Tanjung Selor, Tarakan"),
    # Sulawesi
    ("DB", "Sulawesi Utara", "Manado, Bitung, Tomohon, Minahasa, Bolaang Mongondow"),
    ("DL", "Sulawesi Utara", "Sangihe, Talaud, Sitaro islands"),
    ("DM", "Gorontalo", "Gorontalo"),
    ("DN", "Sulawesi Tengah", "Sulawesi Tengah: Palu"),
    ("DT", "Sulawesi Tenggara", "Sulawesi Tenggara: Kendari"),
    ("DD", "Sulawesi Selatan", "Makassar, Gowa, Maros, Takalar and the south"),
    ("DP", "Sulawesi Selatan", "Parepare, Pinrang, Sidrap, Barru, Enrekang, Luwu, Toraja"),
    ("DW", "Sulawesi Selatan", "Bone, Wajo, Soppeng"),
    ("DC", "Sulawesi Barat", "Sulawesi Barat: Mamuju"),
    # Maluku and Papua
    ("DE", "Maluku", "Maluku: Ambon"),
    ("DG", "Maluku Utara", "Maluku Utara: Ternate, Sofifi"),
    ("PA", "Papua", "Papua: Jayapura"),
    ("PB", "Papua Barat", "Papua Barat: Manokwari"),
    ("PS", "Papua Selatan", "Papua Selatan: Merauke"),
    ("PT", "Papua Tengah", "Papua Tengah: Nabire"),
    ("PG", "Papua Pegunungan", "Papua Pegunungan: Wamena"),
    ("PY", "Papua Barat Daya", "Papua Barat Daya: Sorong"),
)

REGIONS: dict[str, Region] = {code: Region(code, province, area) for code, province, area in _TABLE}
