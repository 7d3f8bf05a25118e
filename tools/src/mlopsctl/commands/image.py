"""`mlopsctl image`: the local hosts' base image, built if missing; its name on stdout (molecule reads it)."""

from __future__ import annotations

import argparse
import dataclasses

from mlopsctl.checkout import LOGS
from mlopsctl.lab.config import load_config
from mlopsctl.lab.engine import detect_engine
from mlopsctl.lab.image import ensure_image


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config, engine=args.engine)
    if args.distribution:
        cfg = dataclasses.replace(cfg, distribution=args.distribution)
    print(ensure_image(detect_engine(cfg.engine), cfg, args.root / LOGS))
    return 0
