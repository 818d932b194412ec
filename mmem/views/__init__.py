"""What the read commands show, built once: `events`, `transcript`, `entities`, `entities show`
and `ask`. Each view is plain data with `to_json()` (the commands' `--json` output); the CLI
renders the same objects as tables or text, and a server can return them as they are."""
