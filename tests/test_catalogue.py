"""The procedure catalogue: the shipped starter content, validation errors, search."""

from __future__ import annotations

import json
import tomllib
import unicodedata
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.catalogue import (
    DEFAULT_CATALOGUE,
    DEFAULT_SERVICES,
    DOCUMENT_PICTURES,
    Catalogue,
    CatalogueError,
    fold,
    load_catalogue,
    load_or_keep,
)
from kiosk.paths import FONT_REGULAR, ICONS

MINIMAL = """\
schema_version = 1
starter = true
title = { vi = "Thủ tục", en = "Procedures" }

[categories]
civil_status = { vi = "Hộ tịch", en = "Civil status" }

[[procedures]]
code = "T-1"
category = "civil_status"
service = "A"
name = { vi = "Đăng ký khai sinh", en = "Birth registration" }
for_whom = { vi = "Cha mẹ", en = "Parents" }
documents = [{ text = { vi = "Tờ khai", en = "Form" }, original = true, copies = 0 }]
fee = { vi = "Miễn", en = "Free" }
time_limit = { vi = "Ngay", en = "At once" }
steps.vi = ["Nộp hồ sơ"]
steps.en = ["Apply"]
legal_basis = [{ document = "60/2014/QH13", title = { vi = "Luật Hộ tịch" }, articles = ["16"] }]
portal_url = "https://dichvucong.gov.vn"
reviewed = 2026-11-28
"""


@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    return load_catalogue(DEFAULT_CATALOGUE)


def write(tmp_path: Path, text: str, name: str = "procedures.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the shipped starter catalogue ---------------------------------------------------


def test_shipped_catalogue_is_a_complete_starter(shipped: Catalogue) -> None:
    assert shipped.starter  # the UI must be able to say it is not the official list
    assert len(shipped.procedures) >= 15
    assert "STARTER CATALOGUE" in DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    for proc in shipped.procedures:
        assert {"vi", "en"} <= proc.name.keys(), proc.code
        for doc in proc.documents:
            assert {"vi", "en"} <= doc.text.keys(), proc.code
        for field in ("for_whom", "fee", "time_limit", "steps"):
            assert {"vi", "en"} <= getattr(proc, field).keys(), (proc.code, field)
        assert proc.documents and proc.legal_basis, proc.code
        assert proc.service in DEFAULT_SERVICES, proc.code
        assert proc.reviewed.isoformat() == "2026-11-28"


def test_every_document_has_a_picture_that_exists(shipped: Catalogue) -> None:
    assert all((ICONS / f"{name}.png").is_file() for name in DOCUMENT_PICTURES)
    pictures = [d.picture for p in shipped.procedures for d in p.documents]
    assert set(pictures) <= set(DOCUMENT_PICTURES)
    # The shipped list names its pictures: forms, ID cards and certificates all appear.
    assert {"form", "id_card", "certificate"} <= set(pictures)
    text = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    assert text.count("picture = ") == len(pictures)


def test_shipped_catalogue_covers_the_commune_areas(shipped: Catalogue) -> None:
    assert set(shipped.categories()) >= {
        "civil_status", "residence", "certification", "social", "land", "business",
    }  # fmt: skip
    assert {p.service for p in shipped.procedures} == set(DEFAULT_SERVICES)


def test_text_falls_back_to_vietnamese(tmp_path: Path) -> None:
    cat = load_catalogue(write(tmp_path, MINIMAL))
    proc = cat.procedures[0]
    assert cat.text(proc, "name", "en").value == "Birth registration"
    assert not cat.text(proc, "name", "en").fell_back
    fallback = cat.text(proc, "name", "kpm")
    assert (fallback.value, fallback.fell_back, fallback.lang) == ("Đăng ký khai sinh", True, "vi")
    assert cat.steps(proc, "rad").value == ("Nộp hồ sơ",)
    assert cat.category_name("civil_status", "kpm").fell_back
    with pytest.raises(ValueError):
        cat.text(proc, "code", "vi")


# --- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ('for_whom = { vi = "Cha mẹ", en = "Parents" }\n', "", "for_whom", "missing"),
        ("copies = 0", 'copies = "two"', "documents[0].copies", "whole number"),
        ("original = true", "original = 1", "documents[0].original", "true or false"),
        ("copies = 0 }", 'copies = 0, picture = "pen" }', "documents[0].picture", "one of form"),
        ("copies = 0 }", "copies = 0, copy = 1 }", "documents[0].copy", "unknown field"),
        ('en = "Birth registration"', 'EN = "Birth registration"', "name.EN", "language tag"),
        ('en = "Birth registration"', 'en-GB = "Birth"', "name.en-GB", "language tag"),
        ('service = "A"', 'service = "Q"', "service", "unknown service letter"),
        ('name = { vi = "Đăng ký khai sinh", ', "name = { ", "name", "Vietnamese"),
        ("reviewed = 2026-11-28", 'reviewed = "2026-11-28"', "reviewed", "date"),
        ('category = "civil_status"', 'category = "tax"', "category", "unknown category"),
        ('portal_url = "https://', 'portal_url = "http://', "portal_url", "https"),
        # A misspelt key is named as such rather than reported as a missing field.
        ('fee = { vi = "Miễn"', 'fees = { vi = "Miễn"', "fees", "unknown field"),
    ],
)
def test_invalid_content_names_file_field_and_problem(
    tmp_path: Path, old: str, new: str, field: str, problem: str
) -> None:
    assert old in MINIMAL
    path = write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    err = info.value
    assert err.file == str(path)
    assert err.field.endswith(field), err.field
    assert "(T-1)" in err.field  # the procedure's code, to find the entry in the file
    assert problem in err.problem
    assert str(err).startswith(f"{path}: ") and "\n" not in str(err)


def test_language_not_in_the_kiosk_list_is_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace('en = "Parents"', 'fr = "Parents"'))
    load_catalogue(path)  # well-formed tag: fine when no list is given
    with pytest.raises(CatalogueError, match=r"for_whom\.fr: unknown language tag"):
        load_catalogue(path, languages={"vi", "en", "kpm", "rad"})


def test_unknown_procedure_key_and_duplicate_code(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="portal: unknown field"):
        load_catalogue(write(tmp_path, MINIMAL + 'portal = "x"\n'))
    block = MINIMAL[MINIMAL.index("[[procedures]]") :]
    with pytest.raises(CatalogueError, match="duplicate code"):
        load_catalogue(write(tmp_path, MINIMAL + "\n" + block))


def test_unreadable_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match=r"\(file\): cannot be read"):
        load_catalogue(tmp_path / "absent.toml")
    with pytest.raises(CatalogueError, match="not valid TOML"):
        load_catalogue(write(tmp_path, "name = [unclosed"))
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("title = 'Hộ tịch'".encode("utf-16"))
    with pytest.raises(CatalogueError, match="not UTF-8"):
        load_catalogue(bad)


def test_load_or_keep_keeps_the_last_valid_catalogue(tmp_path: Path) -> None:
    good = write(tmp_path, MINIMAL)
    first, err = load_or_keep(good, None)
    assert first is not None and err is None
    broken = write(tmp_path, MINIMAL.replace('service = "A"', "service = 5"), "update.toml")
    kept, err = load_or_keep(broken, first)
    assert kept is first
    assert err is not None and err.file == str(broken) and err.field.endswith("service")
    none, err = load_or_keep(broken, None)
    assert none is None and err is not None


# --- search ------------------------------------------------------------------------------


def test_search_without_diacritics(shipped: Catalogue) -> None:
    hits = shipped.search("khai sinh", "vi")
    assert hits and hits[0].name["vi"] == "Đăng ký khai sinh"
    assert shipped.search("dang ky khai tu", "vi")[0].code == "HT-03"
    copies = shipped.search("chung thuc", "vi")
    assert "Chứng thực bản sao từ bản chính" in [p.name["vi"] for p in copies]
    assert shipped.search("CHỨNG THỰC BẢN SAO", "vi")[0].code == "CTH-01"


def test_search_prefix_english_and_ranking(shipped: Catalogue) -> None:
    assert shipped.search("birth", "en")[0].name["en"] == "Birth registration"
    assert shipped.search("marr reg", "en")[0].code == "HT-02"  # word prefixes
    # Vietnamese typed on the English screen still works.
    assert shipped.search("ket hon", "en")[0].code == "HT-02"
    # Name matches come before matches in other fields ('for whom', category).
    codes = [p.code for p in shipped.search("khai sinh", "vi")]
    assert codes[0] == "HT-01" and len(codes) >= 2


def test_search_empty_or_unmatched(shipped: Catalogue) -> None:
    assert shipped.search("", "vi") == []
    assert shipped.search("   ?!  ", "en") == []
    assert shipped.search("zzzzqqq", "vi") == []


def test_fold() -> None:
    assert fold("Đăng ký khai sinh") == "dang ky khai sinh"
    assert fold(unicodedata.normalize("NFD", "Chứng thực")) == "chung thuc"


@given(st.text())
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_search_never_raises(query: str) -> None:
    cat = load_catalogue(DEFAULT_CATALOGUE)
    for lang in ("vi", "en", "kpm"):
        assert isinstance(cat.search(query, lang), list)


# --- robustness against arbitrary files ----------------------------------------------------

_TOMLISH = st.one_of(
    st.binary(max_size=400),
    st.text(alphabet=st.sampled_from('[]{}=".,\n 0123456789abcvientruefals-_ đĐ#'), max_size=300),
    # Mutations of a valid file: drop or duplicate a slice so most fields are nearly right.
    st.tuples(st.integers(0, len(MINIMAL)), st.integers(0, 80), st.booleans()).map(
        lambda t: (
            MINIMAL[: t[0]] + MINIMAL[t[0] + t[1] :]
            if t[2]
            else MINIMAL[: t[0]] + MINIMAL[t[0] : t[0] + t[1]] * 2 + MINIMAL[t[0] + t[1] :]
        )
    ),
)


@given(_TOMLISH)
@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_loader_raises_only_catalogue_error(tmp_path: Path, content: bytes | str) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    try:
        cat = load_catalogue(path)
    except CatalogueError as err:
        assert err.file == str(path) and err.field and err.problem
        assert "\n" not in str(err)
    else:
        assert all("vi" in p.name for p in cat.procedures)


# Letters and digits only, so the generated TOML is always valid and the loader is what's tested.
_WORD = st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=6)


@given(
    st.dictionaries(
        _WORD,
        st.one_of(_WORD, st.integers(), st.booleans(), st.lists(st.integers())),
        max_size=4,
    )
)
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_loader_rejects_wrong_shapes_with_catalogue_error(
    tmp_path: Path, junk: dict[str, object]
) -> None:
    # A well-formed TOML file with the right top level but a junk procedure.
    inline = ", ".join(
        f"{json.dumps(k, ensure_ascii=False)} = {_toml_value(v)}" for k, v in junk.items()
    )
    text = MINIMAL[: MINIMAL.index("[[procedures]]")] + f"procedures = [{{ {inline} }}]\n"
    tomllib.loads(text)  # the generator itself must make valid TOML
    path = write(tmp_path, text, "junk.toml")
    with pytest.raises(CatalogueError):
        load_catalogue(path)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


# --- the bundled font draws every text -----------------------------------------------------


def _all_texts(cat: Catalogue) -> list[str]:
    out = [*cat.title.values()]
    for names in cat.category_names.values():
        out += names.values()
    for proc in cat.procedures:
        for field in ("name", "for_whom", "fee", "time_limit"):
            out += getattr(proc, field).values()
        for steps in proc.steps.values():
            out += steps
        for doc in proc.documents:
            out += doc.text.values()
        for cite in proc.legal_basis:
            out += [cite.document, *cite.title.values(), *cite.articles]
    return out


def test_bundled_font_covers_every_text(shipped: Catalogue) -> None:
    cmap = TTFont(FONT_REGULAR).getBestCmap()
    missing: set[str] = set()
    texts = _all_texts(shipped)
    assert len(texts) > 10 * len(shipped.procedures) > 0  # every field of every procedure
    for text in texts:
        for form in ("NFC", "NFD"):
            missing |= {c for c in unicodedata.normalize(form, text) if ord(c) not in cmap}
    assert not missing, sorted(f"U+{ord(c):04X}" for c in missing)
