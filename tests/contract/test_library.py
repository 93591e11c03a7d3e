"""The Library contract, run against every implementation (see the `library` fixture)."""

from __future__ import annotations

import pytest

from bot.ports import Document, Library, UnsafePath

FORM = b"PK\x03\x04 agency return for Child A \x00\xff" * 10

UNSAFE_PATHS = ["../x", "/abs", "a/../../b", "a\\b", ".hidden", "", "forms/.hidden", "a/..", "..", ".",
                "a\x00b"]
UNSAFE_CASE_REFS = ["../RR", "a/b", "", ".RR", "..", "RR\\1", "/RR"]


class TestLibraryContract:
    def test_the_implementation_satisfies_the_port(self, library: Library) -> None:
        assert isinstance(library, Library)

    def test_a_saved_document_reads_back_byte_for_byte(self, library: Library) -> None:
        doc = library.save("RR-2025-001", "returns/police.docx", FORM)

        assert doc == Document("RR-2025-001", "returns/police.docx", len(FORM))
        assert library.read("RR-2025-001", "returns/police.docx") == FORM

    def test_an_empty_document_can_be_saved_and_read(self, library: Library) -> None:
        assert library.save("RR-1", "empty.txt", b"").size == 0
        assert library.read("RR-1", "empty.txt") == b""

    def test_saving_at_the_same_path_replaces_the_document(self, library: Library) -> None:
        library.save("RR-1", "forms/request.pdf", b"first version, rather longer")
        doc = library.save("RR-1", "forms/request.pdf", b"second")

        assert doc.size == 6
        assert library.read("RR-1", "forms/request.pdf") == b"second"
        assert library.list("RR-1") == [Document("RR-1", "forms/request.pdf", 6)]

    def test_documents_of_different_cases_are_kept_apart(self, library: Library) -> None:
        library.save("RR-1", "report.docx", b"case one")
        library.save("RR-2", "report.docx", b"case two")

        assert library.read("RR-1", "report.docx") == b"case one"
        assert library.read("RR-2", "report.docx") == b"case two"
        assert [d.case_ref for d in library.list("RR-2")] == ["RR-2"]

    def test_list_returns_every_document_of_a_case_sorted_by_path(self, library: Library) -> None:
        for path, data in [("returns/police.docx", b"p"), ("chronology.pdf", b"cc"), ("forms/b.pdf", b"bbb"),
                           ("forms/a.pdf", b"aaaa"), ("returns/health.docx", b"hhhhh")]:
            library.save("RR-1", path, data)
        library.save("RR-2", "other.pdf", b"x")

        assert library.list("RR-1") == [
            Document("RR-1", "chronology.pdf", 2),
            Document("RR-1", "forms/a.pdf", 4),
            Document("RR-1", "forms/b.pdf", 3),
            Document("RR-1", "returns/health.docx", 5),
            Document("RR-1", "returns/police.docx", 1),
        ]

    def test_list_with_a_folder_returns_only_documents_under_it(self, library: Library) -> None:
        library.save("RR-1", "returns/police.docx", b"p")
        library.save("RR-1", "returns/late/health.docx", b"h")
        library.save("RR-1", "returns-old/edu.docx", b"e")
        library.save("RR-1", "chronology.pdf", b"c")

        assert [d.path for d in library.list("RR-1", "returns")] == ["returns/late/health.docx",
                                                                     "returns/police.docx"]
        assert [d.path for d in library.list("RR-1", "returns/late")] == ["returns/late/health.docx"]
        assert library.list("RR-1", "nothing-here") == []

    def test_a_case_without_documents_lists_nothing(self, library: Library) -> None:
        assert library.list("RR-9") == []

    def test_reading_a_missing_document_raises_file_not_found(self, library: Library) -> None:
        library.save("RR-1", "forms/a.pdf", b"a")
        with pytest.raises(FileNotFoundError):
            library.read("RR-1", "forms/b.pdf")
        with pytest.raises(FileNotFoundError):
            library.read("RR-2", "forms/a.pdf")

    def test_reading_a_folder_as_a_document_raises_file_not_found(self, library: Library) -> None:
        library.save("RR-1", "forms/a.pdf", b"a")
        with pytest.raises(FileNotFoundError):
            library.read("RR-1", "forms")

    @pytest.mark.parametrize("path", UNSAFE_PATHS)
    def test_an_unsafe_document_path_is_refused(self, library: Library, path: str) -> None:
        with pytest.raises(UnsafePath):
            library.save("RR-1", path, b"x")
        with pytest.raises(UnsafePath):
            library.read("RR-1", path)
        assert library.list("RR-1") == []

    @pytest.mark.parametrize("folder", ["../RR-2", "/abs", "a/../../b", "a\\b", ".hidden"])
    def test_an_unsafe_folder_is_refused_by_list(self, library: Library, folder: str) -> None:
        library.save("RR-2", "secret.docx", b"other case")
        with pytest.raises(UnsafePath):
            library.list("RR-1", folder)

    @pytest.mark.parametrize("case_ref", UNSAFE_CASE_REFS)
    def test_an_unsafe_case_reference_is_refused_by_save_and_read(self, library: Library, case_ref: str) -> None:
        with pytest.raises(UnsafePath):
            library.save(case_ref, "report.docx", b"x")
        with pytest.raises(UnsafePath):
            library.read(case_ref, "report.docx")

    @pytest.mark.parametrize("case_ref", UNSAFE_CASE_REFS)
    def test_an_unsafe_case_reference_is_refused_by_list(self, library: Library, case_ref: str) -> None:
        library.save("RR-2", "secret.docx", b"other case")
        with pytest.raises(UnsafePath):
            library.list(case_ref)

    def test_a_deleted_document_can_no_longer_be_read_or_listed(self, library: Library) -> None:
        library.save("RR-1", "returns/police.docx", b"p")
        library.save("RR-1", "report.docx", b"r")

        library.delete("RR-1", "returns/police.docx")

        with pytest.raises(FileNotFoundError):
            library.read("RR-1", "returns/police.docx")
        assert library.list("RR-1") == [Document("RR-1", "report.docx", 1)]

    def test_deleting_a_missing_document_is_harmless(self, library: Library) -> None:
        library.save("RR-1", "report.docx", b"r")

        library.delete("RR-1", "returns/police.docx")
        library.delete("RR-2", "report.docx")

        assert library.read("RR-1", "report.docx") == b"r"

    @pytest.mark.parametrize("path", ["../RR-2/secret.docx", "/abs", ".hidden"])
    def test_an_unsafe_path_is_refused_by_delete(self, library: Library, path: str) -> None:
        library.save("RR-2", "secret.docx", b"other case")
        with pytest.raises(UnsafePath):
            library.delete("RR-1", path)
        assert library.read("RR-2", "secret.docx") == b"other case"
