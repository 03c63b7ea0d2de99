"""The Typer apps every command module attaches to; kept apart so command modules never import each other."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="factcheck",
    help="Find claims in what you read and show the known debunks beside them.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The debunk database: create, import, export, inspect, search.", no_args_is_help=True)
eval_app = typer.Typer(help="Measure quality on the public datasets (dev/test splits).", no_args_is_help=True)
train_app = typer.Typer(help="Train the models shipped in models/.", no_args_is_help=True)

app.add_typer(db_app, name="db")
app.add_typer(eval_app, name="eval")
app.add_typer(train_app, name="train")
