"""The local lab: systemd container hosts on this machine, their base image and engine, their settings
(mlopsctl.toml), how to reach the platform on them, and the benchmarks run against them."""
