"""check_docx: a returned form that could harm the bot or a reader is refused, with a reason the business team can
act on, before anything parses it (reliability-security.md section 3.2); the files come from tests/hostile_docs."""

from __future__ import annotations

import io
import pickle
import random
import subprocess
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import docx
import pytest

from bot.documents.safety import DEFAULT_LIMITS, Limits, UnsafeDocument, check_docx, is_docx_bytes
from tests import hostile_docs as hostile
from tests.conftest import needs_libreoffice

ROOT = Path(__file__).resolve().parents[2]
PLAIN = [hostile.valid_docx, hostile.external_hyperlink, hostile.docx_with_image]
REFUSED = [  # builder, code, words the reason must contain
    (hostile.zip_bomb, "zip_bomb", "zip bomb"),
    (hostile.understated_bomb, "damaged", "damaged or incomplete"),
    (hostile.overlapping_members, "zip_bomb", "zip bomb"),
    (hostile.many_members, "too_many_parts", "too many internal parts"),
    (hostile.docm, "macro", "macros"),
    (hostile.with_vba_project, "macro", "macros"),
    (hostile.doctype_entity, "doctype", "DOCTYPE"),
    (hostile.billion_laughs, "doctype", "DOCTYPE"),
    (hostile.external_template, "external_relationship", "attached template from outside the file"),
    (hostile.ole_object, "ole_object", "embedded object"),
    (hostile.ole_content_type, "ole_object", "embedded object"),
    (hostile.activex, "ole_object", "ActiveX"),
    (hostile.path_traversal, "unsafe_name", "unsafe name"),
    (hostile.duplicate_parts, "damaged", "damaged"),
    (hostile.truncated, "damaged", "damaged or incomplete"),
    (hostile.bad_crc, "damaged", "damaged or incomplete"),
    (hostile.password_protected, "encrypted", "password-protected"),
    (hostile.old_doc, "not_docx", "older Word (.doc)"),
    (hostile.not_a_zip, "not_docx", "not a Word document"),
    (hostile.dotx, "not_docx", "not a Word document"),
]


def refusal(data: bytes, limits: Limits = DEFAULT_LIMITS) -> UnsafeDocument:
    with pytest.raises(UnsafeDocument) as caught:
        check_docx(data, limits)
    return caught.value


@contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Yields a list that holds, after the block, the most memory Python allocated inside it."""
    peak: list[int] = []
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


@pytest.fixture
def bomb() -> bytes:
    return hostile.zip_bomb()  # built once per run: the builder caches it


class TestCheckDocx:
    @pytest.mark.parametrize(("build", "code", "words"), REFUSED, ids=[row[0].__name__ for row in REFUSED])
    def test_refuses_each_hostile_file_with_its_own_code_and_a_reason(
            self, build: Callable[[], bytes], code: str, words: str) -> None:
        refused = refusal(build())
        assert refused.code == code
        assert words in refused.reason
        assert "ask the agency" in refused.reason

    @pytest.mark.parametrize("build", PLAIN, ids=[build.__name__ for build in PLAIN])
    def test_accepts_a_plain_document(self, build: Callable[[], bytes]) -> None:
        assert check_docx(build()) is None

    @pytest.mark.parametrize("path", sorted((ROOT / "templates" / "documents").glob("*.docx")), ids=lambda p: p.name)
    def test_accepts_the_partnership_templates_and_python_docx_opens_them(self, path: Path) -> None:
        data = path.read_bytes()
        check_docx(data)
        assert docx.Document(io.BytesIO(data)).paragraphs

    @pytest.mark.parametrize("build", PLAIN, ids=[build.__name__ for build in PLAIN])
    def test_python_docx_opens_every_document_it_accepts(self, build: Callable[[], bytes]) -> None:
        data = build()
        check_docx(data)
        assert docx.Document(io.BytesIO(data)).paragraphs
        assert is_docx_bytes(data)

    def test_the_reason_is_the_message_and_survives_pickling(self) -> None:
        refused = refusal(hostile.password_protected())
        copy = pickle.loads(pickle.dumps(refused))
        assert str(refused) == refused.reason
        assert (copy.code, copy.reason) == ("encrypted", refused.reason)
        assert isinstance(refused, ValueError)

    def test_refuses_a_file_one_byte_over_the_size_limit(self) -> None:
        data = hostile.valid_docx()
        check_docx(data, Limits(max_bytes=len(data)))
        assert refusal(data, Limits(max_bytes=len(data) - 1)).code == "too_large"

    def test_refuses_too_large_before_looking_inside(self) -> None:
        assert refusal(hostile.password_protected(), Limits(max_bytes=100)).code == "too_large"


class TestExternalRelationships:
    @pytest.mark.parametrize(("kind", "words"), [
        ("attachedTemplate", "an attached template"), ("oleObject", "a linked object"), ("frame", "a linked frame"),
        ("subDocument", "a linked sub-document"), ("image", "a file"),
    ])
    def test_refuses_each_external_target_word_would_load(self, kind: str, words: str) -> None:
        refused = refusal(hostile.external_relationship(kind))
        assert refused.code == "external_relationship"
        assert f"loads {words} from outside the file" in refused.reason

    def test_refuses_a_unc_template_that_would_leak_the_reader_s_windows_login(self) -> None:
        assert refusal(hostile.external_relationship(target="\\\\attacker.example\\share\\t.dotm")).code == \
            "external_relationship"

    def test_accepts_an_external_hyperlink_which_word_follows_only_when_clicked(self) -> None:
        check_docx(hostile.external_hyperlink())

    def test_refuses_a_relationship_to_a_part_that_is_not_there(self) -> None:
        assert refusal(hostile.dangling_relationship()).code == "damaged"


class TestDoctype:
    @pytest.mark.parametrize("build", [hostile.doctype_entity, hostile.billion_laughs,
                                       hostile.doctype_after_long_comment, hostile.doctype_utf16],
                             ids=lambda build: build.__name__)
    def test_refuses_a_doctype_however_it_is_hidden(self, build: Callable[[], bytes]) -> None:
        assert refusal(build()).code == "doctype"


class TestZipBombs:
    def test_refuses_the_bomb_without_opening_its_member(self, bomb: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
        real_open = zipfile.ZipFile.open

        def guarded_open(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kw: object) -> object:
            member = name.filename if isinstance(name, zipfile.ZipInfo) else name
            assert member != "word/media/image1.png", "the bomb member was opened"
            return real_open(self, name, *args, **kw)

        monkeypatch.setattr(zipfile.ZipFile, "open", guarded_open)
        assert refusal(bomb).code == "zip_bomb"

    def test_refuses_the_200_mb_bomb_in_well_under_a_megabyte_of_memory(self, bomb: bytes) -> None:
        with peak_memory() as peak:
            refusal(bomb)
        assert peak[0] < 1024 * 1024

    def test_refuses_a_bomb_under_the_total_limit_by_its_ratio_alone(self) -> None:
        small = hostile.zip_bomb(20 * hostile.MIB)
        assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(small)).infolist()) < Limits().max_uncompressed
        assert refusal(small).code == "zip_bomb"

    def test_stops_a_member_that_inflates_past_its_declared_size(self) -> None:
        data = hostile.understated_bomb()
        with peak_memory() as peak:
            assert refusal(data).code == "damaged"
        assert peak[0] < 4 * 1024 * 1024

    def test_refuses_a_package_over_the_total_uncompressed_limit_at_an_ordinary_ratio(self) -> None:
        assert refusal(hostile.valid_docx(), Limits(max_uncompressed=500_000)).code == "zip_bomb"

    def test_limits_the_ratio_of_each_member_not_only_the_whole(self) -> None:
        data = hostile.valid_docx()  # stylesWithEffects.xml deflates about 32:1, the package about 25:1
        check_docx(data, Limits(max_ratio=40))
        assert refusal(data, Limits(max_ratio=30)).code == "zip_bomb"

    def test_counts_members_before_zipfile_builds_its_directory(self) -> None:
        data = hostile.many_members(20_000)
        with peak_memory() as peak:
            assert refusal(data).code == "too_many_parts"
        assert peak[0] < 256 * 1024

    def test_accepts_exactly_the_member_limit(self) -> None:
        data = hostile.valid_docx()
        members = len(zipfile.ZipFile(io.BytesIO(data)).infolist())
        check_docx(data, Limits(max_members=members))
        assert refusal(data, Limits(max_members=members - 1)).code == "too_many_parts"


class TestIsDocxBytes:
    def test_knows_a_word_document_by_its_content_not_its_name(self) -> None:
        assert is_docx_bytes(hostile.valid_docx())

    @pytest.mark.parametrize("build", [hostile.not_a_zip, hostile.password_protected, hostile.old_doc, hostile.docm,
                                       hostile.dotx, hostile.truncated], ids=lambda build: build.__name__)
    def test_says_no_to_anything_else(self, build: Callable[[], bytes]) -> None:
        assert not is_docx_bytes(build())


class TestDamagedFiles:
    def test_every_mutated_document_is_refused_or_opens_in_python_docx(self) -> None:
        rng, outcomes, originals = random.Random(2026), set(), [hostile.valid_docx(), hostile.docx_with_image()]
        for _ in range(200):
            data = bytearray(rng.choice(originals))
            for _ in range(rng.choice([1, 2, 8])):
                data[rng.randrange(len(data))] = rng.randrange(256)
            try:
                check_docx(bytes(data[: rng.randrange(len(data))] if rng.random() < 0.1 else data))
            except UnsafeDocument as refused:
                outcomes.add(refused.code)
                continue
            docx.Document(io.BytesIO(bytes(data)))
            outcomes.add("opened")
        assert {"damaged", "opened"} <= outcomes


class TestLibreOffice:
    @needs_libreoffice
    def test_a_document_re_saved_by_libreoffice_is_accepted(self, tmp_path: Path) -> None:
        (tmp_path / "link.docx").write_bytes(hostile.external_hyperlink())
        (tmp_path / "picture.docx").write_bytes(hostile.docx_with_image())
        subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                        "--convert-to", "docx", "--outdir", str(tmp_path / "out"), str(tmp_path / "link.docx"),
                        str(tmp_path / "picture.docx")], check=True, capture_output=True, timeout=180)
        link, picture = (tmp_path / "out" / "link.docx").read_bytes(), (tmp_path / "out" / "picture.docx").read_bytes()
        check_docx(link)
        check_docx(picture)
        assert "Working Together 2023" in "".join(p.text for p in docx.Document(io.BytesIO(link)).paragraphs)
        assert docx.Document(io.BytesIO(picture)).inline_shapes
