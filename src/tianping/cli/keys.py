"""`tianping keys …`: the Ed25519 signing key used for reports, labels and shared bundles."""

from __future__ import annotations

import typer

from ..crypto import init_keys, load_keys
from .common import console, emit_json, guarded, tr

app = typer.Typer(help="Signing keys (Ed25519).", no_args_is_help=True)


@app.command("init")
@guarded
def keys_init(
    force: bool = typer.Option(False, "--force", help="Replace an existing key."), as_json: bool = typer.Option(False, "--json")
) -> None:
    """Create your signing key pair (private key readable by you only)."""
    kp = init_keys(force=force)
    if as_json:
        emit_json({"fingerprint": kp.fingerprint, "path": str(kp.path)})
    else:
        console.print(tr("key_created", fp=kp.fingerprint, path=kp.path), highlight=False)


@app.command("show")
@guarded
def keys_show(as_json: bool = typer.Option(False, "--json")) -> None:
    """Show the public key fingerprint."""
    kp = load_keys()
    if as_json:
        emit_json({"fingerprint": kp.fingerprint, "path": str(kp.path)})
    else:
        console.print(tr("key_fingerprint", fp=kp.fingerprint), highlight=False)
