"""Formats: parsing numbered lines into rows, header rules, and rendering records back."""

from __future__ import annotations

import io

import pytest

from rocketjob.formats import (
    ColumnRules,
    FormatError,
    cleanse_default,
    decode_lines,
    format_for_file_name,
    get_format,
    number_lines,
)


def rows(name: str, text: str, **options: object) -> list[tuple[int, object]]:
    return list(get_format(name, **options).rows(number_lines(io.StringIO(text))))


def render(name: str, records: list[object], columns: list[str] | None, **options: object) -> str:
    out = io.StringIO()
    writer = get_format(name, **options).writer(out, columns)
    writer.write_header()
    for record in records:
        writer.write(record)
    return out.getvalue()


def test_lines_strip_newlines_and_keep_blank_lines() -> None:
    assert rows("lines", "a\r\n\nb\n") == [(1, "a"), (2, ""), (3, "b")]


def test_csv_rows_report_the_line_each_record_starts_on() -> None:
    text = 'name,note\nann,"two\nlines"\n\nbob,x\n'
    assert rows("csv", text) == [
        (1, ["name", "note"]),
        (2, ["ann", "two\nlines"]),
        (5, ["bob", "x"]),
    ]


def test_csv_unbalanced_quote_names_the_line_it_opened_on() -> None:
    with pytest.raises(FormatError) as caught:
        rows("csv", 'a,b\n1,2\n3,"oops\n4,5\n')
    assert caught.value.line == 3
    assert "line 3" in str(caught.value)
    assert "unbalanced quotes" in str(caught.value)


def test_csv_garbage_after_a_closing_quote_is_an_error() -> None:
    with pytest.raises(FormatError, match=r"line 2: malformed CSV"):
        rows("csv", 'a,b\n"x"y,2\n')


def test_psv_splits_on_pipes_without_quoting() -> None:
    assert rows("psv", 'a|b\n"1"|2\n') == [(1, ["a", "b"]), (2, ['"1"', "2"])]


def test_json_lines_parse_objects_and_name_bad_lines() -> None:
    assert rows("json", '{"a": 1}\n\n{"a": 2}\n') == [(1, {"a": 1}), (3, {"a": 2})]
    with pytest.raises(FormatError, match=r"line 2: invalid JSON"):
        rows("json", '{"a": 1}\n{"a": \n')
    with pytest.raises(FormatError, match=r"line 1: expected a JSON object, got list"):
        rows("json", "[1, 2]\n")


def test_fixed_width_slices_fields_and_rejects_wrong_lengths() -> None:
    layout = [("name", 5), ("qty", 3)]
    assert rows("fixed", "ann    7\nbob   12\n", layout=layout) == [
        (1, ["ann", "7"]),
        (2, ["bob", "12"]),
    ]
    with pytest.raises(FormatError, match=r"line 2: 5 characters, but the fixed layout is 8"):
        rows("fixed", "ann    7\nbob 1\n", layout=layout)
    with pytest.raises(FormatError, match="layout"):
        rows("fixed", "x\n")


def test_decode_lines_names_the_line_with_invalid_bytes() -> None:
    data = io.BytesIO(b"\xef\xbb\xbfok\nstill ok\ncaf\xe9\n")
    lines = decode_lines(data, "utf-8")
    assert next(lines) == (1, "ok\n")
    assert next(lines) == (2, "still ok\n")
    with pytest.raises(FormatError) as caught:
        next(lines)
    assert caught.value.line == 3
    assert "not valid utf-8" in str(caught.value)
    assert list(decode_lines(io.BytesIO(b"caf\xe9\n"), "latin-1")) == [(1, "café\n")]


def test_default_header_cleanser() -> None:
    assert cleanse_default(" First Name ") == "first_name"
    assert cleanse_default("Amount ($)") == "amount"
    assert cleanse_default("e-mail.Address") == "e_mail_address"


def test_column_rules_accept_cleansed_names() -> None:
    rules = ColumnRules(required=("First Name",), allowed=("first_name", "age"))
    assert rules.apply(["First Name", "AGE"]) == ["first_name", "age"]


@pytest.mark.parametrize(
    ("rules", "header", "message"),
    [
        (ColumnRules(required=("id",)), ["name"], "missing required column(s) ['id']"),
        (ColumnRules(allowed=("id",)), ["id", "extra"], "unknown column(s) ['extra']"),
        (ColumnRules(), ["id", "ID"], "duplicate column(s) ['id']"),
        (ColumnRules(), ["id", " "], "header column 2 has no name"),
    ],
)
def test_column_rules_reject_bad_headers_naming_the_line(
    rules: ColumnRules, header: list[str], message: str
) -> None:
    with pytest.raises(FormatError) as caught:
        rules.apply(header, line=1)
    assert str(caught.value).startswith("line 1: ")
    assert message in str(caught.value)


def test_skip_unknown_blanks_unknown_columns() -> None:
    rules = ColumnRules(allowed=("id",), skip_unknown=True)
    assert rules.apply(["id", "junk"]) == ["id", ""]


def test_csv_writer_renders_header_dicts_lists_and_quotes() -> None:
    text = render("csv", [{"a": 1, "b": "x,y"}, [2, None], {"b": "z"}], ["a", "b"])
    assert text == 'a,b\n1,"x,y"\n2,\n,z\n'


def test_psv_writer_replaces_pipes_and_newlines() -> None:
    assert render("psv", [{"a": "x|y", "b": "1\n2"}], ["a", "b"]) == "a|b\nx:y|1 2\n"


def test_json_and_fixed_writers() -> None:
    assert render("json", [{"a": "é"}], None) == '{"a": "é"}\n'
    layout = [("name", 4), ("n", 2)]
    assert render("fixed", [{"name": "ab", "n": 7}], None, layout=layout) == "ab  7 \n"
    with pytest.raises(FormatError, match="wider than 2"):
        render("fixed", [{"name": "ab", "n": 700}], None, layout=layout)


def test_format_for_file_name_ignores_compression() -> None:
    assert format_for_file_name("data.CSV.gz") == "csv"
    assert format_for_file_name("x.jsonl.bz2") == "json"
    assert format_for_file_name("x.psv.zip") == "psv"
    assert format_for_file_name("x.dat") == "lines"


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        get_format("xml")
