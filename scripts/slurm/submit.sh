#!/bin/bash
# Submits the sharded capacity study as a Slurm job array plus a merge job that runs after it.
# Usage: scripts/slurm/submit.sh   (variables as in capacity-array.sbatch, e.g. OUT=run1 SAMPLES=200)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --export=ALL "$here/capacity-array.sbatch")
sbatch --parsable --export=ALL --dependency="afterok:${array%%;*}" "$here/merge.sbatch"
echo "submitted array job $array and its merge job"
