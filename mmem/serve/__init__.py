"""`mmem serve`: a local web server over one memory. A JSON API with the CLI's `--json` shapes
(built from `mmem.views`), media and keyframes with range requests, a live event stream, and a
web page (package data in `web/`, no build step, no CDN). Models stay loaded between questions.

`discovery` (stdlib only) is what `mmem ask` reads to find a running server for its memory."""
