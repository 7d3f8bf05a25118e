"""Writes the C source of a link stub for libcuda.so: every driver API function cuda.h declares, returning an error.

NVIDIA's full toolkit ships such a stub as lib64/stubs/libcuda.so for building on hosts without the driver; its PyPI
wheels do not, so the test host gets one made from the toolkit's own header. Usage: libcuda_stub.py CUDA_H OUT_C
"""

import re
import subprocess
import sys

header, out = sys.argv[1], sys.argv[2]
source = subprocess.run(["gcc", "-E", "-P", "-x", "c", header], capture_output=True, text=True, check=True).stdout
names = sorted(set(re.findall(r"\bCUresult\s+(cu[A-Za-z0-9_]+)\s*\(", source)))
with open(out, "w", encoding="utf-8") as handle:
    handle.write("".join(f"int {name}(void) {{ return 999; }}\n" for name in names))
print(f"{len(names)} driver API functions")
