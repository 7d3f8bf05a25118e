"""MkDocs hook: the site serves its own Mermaid (tools/docs-js.sh fetched it), so diagrams render offline. Material
loads Mermaid from a CDN only when no `mermaid` is defined; without the local copy the site falls back to that."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files
from pymdownx.superfences import fence_code_format

LOCAL = Path(__file__).resolve().parents[2] / ".mlops/docs-js/mermaid.min.js"
SERVED = "assets/javascripts/mermaid.min.js"
log = logging.getLogger("mkdocs.hooks.mermaid")


def on_config(config: Any) -> Any:
    # ```mermaid blocks stay as <pre class="mermaid"> for Material to draw.
    fences = config.mdx_configs.setdefault("pymdownx.superfences", {}).setdefault("custom_fences", [])
    fences.append({"name": "mermaid", "class": "mermaid", "format": fence_code_format})
    if LOCAL.is_file():
        config.extra_javascript.insert(0, SERVED)
    else:
        log.info("no %s (tools/docs-js.sh): diagrams load Mermaid from Material's CDN", LOCAL)
    return config


def on_files(files: Files, config: Any) -> Files:
    if LOCAL.is_file():
        files.append(File.generated(config, SERVED, abs_src_path=str(LOCAL)))
    return files
