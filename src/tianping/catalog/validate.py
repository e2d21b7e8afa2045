"""`python -m tianping.catalog.validate [DATA_DIR]`: validate the catalog and print counts."""

from __future__ import annotations

import sys
from collections import Counter

from ..errors import TianpingError
from .loader import DATA_DIR, load_catalog


def main(argv: list[str]) -> int:
    data_dir = argv[0] if argv else DATA_DIR
    try:
        cat = load_catalog(data_dir)
    except TianpingError as exc:
        print(exc.render(), file=sys.stderr)
        return 2
    for iid, inst in cat.instruments.items():
        kinds = Counter(p.kind.value for p in inst.provisions)
        unmapped = [p.id for p in inst.provisions if not p.is_container and not p.principles]
        print(f"{iid}: {len(inst.provisions)} provisions {dict(kinds)}")
        if unmapped:
            print(f"  WARNING {len(unmapped)} non-container provisions without a principle: {unmapped[:10]}")
    print(f"principles: {len(cat.principles)}; mappings: {len(cat.mappings)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
