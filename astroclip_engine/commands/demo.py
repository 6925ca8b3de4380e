"""`astroclip demo`: build the demo project (mock survey -> trained model -> embeddings -> UMAP ->
evaluation) that `astroclip-studio` opens."""

from __future__ import annotations

import argparse

from astroclip_engine.commands._progress import add_progress_option, progress_reporter
from astroclip_engine.demo import (
    DEFAULT_RECIPE,
    DEMO_GALAXIES,
    DEMO_IMAGE_SIZE,
    RECIPES,
    build_demo_project,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="build the built-in demo project",
        description=(__doc__ or "").strip() + " Finished steps are skipped, so a second run "
        "returns at once and an interrupted run resumes.",
    )
    parser.add_argument("--project", default="demo_project", help="project folder")
    parser.add_argument("--n", type=int, default=DEMO_GALAXIES, help="number of mock galaxies")
    parser.add_argument("--size", type=int, default=DEMO_IMAGE_SIZE, help="image side (pixels)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="override the preset's epochs")
    parser.add_argument("--recipe", choices=tuple(RECIPES), default=DEFAULT_RECIPE,
                        help="pretrained: MoCo image pretraining, then alignment (default); "
                        "scratch: alignment from random encoders; both: image and SpecFormer "
                        "pretraining, then alignment (docs/pretraining.md)")
    add_progress_option(parser, default="none")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    project = build_demo_project(args.project, n=args.n, image_size=args.size,
                                 max_epochs=args.max_epochs, recipe=args.recipe,
                                 reporter=progress_reporter(args), run_command=args.engine_main)
    print(f"demo project ready: {project.root / 'project.yaml'}")
    return 0
