"""Lightning training: module, callbacks, run management, SLURM scripts."""
