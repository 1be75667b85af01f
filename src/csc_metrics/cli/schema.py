"""`csc-metrics schema`."""

from __future__ import annotations

from csc_metrics.cli import app
from csc_metrics.cli.common import OutputOpt, write_output


@app.command()
def schema(output: OutputOpt = None) -> None:
    """Print the JSON Schema of the definitions language.

    Editors use it to validate definitions as you type: start each YAML file with
    `# yaml-language-server: $schema=./schema.json`.

    Example: `csc-metrics schema -o definitions/schema.json`

    Exit codes: 0 success, 2 usage error.
    """
    from csc_metrics.spec.jsonschema import schema_text

    write_output(schema_text(), output)
