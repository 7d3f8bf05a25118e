"""`mlopsctl infra plan|apply|destroy|inventory --cloud CLOUD`: Terraform for the cloud roots, and the inventory
from their outputs; the cluster root applies in stages."""

from __future__ import annotations

import argparse

from mlopsctl import k8s
from mlopsctl.infra import (
    cloud_dir,
    cloud_inventory,
    run_terraform,
    terraform_binary,
    terraform_commands,
    terraform_outputs,
)
from mlopsctl.progress import say


def run(args: argparse.Namespace) -> int:
    if args.action == "inventory":
        cloud_inventory(args.root, args.cloud, args.outputs)
        return 0
    workdir = cloud_dir(args.root, args.cloud)
    if args.cloud == k8s.K8S_CLOUD and args.action != "destroy":
        # The cluster root applies in stages (terraform/README.md): the chart stage needs db01 converged and the
        # Secrets of `mlopsctl k8s secrets` first, so a plain apply stops after the gateway stage.
        binary = terraform_binary()
        default = ("cluster", "gateway") if args.action == "apply" else ("all",)
        for stage in args.stage or default:
            run_terraform(k8s.cluster_commands(binary, workdir, args.action, stage))
        if args.action == "apply":
            path = k8s.write_kubeconfig(terraform_outputs(binary, workdir), k8s.inventory_secrets_dir(args.root))
            say(f"kubeconfig written: {path.relative_to(args.root)}")
            cloud_inventory(args.root, args.cloud)
        return 0
    run_terraform(terraform_commands(terraform_binary(), workdir, args.action, auto_approve=args.yes))
    if args.action == "apply":
        cloud_inventory(args.root, args.cloud)
    return 0
