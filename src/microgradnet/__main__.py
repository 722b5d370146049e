"""``python -m microgradnet`` is the ``microgradnet`` command."""
from .cli import main

raise SystemExit(main())
