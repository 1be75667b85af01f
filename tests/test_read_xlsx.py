"""A real xlsx workbook (written with xlsxwriter) with all 11 lists, title rows, real date cells and numeric ids,
read through fastexcel/calamine."""

from __future__ import annotations

from datetime import date, datetime

import xlsxwriter
from tests.test_read_support import CODE_SETS, TABLES, definitions

from csc_metrics.io import ROW, read_inputs
from csc_metrics.spec.tables import ColumnType

DAY = date(2025, 3, 2)


def cell(column, i: int, code_sets=CODE_SETS):
    """A realistic cell for a column: (value, how to write it)."""
    if column.type is ColumnType.ID:
        return 1001 + i, "number"
    if column.type is ColumnType.DATE:
        return datetime(DAY.year, DAY.month, DAY.day - i), "date"
    if column.type is ColumnType.CODE:
        code = code_sets[column.code_set].codes[-1]
        return f"z) {code.code}: {code.label}", "string"
    if column.type is ColumnType.YES_NO:
        return "a) Yes", "string"
    if column.type is ColumnType.INTEGER:
        return 2.0 if not column.allow_fraction else 6.138, "number"
    return "text", "string"


def write_workbook(path, start_col: int = 0, tables=TABLES, code_sets=CODE_SETS) -> None:
    wb = xlsxwriter.Workbook(str(path))
    fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    notes = wb.add_worksheet("Notes")
    notes.write(0, 0, "Annex A extract produced for inspection")
    for t in tables:
        ws = wb.add_worksheet(f"List {t.annex_a_list}")
        ws.write(0, start_col, f"{t.title} - extract")  # title row; row 2 left blank
        for j, c in enumerate(t.columns):
            ws.write_string(2, start_col + j, c.header)
            for i in range(2):
                value, how = cell(c, i, code_sets)
                if how == "date":
                    ws.write_datetime(3 + i, start_col + j, value, fmt)
                elif how == "number":
                    ws.write_number(3 + i, start_col + j, value)
                else:
                    ws.write_string(3 + i, start_col + j, value)
    wb.close()


def test_workbook_with_all_lists_title_rows_date_cells_and_numeric_ids(tmp_path):
    path = tmp_path / "annex_a.xlsx"
    write_workbook(path)
    result = read_inputs([path], definitions(), today=date(2025, 10, 1))
    assert sorted(result.tables) == sorted(t.id for t in TABLES)
    assert result.unrecognised == [{"path": str(path), "sheet": "Notes", "reason": "headers match no table"}]
    assert [d for d in result.diagnostics if d.is_error] == []
    for t in TABLES:
        data = result.tables[t.id]
        (source,) = data.sources
        assert (source.sheet, source.rows, source.skipped_rows, source.encoding) == (f"List {t.annex_a_list}", 2, 2, None)
        assert data.frame[ROW].to_list() == [4, 5]  # header on Excel row 3
        assert data.frame[t.child_id].to_list() == ["1001", "1002"]
        assert source.coverage == (date(2025, 3, 1), date(2025, 3, 2))
        for c in t.columns:
            got = data.frame[c.name].to_list()
            if c.type is ColumnType.DATE:
                assert got == [date(2025, 3, 2), date(2025, 3, 1)], (t.id, c.name)
            elif c.type is ColumnType.CODE:
                assert got == [CODE_SETS[c.code_set].codes[-1].code] * 2, (t.id, c.name)
            elif c.type is ColumnType.YES_NO:
                assert got == ["Y", "Y"]
            elif c.type is ColumnType.INTEGER:
                assert got == ([6, 6] if c.allow_fraction else [2, 2])


def test_columns_offset_in_the_sheet_keep_their_excel_letters(tmp_path):
    path = tmp_path / "offset.xlsx"
    write_workbook(path, start_col=2)
    wb = xlsxwriter.Workbook(str(tmp_path / "bad.xlsx"))
    ws = wb.add_worksheet("Referrals")
    l3 = next(t for t in TABLES if t.annex_a_list == 3)
    for j, c in enumerate(l3.columns):
        ws.write_string(0, 1 + j, c.header)
        ws.write_string(1, 1 + j, "31/02/2025" if c.name == "referral_date" else str(cell(c, 0)[0]))
    wb.close()
    result = read_inputs([tmp_path / "bad.xlsx"], definitions(), today=date(2025, 10, 1))
    (source,) = result.tables["annex_a_list_3"].sources
    letters = {h["column"]: h["letter"] for h in source.headers}
    assert letters["child_id"] == "B" and letters["referral_date"] == "G"
    (bad,) = [d for d in result.diagnostics if d.code == "CSC201"]
    assert (bad.sheet, bad.line, bad.column, bad.value) == ("Referrals", 2, "G", "31/02/2025")
    offset = read_inputs([path], definitions(), today=date(2025, 10, 1))
    assert offset.tables["annex_a_list_1"].sources[0].headers[0]["letter"] == "C"


def test_shipped_definitions_recognise_every_list_in_a_workbook(tmp_path):
    from csc_metrics.spec.loader import load_definitions, standard_definitions_path

    defs = load_definitions([standard_definitions_path() / "tables"]).definitions
    tables = sorted((t for t in defs.tables.values() if t.annex_a_list), key=lambda t: t.annex_a_list)
    assert len(tables) == 11
    path = tmp_path / "annex_a.xlsx"
    write_workbook(path, tables=tables, code_sets=defs.code_sets)
    result = read_inputs([path], defs, today=date(2025, 10, 1))
    assert sorted(result.tables) == sorted(t.id for t in tables)
    assert [d.render() for d in result.diagnostics if d.is_error] == []
    for t in tables:
        frame = result.tables[t.id].frame
        assert frame.height == 2 and frame[ROW].to_list() == [4, 5]
        for c in t.columns:
            if c.type is ColumnType.CODE:
                assert frame[c.name].to_list() == [defs.code_sets[c.code_set].codes[-1].code] * 2, (t.id, c.name)
