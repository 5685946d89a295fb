"""``python -m subscription_core_adapters.cli``: the same as the ``subscription-core`` script."""

from __future__ import annotations

from subscription_core_adapters.cli import main

if __name__ == "__main__":  # imported by a package walk, it runs nothing
    main()
