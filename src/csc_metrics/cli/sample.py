"""`csc-metrics sample`: write a synthetic Annex A extract."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from csc_metrics.cli import app
from csc_metrics.cli.common import err_console
from csc_metrics.errors import ConfigError


class SampleFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the lists into (created if needed).")],
    children: Annotated[int, typer.Option("--children", help="The LA's population aged 0-17, e.g. 45079.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same files.")] = 1,
    years: Annotated[int, typer.Option("--years", help="Financial years ending at --end (plus 12 months' history).")] = 2,
    end: Annotated[str, typer.Option("--end", help="Extract date, the last day of the last year (YYYY-MM-DD).")] = (
        "2025-03-31"
    ),
    messy: Annotated[bool, typer.Option("--messy", help="Add real-world defects for `validate` to find.")] = False,
    fmt: Annotated[SampleFormat, typer.Option("--format", "-f", help="csv (one file per list) or xlsx.")] = (
        SampleFormat.csv
    ),
    cin: Annotated[bool, typer.Option("--cin", help="Also write the CIN census XML, one file per collection year, "
                                      "for the same children.")] = False,
    cin_csv: Annotated[bool, typer.Option("--cin-csv", help="Write each CIN census flattened to VCIN-style CSVs "
                                          "instead of the XML (implies --cin).")] = False,
    ssda903: Annotated[bool, typer.Option(
        "--ssda903",
        help="Also write the DfE SSDA903 returns of the same children: ssda903/ (CSV per table and year, with "
             "truth.json).")] = False,
    ssda903_xml: Annotated[bool, typer.Option(
        "--ssda903-xml",
        help="Write the SSDA903 returns as XML instead of CSV: ssda903_xml/ (one EXPSSDA903 file per year, with "
             "truth.json; implies --ssda903).")] = False,
    ssda903_history: Annotated[int, typer.Option(
        "--ssda903-history",
        help="Also the SSDA903 returns of this many collection years before the first year (0-10), for the "
             "measures that look back to the start of a period of care (A1, A10, stability).")] = 0,
) -> None:
    """Write a **synthetic** Annex A extract (Lists 1-11) for a child population of a given size.

    Children move through contact, referral, assessment, S47 enquiry, conference, child protection plan, care,
    and leaving care or adoption, at rates near the England 2024-25 figures (referrals ~519, S47 ~189 and CLA ~67
    per 10,000). Every list uses the official headers and template labels; the same child has the same id, date
    of birth, gender and ethnicity in every list. Open cases keep their old start dates. `--messy` adds the
    defects real extracts have (header drift, a BOM, cp1252, Excel serial and ISO dates, float ids, blank, title,
    footer and duplicate rows, end before start, unknown and lower-case codes, `#N/A`). No real data is used.

    Example, a mid-sized LA (808 Stockton-on-Tees, 45,079 children aged 0-17), years 2023-24 and 2024-25:

        csc-metrics sample --out sample_data --children 45079 --seed 2030 --years 2

    writes `sample_data/list_01_contacts.csv` ... `list_11_adopters.csv` (about 5 MB). With `--ssda903`, also
    `sample_data/ssda903/SSDA903_2024_episodes.csv` ... (every SSDA903 table for each year, DfE headers,
    dd/mm/yyyy) and `ssda903/truth.json` (figures known by construction: children looked after at each 31
    March, starts, cessations by reason, the 12-month cohort, stability, outcomes); `--ssda903-xml` writes
    the same returns as XML instead, `sample_data/ssda903_xml/SSDA903_2024.xml` ... (one `EXPSSDA903` file
    per year, with `truth.json`). `--ssda903-history 4` adds the returns of the four years before (periods of
    care over before the lists begin included), so that no child of the sample's years lacks the start of
    their period of care. The episodes follow the List 8 periods of care, and `--messy` adds the
    SSDA903 defects too. England scale (`--children 12000000`) takes a few minutes; xlsx is limited to
    1,048,575 rows per list.

    `--cin` also writes `cin_census_2023-24.xml` ... (one CIN census per collection year, for the same
    referrals, assessments, S47s and plans as Lists 3-7); `--cin-csv` writes each census as its VCIN
    `xmltocsv` tables in `cin_census_<year>_csv/` instead. With `--messy` they carry the CIN census defects of
    real files.

    Each year of each return is written once, so `csc-metrics compute DIR` reads the folder just written.
    For the same returns in the other format, write the sample again (same options and seed) into another
    folder.

    Exit codes: 0 written; 2 bad option or the folder cannot be written.
    """
    from csc_metrics.sample import generate_sample

    try:
        end_date = date.fromisoformat(end)
    except ValueError as exc:
        raise ConfigError(f"--end {end!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2025-03-31") from exc
    paths = generate_sample(out, children=children, years=years, seed=seed, end=end_date, messy=messy,
                            fmt=fmt.value, cin=cin, cin_csv=cin_csv, ssda903=ssda903 or ssda903_xml,
                            ssda903_xml=ssda903_xml, ssda903_history=ssda903_history)
    size = sum(p.stat().st_size for p in paths)
    err_console.print(f"wrote {len(paths)} file(s) to {out} ({size / 1e6:.1f} MB)")
