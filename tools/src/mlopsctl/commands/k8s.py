"""`mlopsctl k8s secrets`: the namespace and the Secrets the Airflow chart reads, applied to the cluster."""

from __future__ import annotations

import argparse
import os

from mlopsctl import k8s
from mlopsctl.infra import cloud_dir, terraform_binary, terraform_outputs
from mlopsctl.progress import say


def run(args: argparse.Namespace) -> int:
    outputs = terraform_outputs(terraform_binary(), cloud_dir(args.root, k8s.K8S_CLOUD))
    manifests = k8s.secrets_from_outputs(args.root, outputs, os.environ, args.sslmode)
    k8s.apply_manifests(k8s.inventory_secrets_dir(args.root) / k8s.KUBECONFIG_NAME, manifests)
    say(f"namespace {k8s.NAMESPACE} and {len(manifests) - 1} Secrets applied")
    return 0
