"""The `rflow` group: its own options, and every command built from the table's rows
(cli/plans.py, cli/evidence.py, cli/portfolio.py) by cli/table.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from researchflow import __version__
from researchflow.cli.evidence import ROWS as EVIDENCE
from researchflow.cli.plans import ROWS as PLANS
from researchflow.cli.portfolio import ROWS as PORTFOLIO
from researchflow.cli.table import build

if TYPE_CHECKING:
    from researchflow.documents.config import Config


def _config() -> Config:
    from researchflow.documents.config import load_config

    return load_config()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rflow")
@click.option("--debug", is_flag=True, help="Show the full traceback on errors.")
def cli(debug: bool) -> None:
    """researchflow: hypothesis-driven ML research, tracked in git.

    Plan a hypothesis, have it reviewed, run the experiment through MLflow on committed code
    and DVC-versioned data, and merge the report only when every number reproduces.
    """
    session.debug = debug  # parsed by click: `rflow run -- cmd --debug` is the command's


class _Session:
    """What the group's options decided, read by `main` once the command has ended."""

    debug = False


session = _Session()
build(cli, [*PLANS, *EVIDENCE, *PORTFOLIO], _config)
