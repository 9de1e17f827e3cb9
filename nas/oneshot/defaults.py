"""The one-shot search's defaults, free of torch so that ``effsearch --help`` can show them without
loading it (cli.py keeps heavy imports inside each command's ``run``)."""

#: Supernet training epochs by default. On two CPU cores one epoch over the proxy's 2,000 images
#: costs about seven B0 epochs (the teacher, the smallest and two random children per step), so 3
#: epochs keep `baseline --strategy oneshot` -- supernet, scoring and promotion -- near the
#: README's 10-minute budget; BigNAS-style supernets want far more where a GPU is there.
DEFAULT_SUPERNET_EPOCHS = 3

__all__ = ["DEFAULT_SUPERNET_EPOCHS"]
